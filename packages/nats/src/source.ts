/**
 * The core NATS source: subscribes to a subject (wildcards `*` and `>`), optionally in a queue group so
 * that several engines share the messages, and runs each message through a route. When a message carries
 * a reply subject (a request), the route's reply is sent back: the message as the route left it when the
 * route completed or responded, or an error reply (headers `Nats-Service-Error` and
 * `Nats-Service-Error-Code`, the NATS services convention) when it failed. A dropped request is not
 * answered.
 *
 * Core NATS is at-most-once: there is no acknowledgement, so a message whose route fails is not delivered
 * again, and messages published while nobody subscribes are not kept. Use {@link jetStreamSource} where
 * messages must survive failures.
 *
 * @module
 */
import {
  coreErrors,
  type Engine,
  type Exchange,
  type Mediator,
  reasonOf,
  type Source,
  type Step,
  sequence,
  type TransportInfo,
} from '@mediary/core';
import {
  type Msg,
  type NatsConnection as NatsClient,
  headers as natsHeaders,
  type Subscription,
} from '@nats-io/transport-node';
import type { NatsConnection } from './connection.js';
import { natsErrors } from './errors.js';
import { type HeaderMapping, toHeaders, toMessage } from './internal/mapping.js';

/** Options of {@link natsSource}. */
export interface NatsSourceOptions {
  readonly connection: NatsConnection;
  /** The subject: `orders.created`, `orders.*`, `orders.>`. */
  readonly subject: string;
  /** Engines subscribed with the same queue group share the messages: each goes to one of them. */
  readonly queueGroup?: string;
  /** The route each message runs through: a route id registered on the engine, or the steps themselves. */
  readonly route: string | readonly Step[];
  /** Shows in logs and events. Default `nats:<subject>`. */
  readonly name?: string;
  /** Most messages in flight; further ones wait in NATS.js's buffer. Default 100. */
  readonly maxInFlight?: number;
  /** Which headers of the reply go back to a requester. Default: all but hop-by-hop HTTP headers. */
  readonly replyHeaders?: HeaderMapping;
}

/** What happened to the messages of a source so far. */
export interface NatsSourceStats {
  readonly delivered: number;
  readonly completed: number;
  readonly failed: number;
  readonly replied: number;
}

/** A core NATS subscriber. Create it with {@link natsSource}. */
export class NatsSource implements Source {
  readonly name: string;
  readonly subject: string;
  readonly #options: NatsSourceOptions;
  readonly #maxInFlight: number;
  readonly #inFlight = new Set<Promise<void>>();
  #slotFree: (() => void) | undefined;
  #engine: Engine | undefined;
  #target: string | Mediator | undefined;
  #subscription: Subscription | undefined;
  #unlisten: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #acquired = false;
  #stopping = false;
  readonly #stats = { delivered: 0, completed: 0, failed: 0, replied: 0 };

  constructor(options: NatsSourceOptions) {
    const max = options.maxInFlight ?? 100;
    if (!Number.isInteger(max) || max < 1) {
      throw natsErrors.INVALID_OPTIONS({
        component: 'source',
        reason: 'maxInFlight must be a positive integer',
      });
    }
    this.#options = options;
    this.#maxInFlight = max;
    this.subject = options.subject;
    this.name = options.name ?? `nats:${options.subject}`;
  }

  get stats(): NatsSourceStats {
    return { ...this.#stats };
  }

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
    connection.acquire();
    this.#acquired = true;
    const client = await connection.whenOpen(connection.connectTimeoutMs);
    // Subscribed now, so start() resolves with the subscription in place; a replacement connection
    // (after NATS.js gave up on the old one) subscribes again through the listener.
    this.#subscribe(client);
    await client.flush();
    this.#unlisten = connection.subscribe({
      opened: (next) => {
        if (next !== client || !this.#subscription) this.#subscribe(next);
      },
    });
  }

  /** Unsubscribes after the messages already received are handed over; in-flight ones finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#unlisten?.();
    this.#unlisten = undefined;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    this.#slotFree?.();
    if (subscription && !subscription.isClosed()) await subscription.drain().catch(() => undefined);
    await this.#loop;
  }

  async close(): Promise<void> {
    await this.stop();
    await Promise.allSettled([...this.#inFlight]);
    if (this.#acquired) {
      this.#acquired = false;
      await this.#options.connection.client?.flush().catch(() => undefined);
      await this.#options.connection.release();
    }
    if (this.#engine) this.#options.connection.detach(this.#engine);
  }

  #subscribe(client: NatsClient): void {
    if (this.#stopping) return;
    const { queueGroup } = this.#options;
    const subscription = client.subscribe(
      this.subject,
      queueGroup === undefined ? {} : { queue: queueGroup },
    );
    this.#subscription = subscription;
    this.#loop = this.#consume(subscription);
  }

  async #consume(subscription: Subscription): Promise<void> {
    for await (const msg of subscription) {
      const handled = this.#handle(msg).finally(() => {
        this.#inFlight.delete(handled);
        this.#slotFree?.();
      });
      this.#inFlight.add(handled);
      while (this.#inFlight.size >= this.#maxInFlight && !this.#stopping) {
        await new Promise<void>((resolve) => {
          this.#slotFree = resolve;
        });
        this.#slotFree = undefined;
      }
    }
  }

  async #handle(msg: Msg): Promise<void> {
    const engine = this.#engine!;
    this.#stats.delivered++;
    let exchange: Exchange | undefined;
    try {
      exchange = await engine.dispatch(this.#target!, toMessage(msg, engine.limits), {
        transport: this.#transport(msg),
      });
    } catch (error) {
      // dispatch never throws; mapping the message might.
      this.#options.connection.report(
        this.name,
        coreErrors.INTERNAL({}, { cause: error }),
        'nats message could not be read',
      );
    }
    if (exchange?.ok) this.#stats.completed++;
    else this.#stats.failed++;
    if (msg.reply && exchange) await this.#reply(msg, exchange);
  }

  #transport(msg: Msg): TransportInfo {
    return {
      name: 'nats',
      params: {},
      query: {},
      props: {
        subject: msg.subject,
        ...(msg.reply ? { reply: msg.reply } : {}),
        ...(this.#options.queueGroup === undefined ? {} : { queueGroup: this.#options.queueGroup }),
      },
    };
  }

  async #reply(msg: Msg, exchange: Exchange): Promise<void> {
    try {
      if (exchange.ok) {
        if (exchange.outcome === 'drop') return;
        const reply = exchange.message;
        const headers = toHeaders(reply, this.#options.replyHeaders);
        msg.respond(await reply.bytes(), headers ? { headers } : {});
      } else {
        const { error } = exchange;
        const headers = natsHeaders();
        headers.set('Nats-Service-Error', error.message.replace(/[\r\n]+/g, ' ').slice(0, 200));
        headers.set('Nats-Service-Error-Code', String(error.status));
        headers.set('content-type', 'application/json');
        msg.respond(JSON.stringify({ error: error.toJSON() }), { headers });
      }
      this.#stats.replied++;
    } catch (error) {
      this.#options.connection.report(
        this.name,
        natsErrors.PUBLISH_FAILED({ subject: msg.reply ?? '', reason: reasonOf(error) }, { cause: error }),
        'nats reply could not be sent',
      );
    }
  }
}

/**
 * Creates a source that subscribes to a core NATS subject and runs each message through a route; requests
 * get the route's reply.
 *
 * @example
 * const nats = natsConnection({ servers: 'nats://127.0.0.1:4222' });
 * engine.addRoute({ id: 'quote', steps: [call('pricing'), respond()] });
 * engine.addSource(natsSource({ connection: nats, subject: 'quotes.request', queueGroup: 'pricing', route: 'quote' }));
 */
export function natsSource(options: NatsSourceOptions): NatsSource {
  return new NatsSource(options);
}
