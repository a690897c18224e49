/**
 * The lifecycle every shared broker connection goes through, whatever the protocol. It connects when its
 * first user (a source, an endpoint, a store) arrives and lets go of the broker when the last one leaves;
 * callers wait for it to be open, each with a deadline on the engine's clock; when the broker goes away it
 * comes back with exponential back-off, and every loss and every return is counted so the transport can
 * report it.
 *
 * What differs between protocols stays with the transport, behind three hooks — how to connect, how to let
 * go, and the transport's own "unavailable" error — and in what it does around the calls that tell the
 * lifecycle how an attempt ended: `opened(handle)`, `lost(error, plan)`, `interrupted(error)`.
 *
 * @module
 */
import type { EngineBus } from '../bus.js';
import type { TimerHandle } from '../clock.js';
import type { MediaryError } from '../errors.js';
import { createWaitingRoom } from '../waiting-room.js';
import type { AttachedEngines } from './attached-engines.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';

/** Where a connection is in its life. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting';

/** Options of {@link createConnectionLifecycle}; `T` is what an open connection hands out (a client). */
export interface ConnectionLifecycleOptions<T> {
  /** The engines to report to; their clock drives the back-off and every wait. */
  readonly engines: AttachedEngines;
  /** The `source` of the `source:error` events about the connection itself, e.g. `amqp:orders`. */
  readonly source: string;
  /** Back-off between reconnect attempts. */
  readonly backoff?: BackoffOptions | undefined;
  /**
   * Starts one attempt to connect; tell the lifecycle how it ends with `opened` or `lost`. `current()`
   * turns false once another attempt started or the connection shut down: a client that arrives after
   * that belongs to nobody and must be closed.
   */
  readonly connect: (current: () => boolean) => void;
  /** Lets go of the broker once nobody uses the connection; `open` is the handle if it was open. */
  readonly disconnect: (open: T | undefined) => Promise<void>;
  /**
   * The transport's retryable "unavailable" error, for a caller of `whenOpen` that cannot be served: not
   * open within `timeoutMs`, or (`timeoutMs` 0) closed while the caller waited. `cause` says why.
   */
  readonly unavailable: (timeoutMs: number, cause: Error) => MediaryError;
  /** Whether a user's arrival may make the connection connect yet. Default: always. */
  readonly ready?: () => boolean;
}

/** How long the connection was down, told when it comes back. */
export interface Outage {
  /** Attempts that failed before this one succeeded. */
  readonly attempts: number;
  readonly downtimeMs: number;
}

/** The payload of a transport's `…:disconnected` event. */
export interface ConnectionDown {
  readonly connection: string;
  readonly error: MediaryError;
  /** 1 for the first retry since the connection was last open. */
  readonly attempt: number;
  readonly reconnectInMs: number;
}

/** How `lost()` reports the loss and when it tries again. */
export interface ReconnectPlan {
  /**
   * The warning every attached engine logs, given the delay. Without one nothing is reported: the
   * transport dropped the connection on purpose (MQTT does, to get a message redelivered).
   */
  readonly warning?: (delayMs: number) => string;
  /** Emits the transport's own event on an attached engine's bus, after `source:error`, before the warning. */
  readonly event?: (bus: EngineBus, down: ConnectionDown) => void;
  /** Waits this long instead of the back-off delay. */
  readonly delayMs?: number;
}

/**
 * See the module description. Create one with {@link createConnectionLifecycle}.
 *
 * @example
 * // The broker closed an open connection: report it and come back after the back-off.
 * client.on('close', () => {
 *   if (lifecycle.handle !== client) return;
 *   lifecycle.lost(mqttErrors.CONNECTION_LOST({ connection: name }), {
 *     warning: (delayMs) => `mqtt connection lost, reconnecting in ${delayMs}ms`,
 *     event: (bus, down) => bus.emit('mqtt:disconnected', down),
 *   });
 * });
 */
export class ConnectionLifecycle<T> {
  readonly #options: ConnectionLifecycleOptions<T>;
  readonly #engines: AttachedEngines;
  readonly #waiting = createWaitingRoom<T>();
  #state: ConnectionState = 'idle';
  #handle: T | undefined;
  #users = 0;
  #attempt = 0;
  #downSince: number | undefined;
  #lastError: MediaryError | undefined;
  #timer: TimerHandle | undefined;
  /** Bumped by every attempt and every shutdown, so a late result of an older attempt is recognised. */
  #session = 0;

  constructor(options: ConnectionLifecycleOptions<T>) {
    this.#options = options;
    this.#engines = options.engines;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The number of users (sources, endpoints, stores) holding the connection. */
  get users(): number {
    return this.#users;
  }

  /** What `whenOpen` hands out now: the open connection's handle, else `undefined`. */
  get handle(): T | undefined {
    return this.#handle;
  }

  /** Why the last attempt failed or the connection was lost; `undefined` while open. */
  get lastError(): MediaryError | undefined {
    return this.#lastError;
  }

  /** Keeps the reason a loss about to be noticed will carry (a client's `error` event before its `close`). */
  set lastError(error: MediaryError | undefined) {
    this.#lastError = error;
  }

  /** Counts one more user; the first one makes the connection connect (and keep reconnecting). */
  acquire(): void {
    this.#users++;
    this.connectIfUsed();
  }

  /** Starts connecting if somebody uses the connection, it is idle, and `ready()` agrees. */
  connectIfUsed(): void {
    if (this.#users === 0 || this.#state !== 'idle' || this.#options.ready?.() === false) return;
    this.#state = 'connecting';
    this.#attemptNow();
  }

  /** Counts one user less; the connection lets go of the broker when nobody uses it. */
  async release(): Promise<void> {
    if (this.#users === 0) return;
    this.#users--;
    if (this.#users === 0) await this.#shutdown();
  }

  /** Lets go of the broker now, whoever still uses the connection; a later `acquire()` connects again. */
  async close(): Promise<void> {
    this.#users = 0;
    await this.#shutdown();
  }

  /**
   * Resolves with the handle, waiting up to `timeoutMs` (on the engines' clock) while the connection
   * connects or reconnects; fails with the transport's `unavailable` error otherwise.
   */
  whenOpen(timeoutMs: number, signal?: AbortSignal): Promise<T> {
    if (this.#handle !== undefined) return Promise.resolve(this.#handle);
    const { unavailable } = this.#options;
    if (this.#state === 'idle') {
      return Promise.reject(
        unavailable(timeoutMs, this.#lastError ?? new Error('the connection is not in use')),
      );
    }
    return this.#waiting.wait({
      clock: this.#engines.clock,
      timeoutMs,
      timeoutError: () => unavailable(timeoutMs, this.#lastError ?? new Error('still connecting')),
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * The broker accepted the connection: hands `handle` to everyone waiting. Returns the outage this ends,
   * or `undefined` for a first connect — a return is the transport's to announce.
   */
  opened(handle: T): Outage | undefined {
    const outage =
      this.#downSince === undefined
        ? undefined
        : { attempts: this.#attempt, downtimeMs: this.#engines.clock.now() - this.#downSince };
    this.#handle = handle;
    this.#state = 'open';
    this.#attempt = 0;
    this.#downSince = undefined;
    this.#lastError = undefined;
    this.#waiting.open(handle);
    return outage;
  }

  /**
   * An attempt failed or the open connection dropped: nothing is handed out until the next attempt, which
   * starts after the back-off delay. The loss is reported on every attached engine as the plan says.
   */
  lost(error: MediaryError, plan: ReconnectPlan = {}): void {
    this.#handle = undefined;
    this.#down(error);
    const attempt = this.#attempt++;
    const delayMs = plan.delayMs ?? backoffDelay(attempt, this.#options.backoff);
    if (plan.warning) {
      const down = { connection: this.#engines.name, error, attempt: attempt + 1, reconnectInMs: delayMs };
      this.#reportLoss(down, plan.warning(delayMs), plan.event);
    }
    const session = this.#session;
    this.#timer = this.#engines.clock.setTimeout(() => {
      this.#timer = undefined;
      if (session === this.#session && this.#state === 'reconnecting') this.#attemptNow();
    }, delayMs);
  }

  /**
   * The broker went away, but the client reconnects by itself and stays usable meanwhile (NATS.js buffers
   * what is published): the outage is counted and the handle still handed out. Its return is `opened()`.
   */
  interrupted(error: MediaryError): void {
    this.#down(error);
  }

  #down(error: MediaryError): void {
    this.#lastError = error;
    this.#downSince ??= this.#engines.clock.now();
    this.#state = 'reconnecting';
  }

  #attemptNow(): void {
    const session = ++this.#session;
    this.#options.connect(() => session === this.#session);
  }

  #reportLoss(down: ConnectionDown, warning: string, event: ReconnectPlan['event']): void {
    const { connection, error, attempt } = down;
    for (const runtime of this.#engines) {
      runtime.bus.emit('source:error', { source: this.#options.source, error });
      event?.(runtime.bus, down);
      runtime.log.warn(warning, { connection, attempt, code: error.code, reason: error.message });
    }
  }

  async #shutdown(): Promise<void> {
    this.#session++;
    if (this.#timer !== undefined) this.#engines.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const open = this.#handle;
    this.#handle = undefined;
    this.#state = 'idle';
    this.#attempt = 0;
    this.#downSince = undefined;
    this.#waiting.fail(this.#options.unavailable(0, new Error('the connection was closed')));
    await this.#options.disconnect(open);
  }
}

/**
 * Creates the lifecycle of a shared, reconnecting broker connection. The transport keeps its client and
 * protocol; the lifecycle keeps users, waiters, back-off and the outage count.
 *
 * @example
 * const engines = createAttachedEngines({ name: 'orders' });
 * const lifecycle = createConnectionLifecycle<Client>({
 *   engines,
 *   source: 'kafka:orders',
 *   connect: (current) =>
 *     void connectClient(url).then(
 *       (client) => (current() ? lifecycle.opened(client) : client.close()),
 *       (error) => {
 *         if (!current()) return;
 *         lifecycle.lost(kafkaErrors.CONNECT_FAILED({ reason: reasonOf(error) }, { cause: error }), {
 *           warning: (delayMs) => `kafka connect failed, reconnecting in ${delayMs}ms`,
 *         });
 *       },
 *     ),
 *   disconnect: async (client) => client?.close(),
 *   unavailable: (timeoutMs, cause) => kafkaErrors.UNAVAILABLE({ timeoutMs }, { cause }),
 * });
 * lifecycle.acquire(); // a source starts
 * const client = await lifecycle.whenOpen(5000);
 */
export function createConnectionLifecycle<T>(options: ConnectionLifecycleOptions<T>): ConnectionLifecycle<T> {
  return new ConnectionLifecycle(options);
}
