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
  type Clock,
  createWaitingRoom,
  type MediaryError,
  type Runtime,
  systemClock,
  type TimerHandle,
} from '@mediary/core';
import { type ChannelModel, connect } from 'amqplib';
import { amqpErrors } from './errors.js';
import { backoffDelay, type ReconnectOptions } from './internal/backoff.js';

declare module '@mediary/core' {
  interface EngineEvents {
    /** The connection to the broker dropped; the next attempt is `reconnectInMs` away. */
    'amqp:disconnected': [
      {
        readonly connection: string;
        readonly error: MediaryError;
        readonly attempt: number;
        readonly reconnectInMs: number;
      },
    ];
    /** The connection is back after `attempts` tries and `downtimeMs` without a broker. */
    'amqp:reconnected': [
      { readonly connection: string; readonly attempts: number; readonly downtimeMs: number },
    ];
  }
}

export type { ReconnectOptions } from './internal/backoff.js';

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
export type AmqpConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting';

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
  #state: AmqpConnectionState = 'idle';
  #model: ChannelModel | undefined;
  #users = 0;
  #attempt = 0;
  #timer: TimerHandle | undefined;
  #downSince: number | undefined;
  #lastError: MediaryError | undefined;
  /** Bumped on every shutdown, so a connect attempt that finishes afterwards is discarded. */
  #session = 0;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #runtimes = new Set<Runtime>();
  readonly #waiting = createWaitingRoom<ChannelModel>();

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
  }

  /** The back-off settings, which channels reuse when the broker closes just one of them. */
  get reconnect(): ReconnectOptions {
    return this.#options.reconnect ?? {};
  }

  get state(): AmqpConnectionState {
    return this.#state;
  }

  /** Why the last connect attempt failed or the connection was lost; `undefined` while open. */
  get lastError(): MediaryError | undefined {
    return this.#lastError;
  }

  /** The open broker connection, when there is one. */
  get channelModel(): ChannelModel | undefined {
    return this.#state === 'open' ? this.#model : undefined;
  }

  /** The clock for back-off and timeouts: the option, else the first attached engine's, else the system's. */
  get clock(): Clock {
    if (this.#options.clock) return this.#options.clock;
    for (const runtime of this.#runtimes) return runtime.clock;
    return systemClock;
  }

  /** Reports connection events on this engine's bus and log (sources and endpoints attach theirs). */
  attach(runtime: Runtime): void {
    this.#runtimes.add(runtime);
  }

  detach(runtime: Runtime): void {
    this.#runtimes.delete(runtime);
  }

  /** Listens for (re)connects and losses; returns the function that stops listening. */
  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Counts one more user; the first one makes the connection connect (and keep reconnecting). */
  acquire(): void {
    this.#users++;
    if (this.#state === 'idle') this.#connect();
  }

  /** Counts one user less; the connection closes when nobody uses it. */
  async release(): Promise<void> {
    if (this.#users === 0) return;
    this.#users--;
    if (this.#users === 0) await this.#shutdown();
  }

  /** Closes the broker connection now, whoever still uses it; a later `acquire()` connects again. */
  async close(): Promise<void> {
    this.#users = 0;
    await this.#shutdown();
  }

  /**
   * Resolves with the open broker connection, waiting up to `timeoutMs` (on the connection's clock) while it
   * connects or reconnects; fails with `MEDIARY_AMQP_UNAVAILABLE` (retryable) otherwise.
   */
  whenOpen(timeoutMs: number, signal?: AbortSignal): Promise<ChannelModel> {
    const model = this.channelModel;
    if (model) return Promise.resolve(model);
    const unavailable = (cause: unknown) =>
      amqpErrors.UNAVAILABLE({ component: 'connection', name: this.name, timeoutMs }, { cause });
    if (this.#state === 'idle') {
      return Promise.reject(unavailable(this.#lastError ?? new Error('the connection is not in use')));
    }
    return this.#waiting.wait({
      clock: this.clock,
      timeoutMs,
      timeoutError: () => unavailable(this.#lastError ?? new Error('still connecting')),
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Reports a problem of a component that uses this connection on every attached engine: a `source:error`
   * event and one log line.
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

  #connect(): void {
    if (this.#state !== 'reconnecting') this.#state = 'connecting';
    const session = this.#session;
    connect(this.#url, {
      timeout: this.connectTimeoutMs,
      // Without it, Nagle's algorithm holds a publish's frames back ~40 ms waiting for the broker's ACK.
      noDelay: true,
      keepAlive: true,
      clientProperties: { connection_name: this.name },
    })
      .then((model) => {
        if (session !== this.#session) {
          // Shut down while connecting: nobody wants this connection any more.
          model.close().catch(() => undefined);
          return;
        }
        this.#opened(model);
      })
      .catch((error: unknown) => {
        if (session !== this.#session) return;
        this.#failed(
          amqpErrors.CONNECT_FAILED(
            { connection: this.name, url: redactUrl(this.#url), reason: reasonOf(error) },
            { cause: error },
          ),
        );
      });
  }

  #opened(model: ChannelModel): void {
    const reconnected = this.#downSince !== undefined;
    const attempts = this.#attempt;
    const downtimeMs = reconnected ? this.clock.now() - (this.#downSince ?? 0) : 0;
    this.#model = model;
    this.#state = 'open';
    this.#attempt = 0;
    this.#downSince = undefined;
    this.#lastError = undefined;
    model.on('error', (error: unknown) => {
      // 'close' follows with the same error; keep it so the loss can say why.
      this.#lastError = amqpErrors.CONNECTION_LOST(
        { connection: this.name, reason: reasonOf(error) },
        { cause: error },
      );
    });
    model.on('close', (error?: unknown) => this.#closed(model, error));
    model.on('blocked', (reason: string) =>
      this.#log('warn', 'amqp connection blocked by the broker', { reason }),
    );
    model.on('unblocked', () => this.#log('info', 'amqp connection unblocked'));
    if (reconnected) {
      for (const runtime of this.#runtimes) {
        runtime.bus.emit('amqp:reconnected', { connection: this.name, attempts, downtimeMs });
        runtime.log.info('amqp reconnected', { connection: this.name, attempts, downtimeMs });
      }
    }
    this.#waiting.open(model);
    for (const listener of [...this.#listeners]) listener.opened(model);
  }

  #closed(model: ChannelModel, error: unknown): void {
    if (this.#model !== model || this.#state !== 'open') return;
    this.#model = undefined;
    const lost =
      this.#lastError ??
      amqpErrors.CONNECTION_LOST(
        { connection: this.name, reason: error === undefined ? 'closed' : reasonOf(error) },
        error === undefined ? {} : { cause: error },
      );
    this.#downSince = this.clock.now();
    for (const listener of [...this.#listeners]) listener.lost(lost);
    this.#retry(lost, 'amqp connection lost');
  }

  #failed(error: MediaryError): void {
    this.#downSince ??= this.clock.now();
    this.#retry(error, 'amqp connection failed');
  }

  #retry(error: MediaryError, what: string): void {
    this.#lastError = error;
    this.#state = 'reconnecting';
    const attempt = this.#attempt++;
    const delay = backoffDelay(attempt, this.#options.reconnect);
    for (const runtime of this.#runtimes) {
      runtime.bus.emit('source:error', { source: `amqp:${this.name}`, error });
      runtime.bus.emit('amqp:disconnected', {
        connection: this.name,
        error,
        attempt: attempt + 1,
        reconnectInMs: delay,
      });
      runtime.log.warn(`${what}, reconnecting in ${delay}ms`, {
        connection: this.name,
        attempt: attempt + 1,
        code: error.code,
        reason: error.message,
      });
    }
    const session = this.#session;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      if (session === this.#session && this.#state === 'reconnecting') this.#connect();
    }, delay);
  }

  async #shutdown(): Promise<void> {
    this.#session++;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const model = this.#model;
    this.#model = undefined;
    this.#state = 'idle';
    this.#attempt = 0;
    this.#downSince = undefined;
    const closed = amqpErrors.UNAVAILABLE(
      { component: 'connection', name: this.name, timeoutMs: 0 },
      { cause: new Error('the connection was closed') },
    );
    this.#waiting.fail(closed);
    if (model) await model.close().catch(() => undefined);
  }

  #log(level: 'info' | 'warn', message: string, fields: Record<string, unknown> = {}): void {
    for (const runtime of this.#runtimes) runtime.log[level](message, { connection: this.name, ...fields });
  }
}

/** The error's message, for log lines and error messages. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
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
