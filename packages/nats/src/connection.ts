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
  type AttachedEngines,
  backoffDelay,
  type Clock,
  type ConnectionLifecycle,
  type ConnectionState,
  createAttachedEngines,
  createConnectionLifecycle,
  type MediaryError,
  type Runtime,
  reasonOf,
  type TimerHandle,
} from '@mediary/core';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  connect,
  type NatsConnection as NatsClient,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { natsErrors } from './errors.js';

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
export type NatsConnectionState = ConnectionState;

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
  /** For NATS.js's own reconnects and for replacing a connection that closed for good. */
  readonly #backoff: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly #engines: AttachedEngines;
  readonly #lifecycle: ConnectionLifecycle<NatsClient>;
  #js: JetStreamClient | undefined;
  #jsm: Promise<JetStreamManager> | undefined;
  /** NATS.js's reconnect attempts since the connection was last open. */
  #reconnects = 0;
  readonly #listeners = new Set<ConnectionListener>();

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
    this.#backoff = {
      initialDelayMs: options.reconnectTimeWaitMs ?? 1000,
      maxDelayMs: options.maxReconnectTimeWaitMs ?? 30_000,
    };
    this.#engines = createAttachedEngines({ name: this.name, clock: options.clock });
    this.#lifecycle = createConnectionLifecycle({
      engines: this.#engines,
      source: `nats:${this.name}`,
      backoff: this.#backoff,
      connect: (current) => this.#connect(current),
      disconnect: (client) => this.#disconnect(client),
      unavailable: (timeoutMs, cause) =>
        natsErrors.UNAVAILABLE({ connection: this.name, timeoutMs }, { cause }),
    });
  }

  get state(): NatsConnectionState {
    return this.#lifecycle.state;
  }

  /** The NATS.js connection, while there is one (also while NATS.js reconnects it). */
  get client(): NatsClient | undefined {
    return this.#lifecycle.handle;
  }

  get clock(): Clock {
    return this.#engines.clock;
  }

  attach(runtime: Runtime): void {
    this.#engines.attach(runtime);
  }

  detach(runtime: Runtime): void {
    this.#engines.detach(runtime);
  }

  /** Listens for new NATS.js connections; returns the function that stops listening. */
  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    const client = this.client;
    if (client) listener.opened(client);
    return () => this.#listeners.delete(listener);
  }

  acquire(): void {
    this.#lifecycle.acquire();
  }

  release(): Promise<void> {
    return this.#lifecycle.release();
  }

  /** Closes now, whoever still uses it; a later `acquire()` connects again. */
  close(): Promise<void> {
    return this.#lifecycle.close();
  }

  /**
   * Resolves with the NATS.js connection, waiting up to `timeoutMs` while the first one (or a replacement)
   * connects. While NATS.js reconnects an existing connection it resolves at once: NATS.js buffers what is
   * published meanwhile, and requests time out on their own.
   */
  whenOpen(timeoutMs: number, signal?: AbortSignal): Promise<NatsClient> {
    return this.#lifecycle.whenOpen(timeoutMs, signal);
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
    return this.client !== undefined && this.#js !== undefined ? this.#js : undefined;
  }

  /** The JetStream client of the current connection. */
  async jetstream(timeoutMs = this.connectTimeoutMs): Promise<JetStreamClient> {
    const client = await this.whenOpen(timeoutMs);
    if (!this.#js || this.client !== client) this.#js = jetstream(client);
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
  report(component: string, error: MediaryError, message: string, fields?: Record<string, unknown>): void {
    this.#engines.report(component, error, message, fields);
  }

  #connectOptions(): NodeConnectionOptions {
    const o = this.#options;
    return {
      servers: this.#servers,
      name: this.name,
      maxReconnectAttempts: o.maxReconnectAttempts ?? -1,
      reconnectTimeWait: this.#backoff.initialDelayMs,
      reconnectJitter: 0,
      reconnectDelayHandler: () => backoffDelay(this.#reconnects++, this.#backoff),
      timeout: this.connectTimeoutMs,
      noAsyncTraces: o.asyncTraces !== true,
      ...(o.user === undefined ? {} : { user: o.user }),
      ...(o.pass === undefined ? {} : { pass: o.pass }),
      ...(o.token === undefined ? {} : { token: o.token }),
    };
  }

  #connect(current: () => boolean): void {
    connect(this.#connectOptions())
      .then((client) => {
        if (!current()) {
          // Shut down while connecting: nobody wants this connection any more.
          client.close().catch(() => undefined);
          return;
        }
        this.#opened(client, current);
      })
      .catch((error: unknown) => {
        if (!current()) return;
        this.#unavailable(
          natsErrors.CONNECT_FAILED(
            { connection: this.name, servers: this.#servers.join(','), reason: reasonOf(error) },
            { cause: error },
          ),
        );
      });
  }

  #opened(client: NatsClient, current: () => boolean): void {
    const outage = this.#lifecycle.opened(client);
    this.#js = undefined;
    this.#jsm = undefined;
    this.#reconnects = 0;
    this.#watch(client, current).catch(() => undefined);
    client
      .closed()
      .then((error) => {
        if (!current()) return;
        this.#unavailable(
          natsErrors.CONNECTION_ERROR(
            { connection: this.name, reason: error ? `closed: ${reasonOf(error)}` : 'closed' },
            error ? { cause: error } : {},
          ),
        );
      })
      .catch(() => undefined);
    if (outage) this.#announceReturn(client.getServer(), outage.downtimeMs);
    for (const listener of [...this.#listeners]) listener.opened(client);
  }

  /** Follows NATS.js's status events: each loss and each return goes to the bus and the log. */
  async #watch(client: NatsClient, current: () => boolean): Promise<void> {
    for await (const status of client.status()) {
      if (!current()) return;
      switch (status.type) {
        case 'disconnect': {
          const error = natsErrors.CONNECTION_LOST({ connection: this.name, server: status.server });
          // NATS.js reconnects by itself and buffers what is published meanwhile: the client stays in use.
          this.#lifecycle.interrupted(error);
          for (const { bus, log } of this.#engines) {
            bus.emit('source:error', { source: `nats:${this.name}`, error });
            bus.emit('nats:disconnected', { connection: this.name, server: status.server, error });
            log.warn('nats connection lost, reconnecting', { connection: this.name, server: status.server });
          }
          break;
        }
        case 'reconnect': {
          const outage = this.#lifecycle.opened(client);
          this.#reconnects = 0;
          this.#announceReturn(status.server, outage?.downtimeMs ?? 0);
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
          this.#engines.log('warn', 'nats server entering lame duck mode', { server: status.server });
          break;
        case 'staleConnection':
          this.#engines.log('warn', 'nats connection is stale, reconnecting');
          break;
        default:
          break;
      }
    }
  }

  #announceReturn(server: string, downtimeMs: number): void {
    for (const { bus, log } of this.#engines) {
      bus.emit('nats:reconnected', { connection: this.name, server, downtimeMs });
      log.info('nats reconnected', { connection: this.name, server, downtimeMs });
    }
  }

  /** No usable NATS.js connection (the first failed, or one closed for good): a new one after the back-off. */
  #unavailable(error: MediaryError): void {
    this.#lifecycle.lost(error, {
      warning: (delayMs) => `nats connection unavailable, connecting again in ${delayMs}ms`,
    });
  }

  /** Lets go of the server once nobody uses the connection. */
  async #disconnect(client: NatsClient | undefined): Promise<void> {
    this.#js = undefined;
    this.#jsm = undefined;
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
