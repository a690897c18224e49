/**
 * The engines a shared connection reports to. Sources, endpoints and stores of several engines may use one
 * broker connection; each attaches its engine, and whatever happens to the connection goes to the bus and
 * the log of every attached engine, so no engine misses a loss. Timers of the connection (back-off,
 * timeouts) run on the first attached engine's clock, so a fake clock in a test drives them.
 *
 * @module
 */
import { type Clock, systemClock } from '../clock.js';
import type { MediaryError } from '../errors.js';
import type { LogLevel } from '../logger.js';
import type { Runtime } from '../runtime.js';

/** Options of {@link createAttachedEngines}. */
export interface AttachedEnginesOptions {
  /** The connection's name; every log line carries it as `connection`. */
  readonly name: string;
  /** A clock that wins over the engines' own. */
  readonly clock?: Clock | undefined;
}

/**
 * See the module description. Iterating it gives the attached engines, for a transport's own events.
 * Create one with {@link createAttachedEngines}.
 *
 * @example
 * for (const { bus, log } of engines) {
 *   bus.emit('amqp:reconnected', { connection: engines.name, attempts, downtimeMs });
 *   log.info('amqp reconnected', { connection: engines.name, attempts, downtimeMs });
 * }
 */
export class AttachedEngines implements Iterable<Runtime> {
  readonly name: string;
  readonly #clock: Clock | undefined;
  readonly #runtimes = new Set<Runtime>();

  constructor(options: AttachedEnginesOptions) {
    this.name = options.name;
    this.#clock = options.clock;
  }

  /** The clock for back-off and timeouts: the option, else the first attached engine's, else the system's. */
  get clock(): Clock {
    if (this.#clock) return this.#clock;
    for (const runtime of this.#runtimes) return runtime.clock;
    return systemClock;
  }

  attach(runtime: Runtime): void {
    this.#runtimes.add(runtime);
  }

  detach(runtime: Runtime): void {
    this.#runtimes.delete(runtime);
  }

  [Symbol.iterator](): Iterator<Runtime> {
    return this.#runtimes.values();
  }

  /** One log line on every attached engine, with the connection's name. */
  log(level: Exclude<LogLevel, 'silent'>, message: string, fields: Record<string, unknown> = {}): void {
    for (const runtime of this.#runtimes) runtime.log[level](message, { connection: this.name, ...fields });
  }

  /**
   * Reports a problem of a component that uses the connection on every attached engine: a `source:error`
   * event for `component` and one warning.
   */
  report(
    component: string,
    error: MediaryError,
    message: string,
    fields: Record<string, unknown> = {},
  ): void {
    for (const runtime of this.#runtimes) {
      runtime.bus.emit('source:error', { source: component, error });
      runtime.log.warn(message, { connection: this.name, component, code: error.code, ...fields });
    }
  }
}

/**
 * Creates the set of engines a connection reports to.
 *
 * @example
 * const engines = createAttachedEngines({ name: 'orders-broker' });
 * engines.attach(engine); // in a source's start(); detach(engine) in its stop()
 * engines.report('kafka:orders', error, 'kafka consumer paused', { partition: 3 });
 */
export function createAttachedEngines(options: AttachedEnginesOptions): AttachedEngines {
  return new AttachedEngines(options);
}
