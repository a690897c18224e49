/**
 * The outbound MQTT endpoint: publishes the message to a topic (fixed, or computed from the message
 * context) with a QoS and the retain flag. A send resolves once the broker acknowledged the publish
 * (PUBACK for QoS 1, PUBCOMP for QoS 2; at once for QoS 0) with an empty reply of status 202.
 *
 * While the connection is down a send waits for it to come back (up to `publishTimeoutMs` on the engine
 * clock) and then fails with a retryable error. A QoS 1/2 publish caught by a connection loss is sent
 * again by the client after the reconnect (at-least-once: the broker may then have it twice).
 *
 * @module
 */
import {
  createMessage,
  type Endpoint,
  type Expr,
  evaluate,
  type Message,
  type MessageContext,
} from '@mediary/core';
import type { MqttConnection } from './connection.js';
import { mqttErrors } from './errors.js';
import { type HeaderMapping, payloadOf, toPublishProperties } from './internal/mapping.js';
import { topicProblem } from './internal/topic-filter.js';

export type { HeaderMapping } from './internal/mapping.js';

/** Options of {@link mqttEndpoint}. */
export interface MqttEndpointOptions {
  readonly connection: MqttConnection;
  /** The topic, or an expression of the message context that computes it (no wildcards). */
  readonly topic: string | Expr<string>;
  /** Default 1. */
  readonly qos?: 0 | 1 | 2;
  /** The broker keeps the message as the topic's retained message, for future subscribers. Default false. */
  readonly retain?: boolean;
  /** The name routes `call()` and tests mock it by. Default `mqtt:<topic>` (or `mqtt:<connection>`). */
  readonly name?: string;
  /** Which headers become MQTT 5 user properties. Default: all but hop-by-hop HTTP headers. */
  readonly headers?: HeaderMapping;
  /** MQTT 5 message expiry: the broker discards the message if not delivered within this many seconds. */
  readonly messageExpirySeconds?: number;
  /** How long a send waits for the connection and the broker's acknowledgement. Default 10 000 ms. */
  readonly publishTimeoutMs?: number;
}

/** A topic publisher. Create it with {@link mqttEndpoint}. */
export class MqttEndpoint implements Endpoint {
  readonly name: string;
  readonly #options: MqttEndpointOptions;
  readonly #timeoutMs: number;
  #acquired = false;

  constructor(options: MqttEndpointOptions) {
    if (typeof options.topic === 'string') {
      const problem = topicProblem(options.topic);
      if (problem !== undefined) {
        throw mqttErrors.INVALID_OPTIONS({
          component: 'endpoint',
          reason: `topic ${options.topic}: ${problem}`,
        });
      }
    }
    this.#options = options;
    this.#timeoutMs = options.publishTimeoutMs ?? 10_000;
    this.name =
      options.name ?? `mqtt:${typeof options.topic === 'string' ? options.topic : options.connection.name}`;
  }

  async send(message: Message, ctx: MessageContext): Promise<Message> {
    const { connection, qos = 1, retain = false } = this.#options;
    const topic = await evaluate(this.#options.topic, ctx);
    const problem = typeof topic === 'string' ? topicProblem(topic) : 'the topic expression gave no string';
    if (problem !== undefined) throw mqttErrors.TOPIC_INVALID({ topic: String(topic), reason: problem });
    if (!this.#acquired) {
      this.#acquired = true;
      connection.attach(ctx.engine);
      connection.acquire();
    }
    const payload = await payloadOf(message);
    const properties = toPublishProperties(message, this.#options.headers);
    if (properties && this.#options.messageExpirySeconds !== undefined) {
      properties.messageExpiryInterval = this.#options.messageExpirySeconds;
    }
    await connection.publish(
      topic,
      payload,
      { qos, retain, ...(properties ? { properties } : {}) },
      { timeoutMs: this.#timeoutMs, context: ctx },
    );
    return createMessage({ status: 202 });
  }

  /** Releases the connection (the engine calls this on stop). */
  async close(): Promise<void> {
    if (!this.#acquired) return;
    this.#acquired = false;
    await this.#options.connection.release();
  }
}

/**
 * Creates an endpoint that publishes messages to an MQTT topic. With MQTT 5, headers travel as user
 * properties, the content type as `contentType`, `correlation-id` as correlation data and `reply-to` as
 * the response topic.
 *
 * @example
 * const broker = mqttConnection({ url: 'mqtt://127.0.0.1:1883', clientId: 'dispatcher' });
 * engine.addEndpoint(
 *   mqttEndpoint({
 *     name: 'device-commands',
 *     connection: broker,
 *     topic: (ctx) => `devices/${ctx.vars.deviceId}/commands`,
 *     qos: 1,
 *   }),
 * );
 * engine.addRoute({ id: 'command', steps: [call('device-commands')] });
 */
export function mqttEndpoint(options: MqttEndpointOptions): MqttEndpoint {
  return new MqttEndpoint(options);
}
