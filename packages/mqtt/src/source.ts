/**
 * The inbound MQTT source: subscribes to a topic filter (wildcards `+` and `#`, shared subscriptions
 * `$share/<group>/<filter>`) and runs each message through a route.
 *
 * Acknowledgement waits for the route. A QoS 1 message is PUBACKed (a QoS 2 one PUBRECed) only once its
 * route finished — completed, responded or deliberately dropped — or it was dead-lettered. What MQTT
 * cannot do is a negative acknowledgement: there is no NACK packet, a PUBACK with an error reason code
 * (MQTT 5) still ends the delivery, and a broker redelivers an unacknowledged message only when the client
 * reconnects to the same persistent session. So a failed route, by `onFailure`:
 * - `redeliver` (the default for persistent sessions): the message is left unacknowledged and the
 *   connection is dropped and re-established after a back-off, so the broker sends it again (flagged
 *   `dup`) — together with any other unacknowledged message of the session;
 * - `dead-letter`: the message is published to `deadLetterTopic` (QoS 1, acknowledged by the broker), then
 *   acknowledged;
 * - `drop`: the message is acknowledged (MQTT 5 reason code 0x80) and reported.
 * A poison message is bounded by `maxDeliveries`: its deliveries are counted by packet identifier and
 * `dup` flag; the delivery that reaches the bound and fails is dead-lettered (or dropped, without a
 * dead-letter topic) and acknowledged. QoS 0 messages have no acknowledgement: a failure dead-letters or
 * drops them.
 *
 * @module
 */
import {
  backoffDelay,
  coreErrors,
  type Engine,
  type Exchange,
  type MediaryError,
  type Mediator,
  reasonOf,
  type Source,
  type Step,
  sequence,
  type TransportInfo,
} from '@mediary/core';
import type { InboundDelivery, MqttConnection } from './connection.js';
import { mqttErrors } from './errors.js';
import { CORRELATION_HEADER, payloadOf, toMessage, toPublishProperties } from './internal/mapping.js';
import { type DeliveryKey, RedeliveryCounter } from './internal/redeliveries.js';
import { filterProblem, topicProblem } from './internal/topic-filter.js';

/** PUBACK reason code "unspecified error" (MQTT 5): the message was not processed and will not be redelivered. */
const UNSPECIFIED_ERROR = 0x80;
const SAFE_CORRELATION_ID = /^[\w.:-]{1,128}$/;

/** Options of {@link mqttSource}. */
export interface MqttSourceOptions {
  readonly connection: MqttConnection;
  /** The topic filter: `sensors/+/temperature`, `orders/#`, or a shared `$share/<group>/<filter>`. */
  readonly topic: string;
  /** The subscription's QoS. Default 1. */
  readonly qos?: 0 | 1 | 2;
  /** The route each message runs through: a route id registered on the engine, or the steps themselves. */
  readonly route: string | readonly Step[];
  /** Shows in logs and events. Default `mqtt:<topic>`. */
  readonly name?: string;
  /**
   * What a failed route does to its message (see the module comment). Default `redeliver` on a persistent
   * session, otherwise `dead-letter` when `deadLetterTopic` is set, otherwise `drop`.
   */
  readonly onFailure?: 'redeliver' | 'dead-letter' | 'drop';
  /**
   * Deliveries after which a message that keeps failing is dead-lettered (or dropped) and acknowledged.
   * Counted in this process. Default 5.
   */
  readonly maxDeliveries?: number;
  /** Where dead-lettered messages are published (QoS 1, same payload and properties). */
  readonly deadLetterTopic?: string;
  /**
   * Publish the route's reply to the message's response topic (`reply-to`) when the route ends with
   * `respond()` — MQTT 5 request-reply. Default true.
   */
  readonly reply?: boolean;
}

/** What happened to the messages of a source so far. */
export interface MqttSourceStats {
  /** Messages received (redeliveries count again). */
  readonly delivered: number;
  readonly acked: number;
  /** Failed messages left unacknowledged for the broker to redeliver. */
  readonly redelivered: number;
  readonly deadLettered: number;
  /** Failed messages acknowledged without being processed (QoS 0, `drop`, poison without a dead-letter topic). */
  readonly dropped: number;
  /** Messages left unacknowledged because the source was stopping (the broker keeps them for the session). */
  readonly held: number;
}

type Settlement = 'ack' | 'redeliver' | 'dead-letter' | 'drop' | 'hold';

/** A topic subscriber. Create it with {@link mqttSource}. */
export class MqttSource implements Source {
  readonly name: string;
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly #options: MqttSourceOptions;
  readonly #onFailure: 'redeliver' | 'dead-letter' | 'drop';
  readonly #maxDeliveries: number;
  readonly #counter = new RedeliveryCounter();
  readonly #inFlight = new Set<Promise<void>>();
  #engine: Engine | undefined;
  #target: string | Mediator | undefined;
  #registration: number | undefined;
  #acquired = false;
  #stopping = false;
  readonly #stats = { delivered: 0, acked: 0, redelivered: 0, deadLettered: 0, dropped: 0, held: 0 };

  constructor(options: MqttSourceOptions) {
    const { connection, deadLetterTopic } = options;
    const max = options.maxDeliveries ?? 5;
    if (!Number.isInteger(max) || max < 1) {
      throw mqttErrors.INVALID_OPTIONS({
        component: 'source',
        reason: 'maxDeliveries must be a positive integer',
      });
    }
    const onFailure =
      options.onFailure ??
      (!connection.clean ? 'redeliver' : deadLetterTopic !== undefined ? 'dead-letter' : 'drop');
    if (onFailure === 'dead-letter' && deadLetterTopic === undefined) {
      throw mqttErrors.INVALID_OPTIONS({
        component: 'source',
        reason: "onFailure 'dead-letter' needs a deadLetterTopic",
      });
    }
    if (onFailure === 'redeliver' && (connection.clean || options.qos === 0)) {
      throw mqttErrors.INVALID_OPTIONS({
        component: 'source',
        reason:
          "onFailure 'redeliver' needs QoS 1 or 2 and a persistent session (clean: false): a clean session loses unacknowledged messages on reconnect",
      });
    }
    const filter = filterProblem(options.topic);
    if (filter !== undefined) {
      throw mqttErrors.INVALID_OPTIONS({
        component: 'source',
        reason: `topic filter ${options.topic}: ${filter}`,
      });
    }
    const problem = deadLetterTopic === undefined ? undefined : topicProblem(deadLetterTopic);
    if (problem !== undefined) {
      throw mqttErrors.INVALID_OPTIONS({ component: 'source', reason: `deadLetterTopic: ${problem}` });
    }
    this.#options = options;
    this.#onFailure = onFailure;
    this.#maxDeliveries = max;
    this.topic = options.topic;
    this.qos = options.qos ?? 1;
    this.name = options.name ?? `mqtt:${options.topic}`;
  }

  get stats(): MqttSourceStats {
    return { ...this.#stats };
  }

  /** Messages being processed now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  async start(engine: Engine): Promise<void> {
    const { connection, route } = this.#options;
    this.#engine = engine;
    this.#stopping = false;
    this.#target =
      typeof route === 'string' ? route : sequence(route as Step[], { name: this.name, id: this.name });
    connection.attach(engine);
    this.#registration = connection.register({
      filter: this.topic,
      qos: this.qos,
      deliver: (delivery) => this.#receive(delivery),
    });
    connection.acquire();
    this.#acquired = true;
    await connection.subscribe(this.#registration);
  }

  /** Takes no new messages: they stay unacknowledged with the broker. In-flight ones finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
  }

  /** Waits for in-flight messages to be settled, then releases the connection. */
  async close(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#inFlight]);
    const { connection } = this.#options;
    if (this.#registration !== undefined) {
      // A persistent session keeps its subscription, so messages published while away are queued for it.
      await connection.unregister(this.#registration, { unsubscribe: connection.clean });
      this.#registration = undefined;
    }
    if (this.#acquired) {
      this.#acquired = false;
      // A held message blocks the connection's other subscriptions: hand it back to the broker.
      if (this.#stats.held > 0 && connection.users > 1) connection.recycle(connection.reconnectPeriodMs);
      await connection.release();
    }
    if (this.#engine) connection.detach(this.#engine);
  }

  #receive(delivery: InboundDelivery): void {
    const handled = this.#handle(delivery).finally(() => this.#inFlight.delete(handled));
    this.#inFlight.add(handled);
  }

  async #handle(delivery: InboundDelivery): Promise<void> {
    const { packet, topic } = delivery;
    if (this.#stopping) {
      // Not acknowledged: a persistent session's broker delivers it to the next consumer of the session.
      this.#settle(delivery, 'hold');
      return;
    }
    const engine = this.#engine!;
    this.#stats.delivered++;
    const key: DeliveryKey = {
      topic,
      messageId: packet.messageId,
      dup: packet.dup,
      payload: delivery.payload,
    };
    const deliveries = this.#counter.deliveryOf(key);
    let settlement: Settlement;
    let failure: MediaryError | undefined;
    try {
      const message = toMessage(packet, engine.limits);
      const correlation = message.headers.get(CORRELATION_HEADER);
      const exchange = await engine.dispatch(this.#target!, message, {
        transport: this.#transport(delivery, deliveries),
        ...(correlation !== undefined && SAFE_CORRELATION_ID.test(correlation)
          ? { correlationId: correlation }
          : {}),
      });
      if (exchange.ok) await this.#reply(delivery, exchange);
      settlement = this.#settlementOf(exchange, deliveries);
      if (!exchange.ok) failure = exchange.error;
    } catch (error) {
      // dispatch never throws; mapping the packet or publishing the reply might. A failed route, then.
      failure = coreErrors.INTERNAL({}, { cause: error });
      settlement = this.#failureSettlement(failure, deliveries);
    }
    if (settlement === 'dead-letter') settlement = await this.#deadLetter(delivery, deliveries);
    if (settlement === 'redeliver') this.#counter.failed(key, deliveries);
    else if (settlement !== 'hold') this.#counter.settled(key);
    if (settlement === 'drop') {
      this.#options.connection.report(
        this.name,
        mqttErrors.MESSAGE_DROPPED(
          { topic, reason: packet.qos === 0 ? 'QoS 0 has no redelivery' : `onFailure is ${this.#onFailure}` },
          { cause: failure },
        ),
        'mqtt message failed and was dropped',
        { topic },
      );
    }
    this.#settle(delivery, settlement, deliveries);
  }

  #transport(delivery: InboundDelivery, deliveries: number): TransportInfo {
    const { packet } = delivery;
    return {
      name: 'mqtt',
      params: {},
      query: {},
      props: {
        topic: delivery.topic,
        subscription: this.topic,
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        messageId: packet.messageId,
        deliveries,
        ...(packet.properties?.messageExpiryInterval === undefined
          ? {}
          : { messageExpirySeconds: packet.properties.messageExpiryInterval }),
      },
    };
  }

  #settlementOf(exchange: Exchange, deliveries: number): Settlement {
    if (exchange.ok) return 'ack';
    const { error, context } = exchange;
    // Interrupted by shutdown: not the message's fault, so it stays with the broker for the next session.
    if (coreErrors.ENGINE_STOPPING.is(error) || (this.#stopping && context.signal.aborted)) return 'hold';
    return this.#failureSettlement(error, deliveries);
  }

  #failureSettlement(error: MediaryError, deliveries: number): Settlement {
    const onFailure = this.#onFailure;
    if (this.qos === 0 || onFailure === 'drop') {
      return this.#options.deadLetterTopic === undefined ? 'drop' : 'dead-letter';
    }
    if (onFailure === 'dead-letter') return 'dead-letter';
    if (deliveries < this.#maxDeliveries) return 'redeliver';
    const deadLetter = this.#options.deadLetterTopic !== undefined;
    this.#options.connection.report(
      this.name,
      mqttErrors.POISON_MESSAGE(
        { topic: this.topic, deliveries, action: deadLetter ? 'dead-lettered' : 'dropped' },
        { cause: error },
      ),
      'mqtt message failed too often',
      { topic: this.topic, deliveries },
    );
    return deadLetter ? 'dead-letter' : 'drop';
  }

  /** Publishes the route's reply to the response topic (MQTT 5 request-reply). */
  async #reply(delivery: InboundDelivery, exchange: Exchange & { ok: true }): Promise<void> {
    const responseTopic = delivery.packet.properties?.responseTopic;
    if (exchange.outcome !== 'respond' || responseTopic === undefined || this.#options.reply === false)
      return;
    const reply = exchange.message;
    const correlation = delivery.packet.properties?.correlationData;
    const properties = toPublishProperties(reply);
    if (properties) {
      delete properties.responseTopic;
      if (correlation !== undefined) properties.correlationData = correlation;
      else delete properties.correlationData;
    }
    const { connection } = this.#options;
    await connection.publish(
      responseTopic,
      await payloadOf(reply),
      { qos: this.qos === 0 ? 0 : 1, ...(properties ? { properties } : {}) },
      { timeoutMs: connection.connectTimeoutMs },
    );
  }

  /** Publishes a copy to the dead-letter topic; `redeliver` (or `hold`) when that fails, so nothing is lost. */
  async #deadLetter(delivery: InboundDelivery, deliveries: number): Promise<Settlement> {
    const { connection, deadLetterTopic } = this.#options;
    if (deadLetterTopic === undefined) return 'drop';
    try {
      const original = toMessage(delivery.packet);
      original.headers.set('x-mqtt-topic', delivery.topic);
      original.headers.set('x-mqtt-deliveries', String(deliveries));
      const properties = toPublishProperties(original);
      await connection.publish(
        deadLetterTopic,
        delivery.payload,
        { qos: 1, ...(properties ? { properties } : {}) },
        { timeoutMs: connection.connectTimeoutMs },
      );
      return 'dead-letter';
    } catch (error) {
      connection.report(
        this.name,
        mqttErrors.PUBLISH_FAILED({ topic: deadLetterTopic, reason: reasonOf(error) }, { cause: error }),
        'mqtt message could not be dead-lettered',
        { topic: delivery.topic },
      );
      return delivery.packet.qos === 0 ? 'drop' : this.#stopping ? 'hold' : 'redeliver';
    }
  }

  #settle(delivery: InboundDelivery, settlement: Settlement, deliveries = 1): void {
    const { connection } = this.#options;
    const v5 = connection.protocolVersion === 5;
    switch (settlement) {
      case 'ack':
        delivery.settle(0);
        this.#stats.acked++;
        return;
      case 'dead-letter':
        delivery.settle(0);
        this.#stats.deadLettered++;
        return;
      case 'drop':
        delivery.settle(v5 && delivery.packet.qos > 0 ? UNSPECIFIED_ERROR : 0);
        this.#stats.dropped++;
        return;
      case 'hold':
        if (delivery.packet.qos === 0) {
          // Nothing to hold: QoS 0 messages are gone once received.
          delivery.settle();
          this.#stats.dropped++;
          return;
        }
        this.#stats.held++;
        return;
      case 'redeliver':
        this.#stats.redelivered++;
        // Left unacknowledged; the reconnect makes the broker send it again. Spaced out per failure.
        connection.recycle(
          backoffDelay(deliveries - 1, {
            initialDelayMs: connection.reconnectPeriodMs,
            maxDelayMs: connection.maxReconnectPeriodMs,
          }),
        );
        return;
    }
  }
}

/**
 * Creates a source that subscribes to an MQTT topic filter and runs each message through a route,
 * acknowledging QoS 1/2 messages only once the route finished.
 *
 * @example
 * const broker = mqttConnection({ url: 'mqtt://127.0.0.1:1883', clientId: 'telemetry', clean: false });
 * engine.addRoute({ id: 'readings', steps: [call('timeseries')] });
 * engine.addSource(
 *   mqttSource({
 *     connection: broker,
 *     topic: 'sensors/+/temperature',
 *     qos: 1,
 *     route: 'readings',
 *     maxDeliveries: 5,
 *     deadLetterTopic: 'sensors/dead',
 *   }),
 * );
 */
export function mqttSource(options: MqttSourceOptions): MqttSource {
  return new MqttSource(options);
}
