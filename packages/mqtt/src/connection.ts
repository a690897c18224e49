/**
 * The shared, reconnecting MQTT connection: one MQTT.js client (one TCP socket, one session) that sources
 * and endpoints of an integration share.
 *
 * Acknowledgements wait for routes. With MQTT 5 the client is created with `customHandleAcks`, so the
 * PUBACK of a QoS 1 message (the PUBREC of a QoS 2 one) is sent only when the source that received it says
 * so — after its route finished. MQTT.js honours that hook only for MQTT 5; with MQTT 3.1.1 the PUBACK
 * waits in `handleMessage` instead, which for QoS 2 gates the PUBCOMP: the PUBREC has gone out on receipt,
 * so the broker will not send that message's PUBLISH again, and a QoS 2 message whose route had not
 * finished is lost if the process dies (within the process, the client's store hands it over again after
 * a reconnect). MQTT.js handles incoming packets one at a time, so while a route runs no other
 * message of this connection is handled: a connection processes one QoS 1/2 message at a time, and
 * parallelism comes from several connections (a shared subscription, `$share/<group>/<filter>`, spreads a
 * topic's messages over them).
 *
 * Publishing (endpoints, dead-lettering, replies) goes through a second client of the connection
 * (`<clientId>-pub`, a clean session), created on the first publish. It never holds an inbound message,
 * so it always reads the broker's acknowledgements: a publish resolves once the broker acknowledged it,
 * even from a route that is handling a message of this same connection (the subscribing client reads
 * nothing until that message is settled, and replays its own unacknowledged publishes after a reconnect
 * only as acknowledgements come in — sharing one client would deadlock there).
 *
 * When the broker goes away or the socket drops, the connection comes back with exponential back-off on
 * the engine's clock, keeping the client's session stores, so QoS 1/2 publishes still unacknowledged are
 * sent again. Subscriptions are renewed when the broker no longer has the session. Each loss is reported on
 * the engine bus (`source:error`, `mqtt:disconnected`, `mqtt:reconnected`) and in the log.
 *
 * @module
 */
import {
  type AttachedEngines,
  type Clock,
  type ConnectionDown,
  type ConnectionLifecycle,
  type ConnectionState,
  createAttachedEngines,
  createConnectionLifecycle,
  type MediaryError,
  type MessageContext,
  onAbort,
  onSignalAbort,
  type Runtime,
  reasonOf,
  redactUrl,
  type TimerHandle,
  toMediaryError,
} from '@mediary/core';
import {
  connect,
  type IClientOptions,
  type IClientPublishOptions,
  type IConnackPacket,
  type IPublishPacket,
  type ISubscriptionGrant,
  type MqttClient,
  type Store,
} from 'mqtt';
import { mqttErrors } from './errors.js';
import { filterProblem, topicMatches } from './internal/topic-filter.js';

declare module '@mediary/core' {
  interface EngineEvents {
    /** The connection to the MQTT broker dropped; the next attempt is `reconnectInMs` away. */
    'mqtt:disconnected': [ConnectionDown];
    /** The connection is back after `attempts` tries and `downtimeMs`; `sessionPresent` as the broker said. */
    'mqtt:reconnected': [
      {
        readonly connection: string;
        readonly attempts: number;
        readonly downtimeMs: number;
        readonly sessionPresent: boolean;
      },
    ];
  }
}

/** Options of {@link mqttConnection}. */
export interface MqttConnectionOptions {
  /** `mqtt://host:port` (or `mqtts://`, `ws://`, `wss://`). */
  readonly url: string;
  /** The client identifier; a persistent session belongs to it. Unique per connected client. */
  readonly clientId: string;
  /**
   * `true` (default): every connect starts a new session. `false`: a persistent session — the broker keeps
   * subscriptions and queues QoS 1/2 messages while the client is away, and redelivers unacknowledged ones
   * when it reconnects.
   */
  readonly clean?: boolean;
  /**
   * MQTT 5: how long the broker keeps the session after a disconnect. Default 0 with `clean`, one day
   * (86 400) without. MQTT 3.1.1 sessions last until the broker expires them.
   */
  readonly sessionExpirySeconds?: number;
  /** 5 (default, with properties: headers, content type, correlation data) or 4 (MQTT 3.1.1). */
  readonly protocolVersion?: 4 | 5;
  /** First delay before a reconnect; doubles per failed attempt. Default 1000 ms. */
  readonly reconnectPeriodMs?: number;
  /** Longest delay between reconnect attempts. Default 30 000 ms. */
  readonly maxReconnectPeriodMs?: number;
  /**
   * Keep-alive interval. MQTT.js handles packets one at a time, so a route running longer than this can
   * make the client miss the broker's ping answer and drop the connection (its message is then
   * redelivered). Default 60 s.
   */
  readonly keepaliveSeconds?: number;
  /** How long one connect attempt, and a source's `start()` waiting for the first one, may take. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  readonly username?: string;
  readonly password?: string;
  /** Shows in logs and events. Default: the client identifier. */
  readonly name?: string;
  /** Drives back-off and timeouts. Default: the clock of the first engine that uses the connection. */
  readonly clock?: Clock;
  /**
   * How long a message that matches no started source of this connection (a subscription of the session
   * that no source owns) waits for one before it is acknowledged unprocessed and reported. Such a message
   * blocks every other message of the connection while it waits. Default 30 000 ms.
   */
  readonly unroutedTimeoutMs?: number;
}

/** Where the connection is in its life. */
export type MqttConnectionState = ConnectionState;

/**
 * One received publish, handed to the source that subscribed to it. Until `settle` is called no other
 * message of the connection is handled.
 */
export interface InboundDelivery {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
  /**
   * Acknowledges the message (PUBACK for QoS 1, PUBREC for QoS 2; with an MQTT 5 reason code when given)
   * and lets the next packet in. For QoS 0 it only lets the next packet in. Later calls do nothing.
   */
  settle(reasonCode?: number): void;
}

/** What a source registers to receive the messages of its subscription. */
export interface InboundHandler {
  /** The subscription filter, possibly a shared one (`$share/<group>/<filter>`). */
  readonly filter: string;
  readonly qos: 0 | 1 | 2;
  deliver(delivery: InboundDelivery): void;
}

interface Registration {
  readonly id: number;
  readonly handler: InboundHandler;
  /** Subscribed on the broker during this process's life (a persistent session keeps it across reconnects). */
  subscribed: boolean;
}

interface Parked {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
  readonly settle: (reasonCode?: number) => void;
  readonly timer: TimerHandle;
}

/** Marks the internal publishing client of a connection. */
const PUBLISHER = Symbol('publisher');

/** PUBACK reason code for "no matching subscribers" (MQTT 5), used for messages no source took. */
const NO_MATCHING_SUBSCRIBERS = 0x10;
/** The largest MQTT 5 subscription identifier. */
const MAX_SUBSCRIPTION_ID = 268_435_455;

/**
 * A reconnecting connection to one MQTT broker. Create it with {@link mqttConnection}; hand it to sources
 * and endpoints. It connects when the first of them needs it and disconnects when the last one closes.
 */
export class MqttConnection {
  readonly name: string;
  readonly clientId: string;
  readonly clean: boolean;
  readonly protocolVersion: 4 | 5;
  readonly connectTimeoutMs: number;
  readonly #options: MqttConnectionOptions;
  readonly #engines: AttachedEngines;
  readonly #lifecycle: ConnectionLifecycle<MqttClient>;
  /**
   * The MQTT.js client from the first connect until shutdown; it reconnects in place, keeping its stores.
   * Replaced or cleared, so events of an older client are ignored.
   */
  #client: MqttClient | undefined;
  /** Set by `recycle()`: the next reconnect waits this long and is not reported as a loss. */
  #recycleDelayMs: number | undefined;
  /** Why the current socket failed (its `error` event), reported when it closes; reset by every attempt. */
  #attemptError: MediaryError | undefined;
  #nextId = 1;
  /** True for the internal client that publishes; it subscribes to nothing. */
  readonly #isPublisher: boolean;
  #publisher: MqttConnection | undefined;
  readonly #registrations = new Map<number, Registration>();
  readonly #parked: Parked[] = [];

  constructor(options: MqttConnectionOptions, role?: typeof PUBLISHER) {
    this.#isPublisher = role === PUBLISHER;
    const url = new URL(options.url);
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'].includes(url.protocol)) {
      throw mqttErrors.INVALID_OPTIONS({
        component: 'connection',
        reason: `the url must start with mqtt://, mqtts://, ws:// or wss://, not ${url.protocol}//`,
      });
    }
    if (!options.clientId) {
      throw mqttErrors.INVALID_OPTIONS({ component: 'connection', reason: 'a clientId is required' });
    }
    this.#options = options;
    this.clientId = options.clientId;
    this.clean = options.clean ?? true;
    this.protocolVersion = options.protocolVersion ?? 5;
    this.name = options.name ?? options.clientId;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#engines = createAttachedEngines({ name: this.name, clock: options.clock });
    this.#lifecycle = createConnectionLifecycle({
      engines: this.#engines,
      source: `mqtt:${this.name}`,
      backoff: { initialDelayMs: this.reconnectPeriodMs, maxDelayMs: this.maxReconnectPeriodMs },
      // The subscribing client connects once a source registered; the publishing one on the first publish.
      ready: () => this.#isPublisher || this.#registrations.size > 0,
      connect: () => this.#connect(),
      disconnect: (open) => this.#disconnect(open),
      unavailable: (timeoutMs, cause) =>
        mqttErrors.UNAVAILABLE({ connection: this.name, timeoutMs }, { cause }),
    });
  }

  get state(): MqttConnectionState {
    return this.#lifecycle.state;
  }

  /** The connected MQTT.js client, when there is one. */
  get client(): MqttClient | undefined {
    return this.#lifecycle.handle;
  }

  /** The clock for back-off and timeouts: the option, else the first attached engine's, else the system's. */
  get clock(): Clock {
    return this.#engines.clock;
  }

  /** The first reconnect delay, which sources also use to space out redeliveries of a failing message. */
  get reconnectPeriodMs(): number {
    return this.#options.reconnectPeriodMs ?? 1000;
  }

  get maxReconnectPeriodMs(): number {
    return this.#options.maxReconnectPeriodMs ?? 30_000;
  }

  /** Reports connection events on this engine's bus and log. */
  attach(runtime: Runtime): void {
    this.#engines.attach(runtime);
    this.#publisher?.attach(runtime);
  }

  detach(runtime: Runtime): void {
    this.#engines.detach(runtime);
    this.#publisher?.detach(runtime);
  }

  /**
   * Registers a handler for the messages of a subscription. Register before the connection connects: a
   * persistent session's queued messages arrive right after the broker accepts the connection.
   * Returns the registration id.
   */
  register(handler: InboundHandler): number {
    const problem = filterProblem(handler.filter);
    if (problem !== undefined) {
      throw mqttErrors.INVALID_OPTIONS({
        component: 'source',
        reason: `topic filter ${handler.filter}: ${problem}`,
      });
    }
    const id = this.#nextId++;
    if (id > MAX_SUBSCRIPTION_ID) this.#nextId = 1;
    this.#registrations.set(id, { id, handler, subscribed: false });
    this.#unpark();
    // The subscribing client connects once somebody subscribes.
    this.#lifecycle.connectIfUsed();
    return id;
  }

  /** Removes a handler; with `unsubscribe`, the broker stops sending its messages (best effort). */
  async unregister(id: number, options: { readonly unsubscribe?: boolean } = {}): Promise<void> {
    const registration = this.#registrations.get(id);
    if (!registration) return;
    this.#registrations.delete(id);
    const client = this.client;
    const stillUsed = [...this.#registrations.values()].some(
      (r) => r.handler.filter === registration.handler.filter,
    );
    if (options.unsubscribe && client && !stillUsed) {
      await client.unsubscribeAsync(registration.handler.filter).catch(() => undefined);
    }
  }

  /** Subscribes a registered handler on the broker, waiting up to `connectTimeoutMs` for the connection. */
  async subscribe(id: number): Promise<void> {
    const registration = this.#registrations.get(id);
    if (!registration) return;
    const client = await this.whenOpen(this.connectTimeoutMs);
    await this.#subscribe(client, registration);
  }

  /**
   * Counts one more user (a source or an endpoint). The subscribing client connects (and keeps
   * reconnecting) once a source registered; the publishing one on the first publish.
   */
  acquire(): void {
    this.#lifecycle.acquire();
  }

  /** Counts one user less; the connection disconnects when nobody uses it. */
  release(): Promise<void> {
    return this.#lifecycle.release();
  }

  /** The number of sources and endpoints using the connection. */
  get users(): number {
    return this.#lifecycle.users;
  }

  /** Disconnects now, whoever still uses it; a later `acquire()` connects again. */
  close(): Promise<void> {
    return this.#lifecycle.close();
  }

  /**
   * Drops the socket without acknowledging the message being handled and reconnects after `delayMs`:
   * the only way MQTT has to get a message redelivered. A persistent session's broker sends every
   * unacknowledged QoS 1/2 message again, flagged `dup`; a clean session loses them.
   */
  recycle(delayMs: number): void {
    const client = this.client;
    if (!client) return;
    this.#recycleDelayMs = delayMs;
    client.stream.destroy();
  }

  /**
   * Resolves with the connected client, waiting up to `timeoutMs` (on the connection's clock) while it
   * connects or reconnects; fails with `MEDIARY_MQTT_UNAVAILABLE` (retryable) otherwise.
   */
  whenOpen(timeoutMs: number, signal?: AbortSignal): Promise<MqttClient> {
    return this.#lifecycle.whenOpen(timeoutMs, signal);
  }

  /**
   * Publishes a message through the connection's publishing client; resolves once the broker acknowledged
   * it (PUBACK for QoS 1, PUBCOMP for QoS 2, at once for QoS 0), waiting up to `timeoutMs` in all. The
   * wait ends early when `signal` aborts or `context`, the message being published, is aborted — followed
   * with `onAbort`, which makes no `AbortSignal` for a message that never aborts.
   */
  async publish(
    topic: string,
    payload: Buffer,
    options: Pick<IClientPublishOptions, 'qos' | 'retain' | 'properties'>,
    wait: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly context?: MessageContext },
  ): Promise<void> {
    if (!this.#isPublisher) {
      await this.#publishing().publish(topic, payload, options, wait);
      return;
    }
    const clock = this.clock;
    const started = clock.now();
    const client = this.client ?? (await this.whenOpen(wait.timeoutMs, wait.signal ?? wait.context?.signal));
    const remaining = Math.max(0, wait.timeoutMs - (clock.now() - started));
    let timer: TimerHandle | undefined;
    let stopListening: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = clock.setTimeout(
          () => reject(mqttErrors.PUBLISH_TIMEOUT({ topic, timeoutMs: wait.timeoutMs })),
          remaining,
        );
        stopListening = followAbort(wait, (reason) => reject(toMediaryError(reason)));
        client.publish(topic, payload, options, (error) => {
          if (error) reject(mqttErrors.PUBLISH_FAILED({ topic, reason: reasonOf(error) }, { cause: error }));
          else resolve();
        });
      });
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
      stopListening?.();
    }
  }

  /** The publishing client, created (and connected) on the first publish. */
  #publishing(): MqttConnection {
    if (!this.#publisher) {
      const publisher = new MqttConnection(
        {
          ...this.#options,
          clientId: `${this.clientId}-pub`,
          name: `${this.name}-pub`,
          clean: true,
          sessionExpirySeconds: 0,
          ...(this.#options.clock ? {} : { clock: this.clock }),
        },
        PUBLISHER,
      );
      for (const runtime of this.#engines) publisher.attach(runtime);
      publisher.acquire();
      this.#publisher = publisher;
    }
    return this.#publisher;
  }

  /** Reports a component's problem on every attached engine: a `source:error` event and one log line. */
  report(component: string, error: MediaryError, message: string, fields?: Record<string, unknown>): void {
    this.#engines.report(component, error, message, fields);
  }

  #clientOptions(): IClientOptions {
    const o = this.#options;
    const expiry = o.sessionExpirySeconds ?? (this.clean ? 0 : 86_400);
    return {
      clientId: this.clientId,
      clean: this.clean,
      protocolVersion: this.protocolVersion,
      keepalive: o.keepaliveSeconds ?? 60,
      connectTimeout: this.connectTimeoutMs,
      // Reconnects are scheduled here, with back-off on the engine's clock.
      reconnectPeriod: 0,
      resubscribe: false,
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(this.protocolVersion === 5 ? { properties: { sessionExpiryInterval: expiry } } : {}),
      // MQTT 5 only (MQTT.js ignores it otherwise): the PUBACK / PUBREC waits until the source settles.
      customHandleAcks: (topic, payload, packet: IPublishPacket, done) =>
        this.#inbound(topic, payload, packet, (code = 0) => done(code)),
    };
  }

  #connect(): void {
    this.#attemptError = undefined;
    if (this.#client) {
      // The stores are kept: QoS 1/2 publishes still waiting for the broker's acknowledgement are resent.
      this.#client.reconnect({
        incomingStore: this.#client.incomingStore as Store,
        outgoingStore: this.#client.outgoingStore as Store,
      });
      return;
    }
    const client = connect(this.#options.url, this.#clientOptions());
    // MQTT.js calls this hook for QoS 0 messages, and after the acknowledgement hook for QoS 1/2 ones, and
    // sends the PUBACK (PUBCOMP for QoS 2) only once its callback runs. MQTT.js honours `customHandleAcks`
    // only for MQTT 5, so with MQTT 3.1.1 this is where acknowledgements wait for routes. Waiting here also
    // applies back-pressure to QoS 0 messages.
    client.handleMessage = (packet, callback) => {
      if (packet.qos !== 0 && this.protocolVersion === 5) {
        callback();
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      this.#inbound(packet.topic, payload, packet, () => callback());
    };
    client.on('connect', (connack) => {
      if (client === this.#client) this.#opened(client, connack);
    });
    client.on('error', (error) => {
      if (client !== this.#client) return;
      this.#attemptError = this.state === 'open' ? this.#lost(error) : this.#connectFailed(error);
      this.#lifecycle.lastError = this.#attemptError;
    });
    client.on('close', () => {
      if (client === this.#client) this.#closed();
    });
    this.#client = client;
  }

  #opened(client: MqttClient, connack: IConnackPacket): void {
    const outage = this.#lifecycle.opened(client);
    const sessionPresent = connack.sessionPresent === true;
    for (const registration of this.#registrations.values()) {
      // The broker kept the subscription with the session; otherwise it is made again.
      if (!sessionPresent || this.clean) registration.subscribed = false;
      if (!registration.subscribed && registration.handler !== undefined) {
        this.#subscribe(client, registration).catch((error: unknown) =>
          this.report(`mqtt:${this.name}`, toMediaryError(error), 'mqtt subscription could not be renewed', {
            filter: registration.handler.filter,
          }),
        );
      }
    }
    if (outage) {
      for (const { bus, log } of this.#engines) {
        bus.emit('mqtt:reconnected', { connection: this.name, ...outage, sessionPresent });
        log.info('mqtt reconnected', { connection: this.name, ...outage, sessionPresent });
      }
    }
  }

  async #subscribe(client: MqttClient, registration: Registration): Promise<void> {
    const { filter, qos } = registration.handler;
    let granted: ISubscriptionGrant[];
    try {
      granted = await client.subscribeAsync(filter, {
        qos,
        ...(this.protocolVersion === 5
          ? // rh 1: retained messages only for a new subscription, not each time a persistent one is renewed.
            { rh: 1, properties: { subscriptionIdentifier: registration.id } }
          : {}),
      });
    } catch (error) {
      throw mqttErrors.SUBSCRIBE_FAILED(
        { connection: this.name, filter, reason: reasonOf(error) },
        { cause: error },
      );
    }
    const code = granted[0]?.qos;
    if (code === undefined || code >= 0x80) {
      throw mqttErrors.SUBSCRIBE_FAILED({
        connection: this.name,
        filter,
        reason: `the broker refused it (reason code ${code ?? 'none'})`,
      });
    }
    registration.subscribed = true;
  }

  #inbound(
    topic: string,
    payload: Buffer,
    packet: IPublishPacket,
    settle: (reasonCode?: number) => void,
  ): void {
    let settled = false;
    const once = (reasonCode?: number) => {
      if (settled) return;
      settled = true;
      settle(reasonCode);
    };
    const handler = this.#handlerFor(topic, packet);
    if (handler) {
      handler.deliver({ topic, payload, packet, settle: once });
      return;
    }
    const timeoutMs = this.#options.unroutedTimeoutMs ?? 30_000;
    const timer = this.clock.setTimeout(() => {
      const index = this.#parked.findIndex((p) => p.packet === packet);
      if (index < 0) return;
      this.#parked.splice(index, 1);
      this.report(
        `mqtt:${this.name}`,
        mqttErrors.UNROUTED({ topic, connection: this.name, timeoutMs }),
        'mqtt message matched no source and was acknowledged unprocessed',
        { topic },
      );
      once(this.protocolVersion === 5 ? NO_MATCHING_SUBSCRIBERS : 0);
    }, timeoutMs);
    this.#parked.push({ topic, payload, packet, settle: once, timer });
  }

  #handlerFor(topic: string, packet: IPublishPacket): InboundHandler | undefined {
    const ids = packet.properties?.subscriptionIdentifier;
    if (ids !== undefined) {
      for (const id of Array.isArray(ids) ? ids : [ids]) {
        const registration = this.#registrations.get(id);
        if (registration) return registration.handler;
      }
    }
    for (const registration of this.#registrations.values()) {
      if (topicMatches(registration.handler.filter, topic)) return registration.handler;
    }
    return undefined;
  }

  #unpark(): void {
    for (const parked of [...this.#parked]) {
      const handler = this.#handlerFor(parked.topic, parked.packet);
      if (!handler) continue;
      this.#parked.splice(this.#parked.indexOf(parked), 1);
      this.clock.clearTimeout(parked.timer);
      handler.deliver({
        topic: parked.topic,
        payload: parked.payload,
        packet: parked.packet,
        settle: parked.settle,
      });
    }
  }

  #lost(error: unknown): MediaryError {
    return mqttErrors.CONNECTION_LOST({ connection: this.name, reason: reasonOf(error) }, { cause: error });
  }

  #connectFailed(error: unknown): MediaryError {
    return mqttErrors.CONNECT_FAILED(
      { connection: this.name, url: redactUrl(this.#options.url), reason: reasonOf(error) },
      { cause: error },
    );
  }

  #closed(): void {
    if (this.state === 'idle') return;
    const wasOpen = this.state === 'open';
    // Parked and held messages belonged to the socket that closed: the broker sends them again.
    for (const parked of this.#parked.splice(0)) this.clock.clearTimeout(parked.timer);
    const recycled = this.#recycleDelayMs;
    this.#recycleDelayMs = undefined;
    // The reason this socket gave, not the connection's last error: that one may be an earlier attempt's
    // (a refused reconnect after a loss is a failed connect, not the loss again).
    const error =
      this.#attemptError ??
      (wasOpen ? this.#lost(new Error('the socket closed')) : this.#connectFailed(new Error('closed')));
    this.#attemptError = undefined;
    if (recycled !== undefined) {
      // Dropped on purpose to get a message redelivered: no loss to report.
      this.#lifecycle.lost(error, { delayMs: recycled });
      return;
    }
    this.#lifecycle.lost(error, {
      warning: (delayMs) =>
        `mqtt ${wasOpen ? 'connection lost' : 'connect failed'}, reconnecting in ${delayMs}ms`,
      event: (bus, down) => bus.emit('mqtt:disconnected', down),
    });
  }

  /** Lets go of the broker once nobody uses the connection; `open` is the client if it was connected. */
  async #disconnect(open: MqttClient | undefined): Promise<void> {
    // Cleared first: from here on, events of this client are ignored.
    const client = this.#client;
    this.#client = undefined;
    const publisher = this.#publisher;
    this.#publisher = undefined;
    await publisher?.close();
    for (const parked of this.#parked.splice(0)) this.clock.clearTimeout(parked.timer);
    for (const registration of this.#registrations.values()) registration.subscribed = false;
    if (!client) return;
    // A clean disconnect keeps a persistent session (and its unacknowledged messages) on the broker.
    await (open ? client.endAsync(false) : client.endAsync(true)).catch(() => undefined);
  }
}

/** Calls `listener` when the wait's signal or message is aborted; returns the function that stops it. */
function followAbort(
  wait: { readonly signal?: AbortSignal; readonly context?: MessageContext },
  listener: (reason: unknown) => void,
): (() => void) | undefined {
  const { signal, context } = wait;
  if (context) return onAbort(context, listener);
  return signal ? onSignalAbort(signal, listener) : undefined;
}

/**
 * Creates a shared, reconnecting connection to an MQTT broker (3.1.1 or 5). It connects when the first
 * source or endpoint that uses it starts, and disconnects when the last one closes.
 *
 * @example
 * const broker = mqttConnection({
 *   url: 'mqtt://127.0.0.1:1883',
 *   clientId: 'orders-service',
 *   clean: false, // a persistent session: messages published while away arrive after a reconnect
 *   protocolVersion: 5,
 *   reconnectPeriodMs: 500,
 * });
 * engine.addSource(mqttSource({ connection: broker, topic: 'orders/+/created', qos: 1, route: 'orders' }));
 */
export function mqttConnection(options: MqttConnectionOptions): MqttConnection {
  return new MqttConnection(options);
}
