/**
 * The shared, reconnecting NATS connection. Sources and endpoints of an integration share one connection
 * (one socket). NATS.js reconnects by itself after the server restarts or the socket drops — here with an
 * exponential back-off — and re-creates subscriptions and JetStream pulls on the new socket; a connection
 * that closes for good (too many attempts, an authorisation error) is replaced by a new one with the same
 * back-off. Every loss and every return is reported on the engine bus (`source:error`, `nats:disconnected`,
 * `nats:reconnected`) and in the log, so consumption never stops silently.
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
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  connect,
  type NatsConnection as NatsClient,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { natsErrors } from './errors.js';
import { backoffDelay } from './internal/backoff.js';

declare module '@mediary/core' {
  interface EngineEvents {
    /** The connection lost its server; NATS.js is reconnecting. */
    'nats:disconnected': [
      { readonly connection: string; readonly server: string; readonly error: MediaryError },
    ];
    /** The connection is back after `downtimeMs`. */
    'nats:reconnected': [
      { readonly connection: string; readonly server: string; readonly downtimeMs: number },
    ];
  }
}

/** Options of {@link natsConnection}. */
export interface NatsConnectionOptions {
  /** `nats://host:port` or `host:port`, one or several (a cluster). */
  readonly servers: string | readonly string[];
  /** Shows in logs, events and the server's connection list. Default `mediary`. */
  readonly name?: string;
  /** Reconnect attempts per server before the connection is replaced by a new one; -1 (default): never stop. */
  readonly maxReconnectAttempts?: number;
  /** First delay between reconnect attempts; doubles per failed attempt. Default 1000 ms. */
  readonly reconnectTimeWaitMs?: number;
  /** Longest delay between reconnect attempts. Default 30 000 ms. */
  readonly maxReconnectTimeWaitMs?: number;
  /** How long one connect attempt, and a source's `start()` waiting for the first one, may take. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** Drives timeouts and the replacement of a closed connection. Default: the first attached engine's clock. */
  readonly clock?: Clock;
  /**
   * Let NATS.js record where each request started, for the stack of a timeout. It costs two captured
   * stacks per request — every JetStream publish and confirmed acknowledgement — so it is off by default;
   * Mediary's errors name the subject instead.
   */
  readonly asyncTraces?: boolean;
}

/** Where the connection is in its life. */
export type NatsConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting';

/** What a subscription holder hears from its connection. */
export interface ConnectionListener {
  /** A (new) NATS.js connection is open: subscribe on it. Not called again for NATS.js's own reconnects. */
  opened(client: NatsClient): void;
}

/**
 * A reconnecting connection to a NATS server (or cluster). Create it with {@link natsConnection}; hand it
 * to sources and endpoints. It connects when the first of them needs it and closes when the last one closes.
 */
export class NatsConnection {
  readonly name: string;
  readonly connectTimeoutMs: number;
  readonly #options: NatsConnectionOptions;
  readonly #servers: string[];
  #client: NatsClient | undefined;
  #js: JetStreamClient | undefined;
  #jsm: Promise<JetStreamManager> | undefined;
  #state: NatsConnectionState = 'idle';
  #users = 0;
  #attempt = 0;
  #reconnects = 0;
  #downSince: number | undefined;
  #timer: TimerHandle | undefined;
  #lastError: MediaryError | undefined;
  #session = 0;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #runtimes = new Set<Runtime>();
  readonly #waiting = createWaitingRoom<NatsClient>();

  constructor(options: NatsConnectionOptions) {
    const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
    if (servers.length === 0) {
      throw natsErrors.INVALID_OPTIONS({
        component: 'connection',
        reason: 'at least one server is required',
      });
    }
    this.#servers = servers;
    this.#options = options;
    this.name = options.name ?? 'mediary';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  get state(): NatsConnectionState {
    return this.#state;
  }

  /** The NATS.js connection, while there is one (also while NATS.js reconnects it). */
  get client(): NatsClient | undefined {
    return this.#client;
  }

  get clock(): Clock {
    if (this.#options.clock) return this.#options.clock;
    for (const runtime of this.#runtimes) return runtime.clock;
    return systemClock;
  }

  attach(runtime: Runtime): void {
    this.#runtimes.add(runtime);
  }

  detach(runtime: Runtime): void {
    this.#runtimes.delete(runtime);
  }

  /** Listens for new NATS.js connections; returns the function that stops listening. */
  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    if (this.#client) listener.opened(this.#client);
    return () => this.#listeners.delete(listener);
  }

  acquire(): void {
    this.#users++;
    if (this.#state === 'idle') this.#connect();
  }

  async release(): Promise<void> {
    if (this.#users === 0) return;
    this.#users--;
    if (this.#users === 0) await this.#shutdown();
  }

  /** Closes now, whoever still uses it; a later `acquire()` connects again. */
  async close(): Promise<void> {
    this.#users = 0;
    await this.#shutdown();
  }

  /**
   * Resolves with the NATS.js connection, waiting up to `timeoutMs` while the first one (or a replacement)
   * connects. While NATS.js reconnects an existing connection it resolves at once: NATS.js buffers what is
   * published meanwhile, and requests time out on their own.
   */
  whenOpen(timeoutMs: number, signal?: AbortSignal): Promise<NatsClient> {
    if (this.#client) return Promise.resolve(this.#client);
    const unavailable = (cause: unknown) =>
      natsErrors.UNAVAILABLE({ connection: this.name, timeoutMs }, { cause });
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

  #turn: Promise<void> | undefined;

  /**
   * Resolves at the end of this event-loop turn, the same promise for every caller of the turn. Publishes
   * that wait for it go out together, in one socket write: NATS.js writes what was published within one
   * microtask burst at once, and routes reach their publish one microtask apart.
   */
  endOfTurn(): Promise<void> {
    this.#turn ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#turn = undefined;
        resolve();
      }),
    );
    return this.#turn;
  }

  /** The JetStream client of the current connection, when there is one already (no waiting). */
  get jetstreamClient(): JetStreamClient | undefined {
    return this.#client !== undefined && this.#js !== undefined ? this.#js : undefined;
  }

  /** The JetStream client of the current connection. */
  async jetstream(timeoutMs = this.connectTimeoutMs): Promise<JetStreamClient> {
    const client = await this.whenOpen(timeoutMs);
    if (!this.#js || this.#client !== client) this.#js = jetstream(client);
    return this.#js;
  }

  /** The JetStream manager (streams, consumers) of the current connection. */
  async jetstreamManager(timeoutMs = this.connectTimeoutMs): Promise<JetStreamManager> {
    const client = await this.whenOpen(timeoutMs);
    this.#jsm ??= jetstreamManager(client);
    try {
      return await this.#jsm;
    } catch (error) {
      this.#jsm = undefined;
      throw natsErrors.STREAM_FAILED(
        { action: 'access', name: 'JetStream', reason: reasonOf(error) },
        { cause: error },
      );
    }
  }

  /** Reports a component's problem on every attached engine: a `source:error` event and one log line. */
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

  #connectOptions(): NodeConnectionOptions {
    const o = this.#options;
    const initial = o.reconnectTimeWaitMs ?? 1000;
    const max = o.maxReconnectTimeWaitMs ?? 30_000;
    return {
      servers: this.#servers,
      name: this.name,
      maxReconnectAttempts: o.maxReconnectAttempts ?? -1,
      reconnectTimeWait: initial,
      reconnectJitter: 0,
      reconnectDelayHandler: () => backoffDelay(this.#reconnects++, initial, max),
      timeout: this.connectTimeoutMs,
      noAsyncTraces: o.asyncTraces !== true,
      ...(o.user === undefined ? {} : { user: o.user }),
      ...(o.pass === undefined ? {} : { pass: o.pass }),
      ...(o.token === undefined ? {} : { token: o.token }),
    };
  }

  #connect(): void {
    if (this.#state === 'idle') this.#state = 'connecting';
    const session = ++this.#session;
    connect(this.#connectOptions())
      .then((client) => {
        if (session !== this.#session) {
          // Shut down while connecting: nobody wants this connection any more.
          client.close().catch(() => undefined);
          return;
        }
        this.#opened(client, session);
      })
      .catch((error: unknown) => {
        if (session !== this.#session) return;
        this.#failed(
          natsErrors.CONNECT_FAILED(
            { connection: this.name, servers: this.#servers.join(','), reason: reasonOf(error) },
            { cause: error },
          ),
        );
      });
  }

  #opened(client: NatsClient, session: number): void {
    const replaced = this.#downSince !== undefined;
    const downtimeMs = replaced ? this.clock.now() - (this.#downSince ?? 0) : 0;
    this.#client = client;
    this.#js = undefined;
    this.#jsm = undefined;
    this.#state = 'open';
    this.#attempt = 0;
    this.#reconnects = 0;
    this.#downSince = undefined;
    this.#lastError = undefined;
    this.#watch(client, session).catch(() => undefined);
    client
      .closed()
      .then((error) => {
        if (session !== this.#session) return;
        this.#client = undefined;
        this.#failed(
          natsErrors.CONNECTION_ERROR(
            { connection: this.name, reason: error ? `closed: ${reasonOf(error)}` : 'closed' },
            error ? { cause: error } : {},
          ),
        );
      })
      .catch(() => undefined);
    if (replaced) this.#announceReturn(client.getServer(), downtimeMs);
    this.#waiting.open(client);
    for (const listener of [...this.#listeners]) listener.opened(client);
  }

  /** Follows NATS.js's status events: each loss and each return goes to the bus and the log. */
  async #watch(client: NatsClient, session: number): Promise<void> {
    for await (const status of client.status()) {
      if (session !== this.#session) return;
      switch (status.type) {
        case 'disconnect': {
          this.#state = 'reconnecting';
          this.#downSince ??= this.clock.now();
          const error = natsErrors.CONNECTION_LOST({ connection: this.name, server: status.server });
          this.#lastError = error;
          for (const runtime of this.#runtimes) {
            runtime.bus.emit('source:error', { source: `nats:${this.name}`, error });
            runtime.bus.emit('nats:disconnected', { connection: this.name, server: status.server, error });
            runtime.log.warn('nats connection lost, reconnecting', {
              connection: this.name,
              server: status.server,
            });
          }
          break;
        }
        case 'reconnect': {
          const downtimeMs = this.#downSince === undefined ? 0 : this.clock.now() - this.#downSince;
          this.#state = 'open';
          this.#downSince = undefined;
          this.#reconnects = 0;
          this.#announceReturn(status.server, downtimeMs);
          break;
        }
        case 'error':
          this.report(
            `nats:${this.name}`,
            natsErrors.CONNECTION_ERROR(
              { connection: this.name, reason: reasonOf(status.error) },
              { cause: status.error },
            ),
            'nats connection error',
          );
          break;
        case 'slowConsumer':
          this.report(
            `nats:${this.name}`,
            natsErrors.CONNECTION_ERROR({
              connection: this.name,
              reason: `slow consumer on ${status.sub.getSubject()} (${status.pending} pending)`,
            }),
            'nats subscription cannot keep up',
          );
          break;
        case 'ldm':
          this.#log('warn', 'nats server entering lame duck mode', { server: status.server });
          break;
        case 'staleConnection':
          this.#log('warn', 'nats connection is stale, reconnecting');
          break;
        default:
          break;
      }
    }
  }

  #announceReturn(server: string, downtimeMs: number): void {
    for (const runtime of this.#runtimes) {
      runtime.bus.emit('nats:reconnected', { connection: this.name, server, downtimeMs });
      runtime.log.info('nats reconnected', { connection: this.name, server, downtimeMs });
    }
  }

  #failed(error: MediaryError): void {
    this.#lastError = error;
    this.#downSince ??= this.clock.now();
    this.#state = 'reconnecting';
    const o = this.#options;
    const delay = backoffDelay(
      this.#attempt++,
      o.reconnectTimeWaitMs ?? 1000,
      o.maxReconnectTimeWaitMs ?? 30_000,
    );
    for (const runtime of this.#runtimes) {
      runtime.bus.emit('source:error', { source: `nats:${this.name}`, error });
      runtime.log.warn(`nats connection unavailable, connecting again in ${delay}ms`, {
        connection: this.name,
        attempt: this.#attempt,
        code: error.code,
        reason: error.message,
      });
    }
    const session = this.#session;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      if (session === this.#session && this.#users > 0) this.#connect();
    }, delay);
  }

  async #shutdown(): Promise<void> {
    this.#session++;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#js = undefined;
    this.#jsm = undefined;
    this.#state = 'idle';
    this.#attempt = 0;
    this.#downSince = undefined;
    const closed = natsErrors.UNAVAILABLE(
      { connection: this.name, timeoutMs: 0 },
      { cause: new Error('the connection was closed') },
    );
    this.#waiting.fail(closed);
    if (!client || client.isClosed()) return;
    // Drain flushes what is buffered; a server that is away cannot be drained, so that is bounded.
    const drained = client.drain().catch(() => undefined);
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, 2000);
    });
    await Promise.race([drained, timeout]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (!client.isClosed()) await client.close().catch(() => undefined);
  }

  #log(level: 'info' | 'warn', message: string, fields: Record<string, unknown> = {}): void {
    for (const runtime of this.#runtimes) runtime.log[level](message, { connection: this.name, ...fields });
  }
}

/** The error's message, for log lines and error messages. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Creates a shared, reconnecting connection to NATS. It connects when the first source or endpoint that
 * uses it starts, and closes when the last one closes.
 *
 * @example
 * const nats = natsConnection({
 *   servers: 'nats://127.0.0.1:4222',
 *   name: 'orders-service',
 *   maxReconnectAttempts: -1,
 *   reconnectTimeWaitMs: 500,
 * });
 * engine.addSource(natsSource({ connection: nats, subject: 'orders.created', queueGroup: 'orders', route: 'orders' }));
 */
export function natsConnection(options: NatsConnectionOptions): NatsConnection {
  return new NatsConnection(options);
}
