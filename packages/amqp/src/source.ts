/**
 * The inbound AMQP source: consumes a queue and runs each delivery through a route. A delivery is
 * acknowledged only when its route finished — completed, responded or deliberately dropped — and
 * negatively acknowledged otherwise: requeued for another try, or dead-lettered. At most `prefetch`
 * deliveries are in flight at once.
 *
 * Poison messages (ones that fail every time) are bounded by `maxDeliveries`. Deliveries are counted with
 * the broker's `x-delivery-count` header where the queue keeps one (quorum queues), and otherwise with an
 * `x-mediary-attempts` header: a failed delivery is republished to the tail of its queue with the count
 * raised (publisher-confirmed, then the original is acknowledged). Once a message reached the bound it goes
 * to the dead-letter place and is acknowledged.
 *
 * @module
 */
import {
  coreErrors,
  type Engine,
  type Exchange,
  type MediaryError,
  type Mediator,
  type Source,
  type Step,
  sequence,
  type TransportInfo,
} from '@mediary/core';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { type AmqpConnection, reasonOf } from './connection.js';
import { amqpErrors } from './errors.js';
import { ManagedChannel } from './internal/managed-channel.js';
import { CONTROL_PREFIX, toMessage } from './internal/mapping.js';
import { publishConfirmed } from './internal/publish.js';
import { declareQueue, type QueueDeclaration } from './internal/topology.js';

export type { BindingDeclaration, ExchangeDeclaration, QueueDeclaration } from './internal/topology.js';

/** Failed deliveries republished so far (set by this package when it counts deliveries itself). */
const ATTEMPTS_HEADER = `${CONTROL_PREFIX}attempts`;
/** The exchange and routing key a republished message first arrived with. */
const EXCHANGE_HEADER = `${CONTROL_PREFIX}exchange`;
const ROUTING_KEY_HEADER = `${CONTROL_PREFIX}routing-key`;
/** The broker's own delivery count (quorum queues). */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/** Where dead-lettered messages are published, when not to the queue's own dead-letter exchange. */
export interface DeadLetterTarget {
  readonly exchange: string;
  /** Default: the routing key the message arrived with. */
  readonly routingKey?: string;
}

/** Options of {@link amqpSource}. */
export interface AmqpSourceOptions {
  readonly connection: AmqpConnection;
  /** The queue to consume. */
  readonly queue: string;
  /** The route each delivery runs through: a route id registered on the engine, or the steps themselves. */
  readonly route: string | readonly Step[];
  /** Shows in logs and events. Default `amqp:<queue>`. */
  readonly name?: string;
  /** Most deliveries in flight (unacknowledged) at once. Default 10. `1` keeps the queue's order. */
  readonly prefetch?: number;
  /**
   * Topology declared on every (re)connect. Default `{}`: a durable classic queue without arguments.
   * `false` declares nothing (the queue exists, with arguments of its own).
   */
  readonly declare?: QueueDeclaration | false;
  /**
   * What a failed route does to its delivery. `requeue` (default) gives it back for another try;
   * `dead-letter` nacks it without requeue, so the broker moves it to the queue's dead-letter exchange (or
   * it is published to `deadLetter`).
   */
  readonly onFailure?: 'requeue' | 'dead-letter';
  /**
   * Bounds the deliveries of a message that keeps failing under `requeue`: the delivery that reaches this
   * count and fails is dead-lettered and acknowledged. Default: unbounded.
   */
  readonly maxDeliveries?: number;
  /**
   * Publish dead-lettered messages here (confirmed, then acknowledge the original) instead of nacking them
   * to the queue's dead-letter exchange. Without it, a queue that has no dead-letter exchange drops them.
   */
  readonly deadLetter?: DeadLetterTarget;
  /** Consumer options: tag, exclusive, priority. */
  readonly consumer?: { readonly tag?: string; readonly exclusive?: boolean; readonly priority?: number };
}

/** What happened to the deliveries of a source so far. */
export interface AmqpSourceStats {
  /** Deliveries received (redeliveries count again). */
  readonly delivered: number;
  readonly acked: number;
  /** Nacked with requeue, or republished with one more attempt counted. */
  readonly requeued: number;
  /** Nacked without requeue or published to the dead-letter target. */
  readonly deadLettered: number;
  /**
   * Deliveries whose channel closed before they could be settled: the broker redelivers them, so each one
   * may be processed twice (at-least-once).
   */
  readonly unsettled: number;
}

type Settlement = 'ack' | 'requeue' | 'dead-letter' | 'republish';

/** How long `close()` waits for deliveries whose routes ignore the engine's abort. */
const CLOSE_GRACE_MS = 2000;

/** A queue consumer. Create it with {@link amqpSource}. */
export class AmqpSource implements Source {
  readonly name: string;
  readonly queue: string;
  readonly #options: AmqpSourceOptions;
  readonly #prefetch: number;
  readonly #inFlight = new Set<Promise<void>>();
  #channel: ManagedChannel | undefined;
  #engine: Engine | undefined;
  #target: string | Mediator | undefined;
  #consumerTag: string | undefined;
  #stopping = false;
  readonly #stats = { delivered: 0, acked: 0, requeued: 0, deadLettered: 0, unsettled: 0 };

  constructor(options: AmqpSourceOptions) {
    const prefetch = options.prefetch ?? 10;
    if (!Number.isInteger(prefetch) || prefetch < 1) {
      throw amqpErrors.INVALID_OPTIONS({
        component: 'source',
        reason: 'prefetch must be a positive integer',
      });
    }
    const max = options.maxDeliveries;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
      throw amqpErrors.INVALID_OPTIONS({
        component: 'source',
        reason: 'maxDeliveries must be a positive integer',
      });
    }
    this.#options = options;
    this.#prefetch = prefetch;
    this.queue = options.queue;
    this.name = options.name ?? `amqp:${options.queue}`;
  }

  /** Counts of what happened to deliveries so far. */
  get stats(): AmqpSourceStats {
    return { ...this.#stats };
  }

  /** Deliveries being processed now (never more than `prefetch`). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  async start(engine: Engine): Promise<void> {
    const { connection, route } = this.#options;
    // Fails now with MEDIARY_ROUTE_NOT_FOUND rather than nacking every delivery into a redelivery loop.
    if (typeof route === 'string') engine.route(route);
    this.#engine = engine;
    this.#stopping = false;
    this.#target =
      typeof route === 'string' ? route : sequence(route as Step[], { name: this.name, id: this.name });
    connection.attach(engine);
    this.#channel = new ManagedChannel(connection, {
      component: 'source',
      name: this.name,
      confirm: true,
      setup: (channel) => this.#setup(channel),
    });
    await this.#channel.open();
  }

  /** Cancels the consumer: the broker sends no new deliveries; the ones in flight finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const channel = this.#channel?.current;
    const tag = this.#consumerTag;
    this.#consumerTag = undefined;
    if (channel && tag) await channel.cancel(tag).catch(() => undefined);
  }

  /**
   * Waits for in-flight deliveries to be settled, then closes the channel. The engine calls this after its
   * drain, when every route has finished or been aborted; a route that ignores the abort is not waited for
   * longer than `CLOSE_GRACE_MS` — closing the channel hands its message back to the broker.
   */
  async close(): Promise<void> {
    this.#stopping = true;
    await settledWithin([...this.#inFlight], CLOSE_GRACE_MS);
    await this.#channel?.close();
    this.#channel = undefined;
  }

  async #setup(channel: ConfirmChannel): Promise<void> {
    const { declare, queue, consumer } = this.#options;
    if (declare !== false) await declareQueue(channel, queue, declare ?? {});
    await channel.prefetch(this.#prefetch);
    if (this.#stopping) return;
    const { consumerTag } = await channel.consume(
      queue,
      (delivery) => {
        if (delivery === null) {
          this.#cancelled();
          return;
        }
        const handled = this.#handle(channel, delivery).finally(() => this.#inFlight.delete(handled));
        this.#inFlight.add(handled);
      },
      {
        noAck: false,
        ...(consumer?.tag === undefined ? {} : { consumerTag: consumer.tag }),
        ...(consumer?.exclusive === undefined ? {} : { exclusive: consumer.exclusive }),
        ...(consumer?.priority === undefined ? {} : { priority: consumer.priority }),
      },
    );
    this.#consumerTag = consumerTag;
  }

  #cancelled(): void {
    // The queue was deleted or failed over: a fresh channel re-declares and consumes again.
    const error = amqpErrors.CONSUMER_CANCELLED({ queue: this.queue });
    this.#options.connection.report(this.name, error, 'amqp consumer cancelled by the broker, re-opening', {
      queue: this.queue,
    });
    if (!this.#stopping) this.#channel?.reset();
  }

  async #handle(channel: ConfirmChannel, delivery: ConsumeMessage): Promise<void> {
    const engine = this.#engine!;
    this.#stats.delivered++;
    const deliveries = deliveriesOf(delivery);
    let settlement: Settlement;
    try {
      const message = toMessage(delivery, engine.limits);
      const correlationId = delivery.properties.correlationId;
      const exchange = await engine.dispatch(this.#target!, message, {
        transport: this.#transport(delivery, deliveries),
        ...(typeof correlationId === 'string' ? { correlationId } : {}),
      });
      settlement = this.#settlementOf(exchange, deliveries);
    } catch (error) {
      // dispatch never throws; reading the delivery might. Treat it as a failed route.
      const failure = coreErrors.INTERNAL({}, { cause: error });
      settlement = this.#failureSettlement(failure, deliveries);
    }
    await this.#settle(channel, delivery, settlement, deliveries);
  }

  #transport(delivery: ConsumeMessage, deliveries: number): TransportInfo {
    const headers = delivery.properties.headers ?? {};
    return {
      name: 'amqp',
      params: {},
      query: {},
      props: {
        exchange: stringHeader(headers[EXCHANGE_HEADER]) ?? delivery.fields.exchange,
        routingKey: stringHeader(headers[ROUTING_KEY_HEADER]) ?? delivery.fields.routingKey,
        deliveryTag: delivery.fields.deliveryTag,
        redelivered: delivery.fields.redelivered || deliveries > 1,
        queue: this.queue,
        consumerTag: delivery.fields.consumerTag,
        deliveries,
      },
    };
  }

  #settlementOf(exchange: Exchange, deliveries: number): Settlement {
    if (exchange.ok) return 'ack';
    const { error, context } = exchange;
    // Interrupted by shutdown: not the message's fault, so it goes back whatever onFailure says.
    if (coreErrors.ENGINE_STOPPING.is(error) || (this.#stopping && context.signal.aborted)) return 'requeue';
    return this.#failureSettlement(error, deliveries);
  }

  #failureSettlement(error: MediaryError, deliveries: number): Settlement {
    const { onFailure = 'requeue', maxDeliveries } = this.#options;
    if (onFailure === 'dead-letter') return 'dead-letter';
    if (maxDeliveries === undefined) return 'requeue';
    if (deliveries >= maxDeliveries) {
      this.#options.connection.report(
        this.name,
        amqpErrors.POISON_MESSAGE({ queue: this.queue, deliveries }, { cause: error }),
        'amqp message failed too often, dead-lettering it',
        { queue: this.queue, deliveries },
      );
      return 'dead-letter';
    }
    return 'republish';
  }

  async #settle(
    channel: ConfirmChannel,
    delivery: ConsumeMessage,
    settlement: Settlement,
    deliveries: number,
  ): Promise<void> {
    if (this.#channel?.current !== channel) {
      // The channel closed under this delivery: the broker gives it to a consumer again.
      this.#stats.unsettled++;
      return;
    }
    try {
      switch (settlement) {
        case 'ack':
          channel.ack(delivery);
          this.#stats.acked++;
          return;
        case 'requeue':
          channel.nack(delivery, false, true);
          this.#stats.requeued++;
          return;
        case 'republish':
          if (DELIVERY_COUNT_HEADER in (delivery.properties.headers ?? {})) {
            // The broker counts deliveries of this queue: a plain requeue keeps the message's place.
            channel.nack(delivery, false, true);
          } else {
            await this.#republish(channel, delivery, deliveries);
            channel.ack(delivery);
          }
          this.#stats.requeued++;
          return;
        case 'dead-letter':
          await this.#deadLetter(channel, delivery);
          this.#stats.deadLettered++;
          return;
      }
    } catch (error) {
      this.#stats.unsettled++;
      const failure = amqpErrors.SETTLE_FAILED(
        {
          queue: this.queue,
          deliveryTag: delivery.fields.deliveryTag,
          action: settlement,
          reason: reasonOf(error),
        },
        { cause: error },
      );
      this.#options.connection.report(this.name, failure, 'amqp delivery could not be settled', {
        queue: this.queue,
      });
    }
  }

  /** Puts a copy with one more failed attempt counted at the tail of the queue. */
  async #republish(channel: ConfirmChannel, delivery: ConsumeMessage, deliveries: number): Promise<void> {
    const { properties, fields } = delivery;
    const headers = { ...properties.headers };
    headers[ATTEMPTS_HEADER] = deliveries;
    headers[EXCHANGE_HEADER] ??= fields.exchange;
    headers[ROUTING_KEY_HEADER] ??= fields.routingKey;
    await publishConfirmed(channel, { exchange: '', routingKey: this.queue }, delivery.content, {
      ...publishPropertiesOf(properties),
      headers,
    });
  }

  async #deadLetter(channel: ConfirmChannel, delivery: ConsumeMessage): Promise<void> {
    const target = this.#options.deadLetter;
    if (!target) {
      channel.nack(delivery, false, false);
      return;
    }
    const headers = delivery.properties.headers ?? {};
    const routingKey =
      target.routingKey ?? stringHeader(headers[ROUTING_KEY_HEADER]) ?? delivery.fields.routingKey;
    await publishConfirmed(
      channel,
      { exchange: target.exchange, routingKey },
      delivery.content,
      publishPropertiesOf(delivery.properties),
    );
    channel.ack(delivery);
  }
}

/**
 * Waits for `promises` for at most `ms` of wall time. Like the engine's own drain deadline, this bounds a
 * shutdown, so it is measured on the real clock: a fake clock that nobody ticks must not hang a stop.
 */
function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    Promise.allSettled(promises)
      .then(() => {
        clearTimeout(timer);
        resolve();
      })
      .catch(() => resolve());
  });
}

/** Which delivery of the message this is: 1 for the first. */
function deliveriesOf(delivery: ConsumeMessage): number {
  const headers = delivery.properties.headers ?? {};
  const republished = Number(headers[ATTEMPTS_HEADER] ?? 0);
  const counted = Number(headers[DELIVERY_COUNT_HEADER] ?? 0);
  return 1 + Math.max(Number.isFinite(republished) ? republished : 0, Number.isFinite(counted) ? counted : 0);
}

function stringHeader(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** A delivery's properties as publish options (for republishing and dead-lettering a copy). */
function publishPropertiesOf(properties: ConsumeMessage['properties']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

/**
 * Creates a source that consumes an AMQP queue and runs each delivery through a route, acknowledging it
 * only when the route finished.
 *
 * @example
 * const rabbit = amqpConnection({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * engine.addRoute({ id: 'orders', steps: [call('warehouse')] });
 * engine.addSource(
 *   amqpSource({
 *     connection: rabbit,
 *     queue: 'orders',
 *     route: 'orders',
 *     prefetch: 20,
 *     declare: { deadLetter: { exchange: 'orders.dlx', queue: 'orders.dead' } },
 *     onFailure: 'requeue',
 *     maxDeliveries: 5,
 *   }),
 * );
 */
export function amqpSource(options: AmqpSourceOptions): AmqpSource {
  return new AmqpSource(options);
}
