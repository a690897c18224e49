/**
 * The engine's event bus. Logging, metrics, tracing and the console subscribe here; per-mediator events are
 * only measured while somebody listens, so an unobserved engine pays nothing for them.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { MediaryError } from './errors.js';
import type { Outcome } from './mediator.js';

interface MessageRef {
  readonly routeId: string;
  readonly correlationId: string;
}

/** Every event the engine emits, with its payload. A closed list: plugins add their own under their prefix. */
export interface EngineEvents {
  'engine:started': [{ readonly engine: string }];
  'engine:stopping': [{ readonly engine: string; readonly inFlight: number }];
  'engine:stopped': [{ readonly engine: string; readonly abandoned: number }];
  'route:started': [{ readonly routeId: string }];
  'route:stopped': [{ readonly routeId: string }];
  'message:received': [MessageRef];
  'message:completed': [MessageRef & { readonly outcome: Outcome; readonly durationMs: number }];
  'message:failed': [MessageRef & { readonly error: MediaryError; readonly durationMs: number }];
  'mediator:enter': [MessageRef & { readonly mediator: string }];
  'mediator:leave': [
    MessageRef & {
      readonly mediator: string;
      readonly durationMs: number;
      readonly outcome?: Outcome;
      readonly error?: MediaryError;
    },
  ];
  'endpoint:state': [
    { readonly endpoint: string; readonly from: string; readonly to: string; readonly at: number },
  ];
  'endpoint:retry': [
    {
      readonly endpoint: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: MediaryError;
    },
  ];
  'source:error': [{ readonly source: string; readonly error: MediaryError }];
}

/** The bus type: an eventemitter3 emitter typed by {@link EngineEvents}. */
export type EngineBus = EventEmitter<EngineEvents>;

/** Creates a bus (one per engine). */
export function createBus(): EngineBus {
  return new EventEmitter<EngineEvents>();
}
