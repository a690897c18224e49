/**
 * The outbound AMQP endpoint: publishes the message to an exchange. One-way by default — the reply is an
 * empty message with status 202 once the broker confirmed the publish — or request-reply, where the reply
 * is the message that comes back with the same correlation id (on RabbitMQ's direct reply-to pseudo-queue
 * or a reply queue of the endpoint's own).
 *
 * While the connection is down a send waits for it to come back (up to `publishTimeoutMs` on the engine
 * clock) and then fails with a retryable error, so a `retry(...)` wrapper or a store-and-forward processor
 * can try again later.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  type Clock,
  createMessage,
  type Endpoint,
  type Expr,
  evaluate,
  type MediaryError,
  type Message,
  type MessageContext,
  onAbort,
  toMediaryError,
} from '@mediary/core';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from './connection.js';
import { amqpErrors } from './errors.js';
import { ManagedChannel } from './internal/managed-channel.js';
import { CONTROL_PREFIX, type HeaderMapping, toMessage, toPublishOptions } from './internal/mapping.js';
import { publishConfirmed, wasInterrupted } from './internal/publish.js';
import type { ExchangeDeclaration } from './internal/topology.js';

export type { HeaderMapping } from './internal/mapping.js';

/** RabbitMQ's pseudo-queue for replies straight to the requesting channel. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** Marks a publish so a `basic.return` (unroutable, `mandatory`) can be matched to it. */
const PUBLISH_ID_HEADER = `${CONTROL_PREFIX}publish-id`;
/** Publishes of one send, when connection losses interrupt them. */
const MAX_PUBLISH_ATTEMPTS = 5;

/** Options of {@link amqpEndpoint}. */
export interface AmqpEndpointOptions {
  /** The name routes `call()` and tests mock it by. */
  readonly name: string;
  readonly connection: AmqpConnection;
  /** The exchange to publish to; `''` is the default exchange (routing key = queue name). */
  readonly exchange: string;
  /** The routing key, or an expression of the message context that computes it. */
  readonly routingKey: string | Expr<string>;
  /** Declare the exchange on every (re)connect. Default: assume it exists. */
  readonly declare?: Omit<ExchangeDeclaration, 'name'>;
  /** Delivery mode 2: the broker writes the message to disk on a durable queue. Default true. */
  readonly persistent?: boolean;
  /**
   * Publisher confirms: a send resolves only once the broker confirmed the message (or fails, retryably,
   * when it refused it or the channel closed first). Default true.
   */
  readonly confirm?: boolean;
  /**
   * Fail with `MEDIARY_AMQP_UNROUTABLE` when no queue is bound for the routing key, instead of the broker
   * silently discarding the message. Needs `confirm`. Default false.
   */
  readonly mandatory?: boolean;
  /** Which message headers go into the AMQP header table. Default: all but hop-by-hop HTTP headers. */
  readonly headers?: HeaderMapping;
  /**
   * Request-reply: `'direct-reply-to'` uses RabbitMQ's direct reply-to; a queue name declares an exclusive,
   * auto-deleted reply queue of that name for this endpoint. The reply is correlated by `correlation-id`.
   */
  readonly replyTo?: 'direct-reply-to' | string;
  /** How long request-reply waits for the reply, on the engine clock. Default 30 000 ms. */
  readonly replyTimeoutMs?: number;
  /** How long a send waits for a lost connection to come back before failing (retryable). Default 10 000 ms. */
  readonly publishTimeoutMs?: number;
}

interface PendingReply {
  resolve(reply: ConsumeMessage): void;
  reject(error: MediaryError): void;
}

/** An endpoint that publishes to an AMQP exchange. Create it with {@link amqpEndpoint}. */
export class AmqpEndpoint implements Endpoint {
  readonly name: string;
  readonly #options: AmqpEndpointOptions;
  readonly #replyQueue: string | undefined;
  readonly #pending = new Map<string, PendingReply>();
  readonly #returned = new Set<string>();
  #channel: ManagedChannel | undefined;
  #opening: Promise<ManagedChannel> | undefined;

  constructor(options: AmqpEndpointOptions) {
    if (options.mandatory && options.confirm === false) {
      throw amqpErrors.INVALID_OPTIONS({
        component: 'endpoint',
        reason: 'mandatory needs publisher confirms to learn that a message came back',
      });
    }
    this.#options = options;
    this.name = options.name;
    this.#replyQueue =
      options.replyTo === undefined
        ? undefined
        : options.replyTo === 'direct-reply-to'
          ? DIRECT_REPLY_TO
          : options.replyTo;
  }

  async send(message: Message, ctx: MessageContext): Promise<Message> {
    const { exchange, persistent = true, confirm = true, mandatory = false } = this.#options;
    const routingKey = this.#options.routingKey;
    const target = {
      exchange,
      routingKey: typeof routingKey === 'string' ? routingKey : String(await evaluate(routingKey, ctx)),
    };
    const content = asBuffer(await message.bytes());
    const options = toPublishOptions(message, {
      persistent,
      mandatory,
      ...(this.#options.headers ? { headers: this.#options.headers } : {}),
    });
    const managed = this.#channel?.isOpen ? this.#channel : await this.#open(ctx);
    const publishId = mandatory ? randomUUID() : undefined;
    if (publishId) options.headers = { ...options.headers, [PUBLISH_ID_HEADER]: publishId };
    const correlationId = this.#replyQueue ? randomUUID() : undefined;
    if (correlationId && this.#replyQueue) {
      options.correlationId = correlationId;
      options.replyTo = this.#replyQueue;
    }
    const clock = ctx.engine.clock;
    const deadline = clock.now() + (this.#options.publishTimeoutMs ?? 10_000);
    let reply: Promise<ConsumeMessage> | undefined;
    let stale: ConfirmChannel | undefined;
    for (let attempt = 1; ; attempt++) {
      // The common case, an open channel, neither waits nor reads `ctx.signal` (which would make the
      // message's AbortController): waiting for a reconnect is the rare path.
      const open = managed.current;
      const channel =
        open && open !== stale
          ? open
          : await managed.ready(Math.max(0, deadline - clock.now()), ctx.signal, stale);
      if (correlationId) {
        reply = this.#awaitReply(correlationId, target.routingKey, ctx);
        // Observed here too, so a failed publish below never leaves it rejecting unobserved.
        reply.catch(() => undefined);
      }
      try {
        await withinDeadline(publishConfirmed(channel, target, content, options, confirm), {
          clock,
          ms: Math.max(0, deadline - clock.now()),
          ctx,
          timeout: () =>
            amqpErrors.PUBLISH_FAILED({
              exchange: exchange || '(default)',
              routingKey: target.routingKey,
              reason: `the broker did not confirm within ${this.#options.publishTimeoutMs ?? 10_000} ms`,
            }),
        });
        break;
      } catch (error) {
        if (correlationId) this.#pending.get(correlationId)?.reject(toMediaryError(error));
        // The connection dropped under the publish: once it is back, publish again (at-least-once: the
        // broker may have had the first copy). A refusal by the broker is final.
        if (!wasInterrupted(error) || attempt >= MAX_PUBLISH_ATTEMPTS || clock.now() >= deadline) throw error;
        stale = channel;
      }
    }
    if (publishId && this.#returned.delete(publishId)) {
      const error = amqpErrors.UNROUTABLE({
        exchange: exchange || '(default)',
        routingKey: target.routingKey,
      });
      if (options.correlationId) this.#pending.get(options.correlationId)?.reject(error);
      throw error;
    }
    if (!reply) return createMessage({ status: 202 });
    return toMessage(await reply, ctx.engine.limits);
  }

  async close(): Promise<void> {
    const channel = this.#channel;
    this.#channel = undefined;
    this.#opening = undefined;
    await channel?.close();
  }

  #open(ctx: MessageContext): Promise<ManagedChannel> {
    if (this.#channel?.isOpen) return Promise.resolve(this.#channel);
    this.#opening ??= this.#create(ctx).finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #create(ctx: MessageContext): Promise<ManagedChannel> {
    const { connection, confirm = true } = this.#options;
    connection.attach(ctx.engine);
    const channel = new ManagedChannel(connection, {
      component: 'endpoint',
      name: this.name,
      confirm,
      setup: (ch) => this.#setup(ch),
      onClose: () => this.#channelClosed(),
    });
    await channel.open(this.#options.publishTimeoutMs ?? 10_000);
    this.#channel = channel;
    return channel;
  }

  async #setup(channel: ConfirmChannel): Promise<void> {
    const { declare, exchange } = this.#options;
    if (declare && exchange !== '') {
      await channel.assertExchange(exchange, declare.type, { durable: true, ...declare.options });
    }
    channel.on('return', (returned: ConsumeMessage) => {
      const id = returned.properties.headers?.[PUBLISH_ID_HEADER];
      if (typeof id === 'string') this.#returned.add(id);
    });
    const replyQueue = this.#replyQueue;
    if (!replyQueue) return;
    if (replyQueue !== DIRECT_REPLY_TO) {
      await channel.assertQueue(replyQueue, { durable: false, exclusive: true, autoDelete: true });
    }
    // Direct reply-to needs its consumer on the publishing channel, in no-ack mode.
    await channel.consume(replyQueue, (reply) => reply && this.#reply(reply), { noAck: true });
  }

  #reply(reply: ConsumeMessage): void {
    const correlationId = reply.properties.correlationId;
    if (typeof correlationId !== 'string') return;
    // A reply nobody waits for any more (timed out) is dropped: its request already failed.
    this.#pending.get(correlationId)?.resolve(reply);
  }

  #channelClosed(): void {
    // Replies travel to the channel (direct reply-to) or to an exclusive queue: neither survives it.
    const error = amqpErrors.UNAVAILABLE(
      { component: 'endpoint', name: this.name, timeoutMs: 0 },
      { cause: new Error('the channel closed while a reply was awaited') },
    );
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }

  #awaitReply(correlationId: string, routingKey: string, ctx: MessageContext): Promise<ConsumeMessage> {
    const timeoutMs = this.#options.replyTimeoutMs ?? 30_000;
    const clock = ctx.engine.clock;
    return new Promise<ConsumeMessage>((resolve, reject) => {
      let stopListening: (() => void) | undefined;
      const finish = () => {
        clock.clearTimeout(timer);
        stopListening?.();
        this.#pending.delete(correlationId);
      };
      this.#pending.set(correlationId, {
        resolve: (reply) => {
          finish();
          resolve(reply);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      const timer = clock.setTimeout(() => {
        finish();
        reject(
          amqpErrors.REPLY_TIMEOUT({
            exchange: this.#options.exchange || '(default)',
            routingKey,
            timeoutMs,
          }),
        );
      }, timeoutMs);
      stopListening = onAbort(ctx, (reason) =>
        this.#pending.get(correlationId)?.reject(toMediaryError(reason)),
      );
    });
  }
}

/**
 * Settles like `promise`, or fails when `ms` pass on `clock` or the message is aborted first. Follows the
 * abort with `onAbort`, not `ctx.signal`: a signal would cost an `AbortController` and an event listener
 * added and removed on every publish, for messages that almost never abort.
 */
function withinDeadline<T>(
  promise: Promise<T>,
  options: { clock: Clock; ms: number; ctx: MessageContext; timeout: () => MediaryError },
): Promise<T> {
  const { clock, ms, ctx } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let stopListening: (() => void) | undefined;
    /** True for the first outcome only; it stops the timer and the abort listener. */
    const first = (): boolean => {
      if (settled) return false;
      settled = true;
      clock.clearTimeout(timer);
      stopListening?.();
      return true;
    };
    // A blocked broker (memory or disk alarm) holds confirms back: the send must not wait forever.
    const timer = clock.setTimeout(() => {
      if (first()) reject(options.timeout());
    }, ms);
    stopListening = onAbort(ctx, (reason) => {
      if (first()) reject(toMediaryError(reason));
    });
    promise.then(
      (value) => {
        if (first()) resolve(value);
      },
      (error: unknown) => {
        if (first()) reject(error);
      },
    );
  });
}

/** The body as a Buffer for amqplib, without copying the bytes. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Creates an endpoint that publishes to an AMQP exchange, one-way (reply: an empty message with status
 * 202 once the broker confirmed) or request-reply (reply: the correlated answer).
 *
 * @example
 * const rabbit = amqpConnection({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * engine.addEndpoint(
 *   amqpEndpoint({
 *     name: 'audit',
 *     connection: rabbit,
 *     exchange: 'audit',
 *     routingKey: (ctx) => `audit.${ctx.vars.kind}`,
 *   }),
 * );
 * engine.addEndpoint(
 *   amqpEndpoint({ name: 'pricing', connection: rabbit, exchange: '', routingKey: 'pricing.rpc', replyTo: 'direct-reply-to' }),
 * );
 */
export function amqpEndpoint(options: AmqpEndpointOptions): AmqpEndpoint {
  return new AmqpEndpoint(options);
}
