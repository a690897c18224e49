/**
 * A persistent message store over a durable RabbitMQ queue: messages are published persistent and
 * confirmed, so an enqueued message survives a broker restart and a `kill -9` of the process.
 *
 * How the store operations map onto AMQP 0-9-1:
 * - **enqueue**: a confirmed, persistent publish to the queue (default exchange). The stored message's id
 *   is the AMQP `message-id`; its headers are the AMQP header table; variables, attempts, enqueue time and
 *   last error travel in `x-mediary-store-*` headers.
 * - **lease**: `basic.get` without auto-ack. The delivery stays unacknowledged on this store's channel, so
 *   the broker hands it to nobody else; a timer on the store's clock gives it back (`basic.nack` with
 *   requeue) when the lease expires.
 * - **ack**: `basic.ack`. **release**: `basic.nack` with requeue (now, or after `delayMs` while the store
 *   keeps holding it), which puts the message back at its place in the queue. See `release` for how
 *   attempts are counted.
 * - **size**: the queue's ready count plus the messages this store holds leased. The ready count comes from
 *   a `basic.get` given straight back (its reply counts the messages behind it): RabbitMQ answers a passive
 *   `queue.declare` ahead of requeues it has not applied yet, so that count would miss just-released ones.
 * - **browse**: AMQP cannot read without consuming, so browse takes up to `limit` messages with
 *   `basic.get` and gives them straight back with `basic.nack` (requeue), which keeps their order. While
 *   browsing, those messages are invisible to other consumers, and the broker marks them redelivered.
 *   Messages leased by this store come first; messages leased by other consumers are not seen.
 * - **purge**: `queue.purge` for the ready messages, plus an ack of every message this store holds.
 *
 * Deviations from the in-memory store: a duplicate id is not detected on enqueue (the broker has no index
 * by message id), and `size`/`browse` cannot see messages leased by other store instances.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  type Clock,
  isMediaryError,
  type Lease,
  type LeaseOptions,
  type MessageStore,
  type ReleaseOptions,
  reasonOf,
  type StoredMessage,
  storeErrors,
  systemClock,
  type TimerHandle,
} from '@mediary/core';
import type { ConfirmChannel, GetMessage, Options } from 'amqplib';
import type { AmqpConnection } from './connection.js';
import { amqpErrors } from './errors.js';
import { ManagedChannel } from './internal/managed-channel.js';
import { publishConfirmed } from './internal/publish.js';

const PREFIX = 'x-mediary-store-';
const VARS = `${PREFIX}vars`;
const ATTEMPTS = `${PREFIX}attempts`;
const ENQUEUED_AT = `${PREFIX}enqueued-at`;
const ERROR_CODE = `${PREFIX}error-code`;
const ERROR_MESSAGE = `${PREFIX}error-message`;

/** Options of {@link amqpMessageStore}. */
export interface AmqpMessageStoreOptions {
  readonly connection: AmqpConnection;
  /** The durable queue that holds the messages. */
  readonly queue: string;
  /** The store's name on the engine. Default: the queue's name. */
  readonly name?: string;
  /** Measures lease expiry and release delays. Pass `engine.clock`. Default: the system clock. */
  readonly clock?: Clock;
  /** Default lease length. Default 30 000 ms. */
  readonly leaseMs?: number;
  /**
   * Queue options for the declaration made on every (re)connect (default `{ durable: true }`), or `false`
   * when the queue exists with arguments of its own.
   */
  readonly declare?: Options.AssertQueue | false;
  /**
   * How a release counts the failed attempt.
   * - `requeue` (default): `basic.nack` with requeue, so the message keeps its place at the head of the
   *   queue. Attempts and the last error are counted by this store instance, in memory: they reset when the
   *   process restarts and are not shared with other instances on the same queue.
   * - `republish`: a copy carrying the new attempt count and last error is published (confirmed) to the
   *   tail of the queue, then the original is acknowledged. Counts survive restarts and are shared, but
   *   the released message loses its place.
   */
  readonly release?: 'requeue' | 'republish';
  /** How long an operation waits for a lost connection to come back. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

interface Held {
  readonly delivery: GetMessage;
  readonly channel: ConfirmChannel;
  readonly message: StoredMessage;
  timer: TimerHandle | undefined;
}

interface Counted {
  readonly attempts: number;
  readonly lastError?: { readonly code: string; readonly message: string };
}

/** A message store over a RabbitMQ queue. Create it with {@link amqpMessageStore}. */
export class AmqpMessageStore implements MessageStore {
  readonly name: string;
  readonly queue: string;
  readonly #options: AmqpMessageStoreOptions;
  readonly #clock: Clock;
  readonly #channel: ManagedChannel;
  /** Leased messages by lease token. */
  readonly #leases = new Map<string, Held>();
  /** Released with a delay: held until the delay passes, then requeued. */
  readonly #delayed = new Set<Held>();
  /** Attempts counted in memory (`release: 'requeue'`), by message id. */
  readonly #counts = new Map<string, Counted>();
  #opened: Promise<void> | undefined;
  #serial: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: AmqpMessageStoreOptions) {
    this.#options = options;
    this.queue = options.queue;
    this.name = options.name ?? options.queue;
    this.#clock = options.clock ?? systemClock;
    this.#channel = new ManagedChannel(options.connection, {
      component: 'store',
      name: this.name,
      confirm: true,
      setup: async (channel) => {
        if (options.declare !== false)
          await channel.assertQueue(this.queue, { durable: true, ...options.declare });
      },
      onClose: (channel) => this.#channelClosed(channel),
    });
  }

  async enqueue(message: StoredMessage): Promise<string> {
    const channel = await this.#ready();
    const headers: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(message.headers)) {
      if (!name.startsWith(PREFIX)) headers[name] = value;
    }
    headers[VARS] = JSON.stringify(message.vars);
    headers[ATTEMPTS] = message.attempts;
    headers[ENQUEUED_AT] = message.enqueuedAt;
    if (message.lastError) {
      headers[ERROR_CODE] = message.lastError.code;
      headers[ERROR_MESSAGE] = message.lastError.message;
    }
    await publishConfirmed(channel, { exchange: '', routingKey: this.queue }, Buffer.from(message.body), {
      persistent: true,
      messageId: message.id,
      headers,
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    });
    return message.id;
  }

  async lease(options: LeaseOptions = {}): Promise<Lease | undefined> {
    const channel = await this.#ready();
    const delivery = await this.#exclusive(() => channel.get(this.queue, { noAck: false }));
    if (delivery === false) return undefined;
    const decoded = decode(delivery);
    const counted = this.#counts.get(decoded.id);
    const message: StoredMessage = counted ? { ...decoded, ...counted } : decoded;
    const token = `${message.id}#${randomUUID()}`;
    const leaseMs = options.leaseMs ?? this.#options.leaseMs ?? 30_000;
    const held: Held = { delivery, channel, message, timer: undefined };
    held.timer = this.#clock.setTimeout(() => this.#expire(token, held), leaseMs);
    this.#leases.set(token, held);
    return { token, message, expiresAt: this.#clock.now() + leaseMs };
  }

  async ack(lease: Lease): Promise<void> {
    const held = this.#take(lease);
    try {
      held.channel.ack(held.delivery);
    } catch (error) {
      // The channel closed a moment ago: the broker has requeued the message, the lease is gone.
      throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id }, { cause: error });
    }
    this.#counts.delete(held.message.id);
  }

  async release(lease: Lease, options: ReleaseOptions = {}): Promise<void> {
    const held = this.#take(lease);
    const counted: Counted = {
      attempts: held.message.attempts + 1,
      ...(options.error
        ? { lastError: { code: options.error.code, message: options.error.message } }
        : held.message.lastError
          ? { lastError: held.message.lastError }
          : {}),
    };
    const delayMs = options.delayMs ?? 0;
    if (delayMs <= 0) {
      await this.#giveBack(held, counted);
      return;
    }
    this.#delayed.add(held);
    held.timer = this.#clock.setTimeout(() => {
      held.timer = undefined;
      if (!this.#delayed.delete(held)) return;
      this.#giveBack(held, counted).catch(() => {
        // The channel closed meanwhile: the broker requeued the message itself.
      });
    }, delayMs);
  }

  async size(): Promise<number> {
    const channel = await this.#ready();
    const ready = await this.#exclusive(async () => {
      // Counted with a `basic.get` given straight back, not with `queue.declare`: RabbitMQ answers a
      // declare ahead of requeues it has not applied yet, while a get sees every earlier nack of this
      // channel. The message keeps its place.
      const head = await channel.get(this.queue, { noAck: false });
      if (head === false) return 0;
      channel.nack(head, false, true);
      return head.fields.messageCount + 1;
    });
    return ready + this.#leases.size + this.#delayed.size;
  }

  async browse(limit = 100): Promise<StoredMessage[]> {
    const channel = await this.#ready();
    const held = [...this.#leases.values(), ...this.#delayed].map((h) => h.message).slice(0, limit);
    const taken = await this.#exclusive(async () => {
      const got: GetMessage[] = [];
      try {
        while (held.length + got.length < limit) {
          const delivery = await channel.get(this.queue, { noAck: false });
          if (delivery === false) break;
          got.push(delivery);
        }
      } finally {
        // Given back last-first; a classic queue puts each back at its old place either way.
        for (const delivery of got.reverse()) channel.nack(delivery, false, true);
        got.reverse();
      }
      return got;
    });
    return [
      ...held,
      ...taken.map((delivery) => {
        const decoded = decode(delivery);
        const counted = this.#counts.get(decoded.id);
        return counted ? { ...decoded, ...counted } : decoded;
      }),
    ];
  }

  async purge(): Promise<number> {
    const channel = await this.#ready();
    return this.#exclusive(async () => {
      const { messageCount } = await channel.purgeQueue(this.queue);
      let removed = messageCount;
      for (const held of [...this.#leases.values(), ...this.#delayed]) {
        if (held.timer !== undefined) this.#clock.clearTimeout(held.timer);
        if (this.#channel.current === held.channel) {
          held.channel.ack(held.delivery);
          removed++;
        }
      }
      this.#leases.clear();
      this.#delayed.clear();
      this.#counts.clear();
      return removed;
    });
  }

  /** Closes the channel; messages still leased go back to the queue (the broker requeues them). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const held of [...this.#leases.values(), ...this.#delayed]) {
      if (held.timer !== undefined) this.#clock.clearTimeout(held.timer);
    }
    this.#leases.clear();
    this.#delayed.clear();
    await this.#opened?.catch(() => undefined);
    await this.#channel.close();
  }

  async #ready(): Promise<ConfirmChannel> {
    if (this.#closed) throw storeErrors.CLOSED({ store: this.name });
    const timeoutMs = this.#options.timeoutMs ?? 10_000;
    this.#opened ??= this.#channel.open(timeoutMs).then(() => undefined);
    try {
      await this.#opened;
    } catch (error) {
      // The first open failed (broker down): the next operation tries again.
      this.#opened = undefined;
      throw error;
    }
    return this.#channel.ready(timeoutMs);
  }

  /**
   * Runs channel operations that must not interleave (a browse and a lease both use `basic.get`), and
   * turns amqplib's failures (the channel closed under the operation) into a retryable Mediary error.
   */
  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#serial.then(operation).catch((error: unknown) => {
      if (isMediaryError(error)) throw error;
      throw amqpErrors.CHANNEL_FAILED(
        { component: 'store', name: this.name, reason: reasonOf(error) },
        { cause: error },
      );
    });
    this.#serial = result.catch(() => undefined);
    return result;
  }

  #take(lease: Lease): Held {
    const held = this.#leases.get(lease.token);
    if (!held || this.#channel.current !== held.channel) {
      this.#leases.delete(lease.token);
      throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id });
    }
    this.#leases.delete(lease.token);
    if (held.timer !== undefined) this.#clock.clearTimeout(held.timer);
    held.timer = undefined;
    return held;
  }

  #expire(token: string, held: Held): void {
    if (this.#leases.get(token) !== held) return;
    this.#leases.delete(token);
    held.timer = undefined;
    // An expired lease is a failed delivery, like a release without an error.
    const counted: Counted = {
      attempts: held.message.attempts + 1,
      ...(held.message.lastError ? { lastError: held.message.lastError } : {}),
    };
    this.#giveBack(held, counted).catch(() => {
      // The channel closed meanwhile: the broker requeued the message itself.
    });
  }

  async #giveBack(held: Held, counted: Counted): Promise<void> {
    if (this.#channel.current !== held.channel) return;
    if ((this.#options.release ?? 'requeue') === 'requeue') {
      this.#counts.set(held.message.id, counted);
      try {
        held.channel.nack(held.delivery, false, true);
      } catch {
        // The channel closed a moment ago: the broker requeues the message itself.
      }
      return;
    }
    const { delivery } = held;
    const headers: Record<string, unknown> = { ...delivery.properties.headers, [ATTEMPTS]: counted.attempts };
    if (counted.lastError) {
      headers[ERROR_CODE] = counted.lastError.code;
      headers[ERROR_MESSAGE] = counted.lastError.message;
    }
    await publishConfirmed(held.channel, { exchange: '', routingKey: this.queue }, delivery.content, {
      ...publishOptionsOf(delivery),
      headers,
    });
    held.channel.ack(delivery);
  }

  #channelClosed(channel: ConfirmChannel): void {
    // The broker requeued every unacknowledged message of that channel; their leases are gone.
    for (const [token, held] of this.#leases) {
      if (held.channel !== channel) continue;
      if (held.timer !== undefined) this.#clock.clearTimeout(held.timer);
      this.#leases.delete(token);
    }
    for (const held of this.#delayed) {
      if (held.channel !== channel) continue;
      if (held.timer !== undefined) this.#clock.clearTimeout(held.timer);
      this.#delayed.delete(held);
    }
  }
}

/** A delivery as a stored message. Lenient: a message published by someone else still reads. */
function decode(delivery: GetMessage): StoredMessage {
  const { properties, content } = delivery;
  const raw = properties.headers ?? {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith(PREFIX) || value === undefined || value === null) continue;
    headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  const code = raw[ERROR_CODE];
  const message = raw[ERROR_MESSAGE];
  const stored: StoredMessage = {
    id: typeof properties.messageId === 'string' ? properties.messageId : randomUUID(),
    body: new Uint8Array(content.buffer, content.byteOffset, content.byteLength),
    headers,
    vars: parseVars(raw[VARS]),
    attempts: Number(raw[ATTEMPTS] ?? 0) || 0,
    enqueuedAt: Number(raw[ENQUEUED_AT] ?? 0) || 0,
    ...(typeof code === 'string' && typeof message === 'string' ? { lastError: { code, message } } : {}),
  };
  return typeof properties.contentType === 'string'
    ? { ...stored, contentType: properties.contentType }
    : stored;
}

function parseVars(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return {};
  try {
    const parsed: unknown = JSON.parse(String(value));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function publishOptionsOf(delivery: GetMessage): Options.Publish {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(delivery.properties)) {
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out as Options.Publish;
}

/**
 * Creates a persistent message store over a durable RabbitMQ queue.
 *
 * @example
 * const rabbit = amqpConnection({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * const orders = amqpMessageStore({ connection: rabbit, queue: 'orders.store', clock: engine.clock });
 * registerStore(engine, orders);
 * engine.addRoute({ id: 'accept', steps: [store('orders.store'), setStatus(202), respond()] });
 */
export function amqpMessageStore(options: AmqpMessageStoreOptions): AmqpMessageStore {
  return new AmqpMessageStore(options);
}
