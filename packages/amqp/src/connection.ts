/**
 * The shared, reconnecting AMQP connection. Sources, endpoints and stores of one integration share one
 * connection (one TCP socket, one channel each). When the broker restarts or the socket drops, the
 * connection comes back with exponential back-off on the engine's clock; every channel that was open is
 * re-opened, its topology re-declared and its consumer re-started. Each loss is reported on the engine bus
 * (`source:error`, `amqp:disconnected`, `amqp:reconnected`) and in the log, so consumption never stops
 * silently.
 *
 * @module
 */
import {
  type AttachedEngines,
  type BackoffOptions,
  type Clock,
  type ConnectionDown,
  type ConnectionLifecycle,
  type ConnectionState,
  createAttachedEngines,
  createConnectionLifecycle,
  type MediaryError,
  type ReconnectPlan,
  type Runtime,
  reasonOf,
  redactUrl,
} from '@mediary/core';
import { type ChannelModel, connect } from 'amqplib';
import { amqpErrors } from './errors.js';

declare module '@mediary/core' {
  interface EngineEvents {
    /** The connection to the broker dropped; the next attempt is `reconnectInMs` away. */
    'amqp:disconnected': [ConnectionDown];
    /** The connection is back after `attempts` tries and `downtimeMs` without a broker. */
    'amqp:reconnected': [
      { readonly connection: string; readonly attempts: number; readonly downtimeMs: number },
    ];
  }
}

/** How long to wait between attempts to get a connection (or a channel) back. */
export type ReconnectOptions = BackoffOptions;

// Kept for `source.ts`, which imports it from here; the other modules take it from core.
export { reasonOf } from '@mediary/core';

/** Options of {@link amqpConnection}. */
export interface AmqpConnectionOptions {
  /** `amqp://user:password@host:port/vhost`. Query parameters (`frameMax`, `channelMax`…) pass through. */
  readonly url: string;
  /** Shows in logs, events and the broker's connection list (`connection_name`). Default `mediary`. */
  readonly name?: string;
  /** Heartbeat interval in seconds; `0` disables heartbeats. Default: the broker's suggestion (60 s). */
  readonly heartbeat?: number;
  /** Back-off between reconnect attempts. Default 100 ms doubling up to 30 s. */
  readonly reconnect?: ReconnectOptions;
  /**
   * How long one connect attempt (TCP and AMQP handshake) may take, and how long a source's `start()`
   * waits for the first connection before it fails. Default 5000 ms.
   */
  readonly connectTimeoutMs?: number;
  /** Drives back-off and timeouts. Default: the clock of the first engine that uses the connection. */
  readonly clock?: Clock;
}

/** Where the connection is in its life. */
export type AmqpConnectionState = ConnectionState;

/** What a channel holder hears from its connection. */
export interface ConnectionListener {
  /** A (new) broker connection is open: open channels on it. */
  opened(model: ChannelModel): void;
  /** The broker connection is gone: its channels are closed. */
  lost(error: MediaryError): void;
}

/**
 * A reconnecting connection to one broker. Create it with {@link amqpConnection}; hand it to sources,
 * endpoints and stores. It connects when the first of them needs it and closes when the last one closes.
 */
export class AmqpConnection {
  readonly name: string;
  readonly connectTimeoutMs: number;
  readonly #url: string;
  readonly #options: AmqpConnectionOptions;
  readonly #engines: AttachedEngines;
  readonly #lifecycle: ConnectionLifecycle<ChannelModel>;
  readonly #listeners = new Set<ConnectionListener>();

  constructor(options: AmqpConnectionOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
      throw amqpErrors.INVALID_OPTIONS({
        component: 'connection',
        reason: `the url must start with amqp:// or amqps://, not ${url.protocol}//`,
      });
    }
    if (options.heartbeat !== undefined) url.searchParams.set('heartbeat', String(options.heartbeat));
    this.#url = url.toString();
    this.#options = options;
    this.name = options.name ?? 'mediary';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#engines = createAttachedEngines({ name: this.name, clock: options.clock });
    this.#lifecycle = createConnectionLifecycle({
      engines: this.#engines,
      source: `amqp:${this.name}`,
      backoff: options.reconnect,
      connect: (current) => this.#connect(current),
      disconnect: async (model) => {
        if (model) await model.close().catch(() => undefined);
      },
      unavailable: (timeoutMs, cause) =>
        amqpErrors.UNAVAILABLE({ component: 'connection', name: this.name, timeoutMs }, { cause }),
    });
  }

  /** The back-off settings, which channels reuse when the broker closes just one of them. */
  get reconnect(): ReconnectOptions {
    return this.#options.reconnect ?? {};
  }

  get state(): AmqpConnectionState {
    return this.#lifecycle.state;
  }

  /** Why the last connect attempt failed or the connection was lost; `undefined` while open. */
  get lastError(): MediaryError | undefined {
    return this.#lifecycle.lastError;
  }

  /** The open broker connection, when there is one. */
  get channelModel(): ChannelModel | undefined {
    return this.#lifecycle.handle;
  }

  /** The clock for back-off and timeouts: the option, else the first attached engine's, else the system's. */
  get clock(): Clock {
    return this.#engines.clock;
  }

  /** Reports connection events on this engine's bus and log (sources and endpoints attach theirs). */
  attach(runtime: Runtime): void {
    this.#engines.attach(runtime);
  }

  detach(runtime: Runtime): void {
    this.#engines.detach(runtime);
  }

  /** Listens for (re)connects and losses; returns the function that stops listening. */
  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Counts one more user; the first one makes the connection connect (and keep reconnecting). */
  acquire(): void {
    this.#lifecycle.acquire();
  }

  /** Counts one user less; the connection closes when nobody uses it. */
  release(): Promise<void> {
    return this.#lifecycle.release();
  }

  /** Closes the broker connection now, whoever still uses it; a later `acquire()` connects again. */
  close(): Promise<void> {
    return this.#lifecycle.close();
  }

  /**
   * Resolves with the open broker connection, waiting up to `timeoutMs` (on the connection's clock) while it
   * connects or reconnects; fails with `MEDIARY_AMQP_UNAVAILABLE` (retryable) otherwise.
   */
  whenOpen(timeoutMs: number, signal?: AbortSignal): Promise<ChannelModel> {
    return this.#lifecycle.whenOpen(timeoutMs, signal);
  }

  /**
   * Reports a problem of a component that uses this connection on every attached engine: a `source:error`
   * event and one log line.
   */
  report(component: string, error: MediaryError, message: string, fields?: Record<string, unknown>): void {
    this.#engines.report(component, error, message, fields);
  }

  #connect(current: () => boolean): void {
    connect(this.#url, {
      timeout: this.connectTimeoutMs,
      // Without it, Nagle's algorithm holds a publish's frames back ~40 ms waiting for the broker's ACK.
      noDelay: true,
      keepAlive: true,
      clientProperties: { connection_name: this.name },
    })
      .then((model) => {
        if (!current()) {
          // Shut down while connecting: nobody wants this connection any more.
          model.close().catch(() => undefined);
          return;
        }
        this.#opened(model);
      })
      .catch((error: unknown) => {
        if (!current()) return;
        this.#lifecycle.lost(
          amqpErrors.CONNECT_FAILED(
            { connection: this.name, url: redactUrl(this.#url), reason: reasonOf(error) },
            { cause: error },
          ),
          this.#reconnectPlan('amqp connection failed'),
        );
      });
  }

  #opened(model: ChannelModel): void {
    const outage = this.#lifecycle.opened(model);
    model.on('error', (error: unknown) => {
      // 'close' follows with the same error; keep it so the loss can say why.
      this.#lifecycle.lastError = amqpErrors.CONNECTION_LOST(
        { connection: this.name, reason: reasonOf(error) },
        { cause: error },
      );
    });
    model.on('close', (error?: unknown) => this.#closed(model, error));
    model.on('blocked', (reason: string) =>
      this.#engines.log('warn', 'amqp connection blocked by the broker', { reason }),
    );
    model.on('unblocked', () => this.#engines.log('info', 'amqp connection unblocked'));
    if (outage) {
      for (const { bus, log } of this.#engines) {
        bus.emit('amqp:reconnected', { connection: this.name, ...outage });
        log.info('amqp reconnected', { connection: this.name, ...outage });
      }
    }
    for (const listener of [...this.#listeners]) listener.opened(model);
  }

  #closed(model: ChannelModel, error: unknown): void {
    if (this.#lifecycle.handle !== model) return;
    const lost =
      this.#lifecycle.lastError ??
      amqpErrors.CONNECTION_LOST(
        { connection: this.name, reason: error === undefined ? 'closed' : reasonOf(error) },
        error === undefined ? {} : { cause: error },
      );
    this.#lifecycle.lost(lost, this.#reconnectPlan('amqp connection lost'));
    for (const listener of [...this.#listeners]) listener.lost(lost);
  }

  #reconnectPlan(what: string): ReconnectPlan {
    return {
      warning: (delayMs) => `${what}, reconnecting in ${delayMs}ms`,
      event: (bus, down) => bus.emit('amqp:disconnected', down),
    };
  }
}

/**
 * Creates a shared, reconnecting connection to a RabbitMQ (AMQP 0-9-1) broker. It opens when the first
 * source, endpoint or store that uses it starts, and closes when the last one closes.
 *
 * @example
 * const rabbit = amqpConnection({
 *   url: 'amqp://guest:guest@127.0.0.1:5672',
 *   name: 'orders-service',
 *   reconnect: { initialDelayMs: 200, maxDelayMs: 10_000 },
 * });
 * engine.addSource(amqpSource({ connection: rabbit, queue: 'orders', route: 'orders' }));
 */
export function amqpConnection(options: AmqpConnectionOptions): AmqpConnection {
  return new AmqpConnection(options);
}
