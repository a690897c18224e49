/**
 * What a running message can ask of its engine. Kept apart from the engine class so mediators depend on a
 * small interface, and tests can hand them one.
 *
 * @module
 */
import type { EngineBus } from './bus.js';
import type { Clock } from './clock.js';
import type { Endpoint } from './endpoint.js';
import type { ExpressionLimits } from './expression.js';
import type { Logger } from './logger.js';
import type { Mediator } from './mediator.js';
import type { MessageLimits } from './message.js';
import type { Template } from './template.js';

/** Every limit the engine enforces on untrusted input. All on by default. */
export interface EngineLimits extends MessageLimits, ExpressionLimits {}

export interface Runtime {
  /** The engine's name (two engines in one process have different names). */
  readonly name: string;
  readonly clock: Clock;
  readonly bus: EngineBus;
  readonly log: Logger;
  readonly limits: EngineLimits;
  /** Host-supplied configuration values, visible to expressions as `config`. */
  readonly config: Readonly<Record<string, unknown>>;
  /** True while somebody listens to per-mediator events; the sequence runner only measures then. */
  readonly observed: boolean;
  /** The endpoint registered under `name` (or the mock that replaced it). */
  endpoint(name: string): Endpoint;
  sequence(name: string): Mediator;
  template(name: string): Template;
}
