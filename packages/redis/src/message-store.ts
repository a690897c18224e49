/**
 * A message store on a Redis stream read through a consumer group, shared safely by any number of
 * processes.
 *
 * How the store operations map onto Redis (each multi-key step is one Lua script, so it is atomic):
 * - **enqueue**: `XADD` of `id`, `m` (metadata JSON: content type, headers, variables, attempts, enqueue
 *   time, last error) and `b` (the body, as raw bytes: arguments are binary-safe and replies are read as
 *   Buffers, so nothing is base64-encoded). A second message with the same id is refused.
 * - **lease**: the oldest pending entry whose lease ran out or that was released (`XAUTOCLAIM`), else the
 *   next new entry (`XREADGROUP … COUNT 1 >`). The lease deadline is written into the entry's pending
 *   delivery time (see `internal/stream-scripts.ts`), so a crashed consumer's messages come back to
 *   whoever leases next once their lease runs out, in stream order. Attempts are the group's delivery
 *   count minus one (plus the attempts the message arrived with).
 * - **ack**: `XACK` + `XDEL`, only while the lease token is still the current one.
 * - **release**: the entry stays pending and keeps its place; its deadline becomes now + delay, and the
 *   next lease counts the failed attempt. A release error is kept as `lastError`.
 * - **size**: `XLEN` (leased messages included). **browse**: `XRANGE`. **purge**: `DEL` of the stream, its
 *   group and the side keys.
 *
 * Time (lease expiry, release delays, `Lease.expiresAt`) is the Redis server's clock (`TIME`), so every
 * process agrees on it; a fake engine clock does not move it.
 *
 * **Durability is the Redis server's.** `enqueue` resolves once Redis holds the message in memory. It
 * survives a `kill -9` of this process, but whether it survives a restart or crash of Redis depends on the
 * server's persistence: with `appendonly yes` and `appendfsync always` an accepted message is on disk;
 * with `everysec` (Redis' default for AOF) up to a second of messages can be lost; without persistence
 * (`save ""`, `appendonly no`) a Redis restart loses everything. Use the PostgreSQL or RabbitMQ store where
 * that matters and Redis cannot be configured for it.
 *
 * In Redis Cluster, give the key a hash tag (`{orders}`) so the side keys (`{orders}:leases`, …) land in
 * the same slot as the stream; the Lua scripts touch all of them.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Lease, LeaseOptions, MessageStore, ReleaseOptions, StoredMessage } from '@mediary/core';
import { storeErrors } from '@mediary/core';
import { redisErrors } from './errors.js';
import {
  fromJson,
  type RedisCommandClient,
  type RedisCommandOptions,
  RedisConnection,
  type RedisConnectionOptions,
  type Subject,
  text,
  toJson,
} from './internal/connection.js';
import {
  ACK,
  BROWSE,
  ENQUEUE,
  FORGET_CONSUMER,
  HORIZON_MS,
  LEASE,
  PURGE,
  RELEASE,
} from './internal/stream-scripts.js';

const COMPONENT = 'message store';

/** Options of {@link redisMessageStore}. */
export type RedisMessageStoreOptions = RedisConnectionOptions &
  RedisCommandOptions & {
    /** The stream's key; the store also uses `<key>:leases`, `<key>:errors` and `<key>:ids`. */
    readonly key: string;
    /** The store's name on the engine. Default: the key. */
    readonly name?: string;
    /** The consumer group every process of this store reads through. Default `mediary`. */
    readonly consumerGroup?: string;
    /**
     * This process's consumer name in the group (shown by `XPENDING` / `XINFO`). Default: host, pid and a
     * random suffix. Any consumer may take over any other's expired lease.
     */
    readonly consumer?: string;
    /** Default lease length. Default 30 000 ms. */
    readonly leaseMs?: number;
  };

/** The stored metadata of a message (field `m`). */
interface Metadata {
  readonly contentType?: string;
  readonly headers: Record<string, string>;
  readonly vars: Record<string, unknown>;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly lastError?: { code: string; message: string };
}

/** A FIFO store on a Redis stream. Create it with {@link redisMessageStore}. */
export class RedisMessageStore implements MessageStore {
  readonly name: string;
  readonly key: string;
  readonly consumerGroup: string;
  readonly consumer: string;
  readonly #redis: RedisConnection;
  readonly #keys: readonly string[];
  readonly #leaseMs: number;
  readonly #subject: Subject;

  constructor(options: RedisMessageStoreOptions) {
    for (const [what, value] of [
      ['key', options.key],
      ['name', options.name],
      ['consumerGroup', options.consumerGroup],
      ['consumer', options.consumer],
    ] as const) {
      if (value !== undefined && (typeof value !== 'string' || value === '')) {
        throw redisErrors.INVALID_OPTIONS({
          component: COMPONENT,
          reason: `${what} must be a non-empty string`,
        });
      }
    }
    if (options.key === undefined) {
      throw redisErrors.INVALID_OPTIONS({ component: COMPONENT, reason: 'key is required' });
    }
    this.key = options.key;
    this.name = options.name ?? options.key;
    this.consumerGroup = options.consumerGroup ?? 'mediary';
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.#leaseMs = checkMs(options.leaseMs ?? 30_000, 'leaseMs');
    this.#keys = [this.key, `${this.key}:leases`, `${this.key}:errors`, `${this.key}:ids`];
    this.#subject = { component: COMPONENT, name: this.name };
    this.#redis = new RedisConnection(options, this.#subject);
  }

  /** The client the store sends its commands through (the one passed in, or the one it opened). */
  get client(): RedisCommandClient {
    return this.#redis.client;
  }

  async enqueue(message: StoredMessage): Promise<string> {
    this.#open();
    const metadata: Metadata = {
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      headers: { ...message.headers },
      vars: message.vars as Record<string, unknown>,
      attempts: message.attempts,
      enqueuedAt: message.enqueuedAt,
      ...(message.lastError ? { lastError: message.lastError } : {}),
    };
    const entry = await this.#redis.run('enqueue a message', ENQUEUE, {
      keys: this.#keys,
      args: [
        message.id,
        toJson(metadata, this.#subject, `message ${message.id}`),
        Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
      ],
    });
    if (entry === null) throw storeErrors.DUPLICATE_ID({ store: this.name, id: message.id });
    return message.id;
  }

  async lease(options: LeaseOptions = {}): Promise<Lease | undefined> {
    this.#open();
    const leaseMs = Math.ceil(
      options.leaseMs === undefined ? this.#leaseMs : checkMs(options.leaseMs, 'leaseMs'),
    );
    const nonce = randomUUID();
    const reply = await this.#redis.run('lease a message', LEASE, {
      keys: this.#keys,
      args: [this.consumerGroup, this.consumer, String(leaseMs), nonce, String(HORIZON_MS)],
    });
    if (reply === null) return undefined;
    const [entryId, fields, deliveries, deadline, lastError] = this.#tuple(reply, 4);
    const message = this.#decode({ entryId, fields, failed: Number(deliveries) - 1, lastError });
    return { token: `${text(entryId)} ${nonce}`, message, expiresAt: Number(deadline) };
  }

  async ack(lease: Lease): Promise<void> {
    this.#open();
    const [entryId, nonce] = splitToken(lease.token);
    const done = await this.#redis.run('acknowledge a message', ACK, {
      keys: this.#keys,
      args: [this.consumerGroup, entryId, nonce, lease.message.id],
    });
    if (done !== 1) throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id });
  }

  async release(lease: Lease, options: ReleaseOptions = {}): Promise<void> {
    this.#open();
    const delayMs = Math.ceil(checkMs(options.delayMs ?? 0, 'delayMs', true));
    const [entryId, nonce] = splitToken(lease.token);
    const error = options.error
      ? toJson({ code: options.error.code, message: options.error.message }, this.#subject, 'the error')
      : '';
    const done = await this.#redis.run('release a message', RELEASE, {
      keys: this.#keys,
      args: [this.consumerGroup, this.consumer, entryId, nonce, String(delayMs), String(HORIZON_MS), error],
    });
    if (done !== 1) throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id });
  }

  async size(): Promise<number> {
    this.#open();
    return Number(await this.#redis.send('count messages', ['XLEN', this.key]));
  }

  async browse(limit = 100): Promise<StoredMessage[]> {
    this.#open();
    const count = Math.trunc(limit);
    if (!(count > 0)) return [];
    const reply = await this.#redis.run('browse messages', BROWSE, {
      keys: this.#keys,
      args: [this.consumerGroup, String(count)],
    });
    if (!Array.isArray(reply)) throw this.#corrupt('the browse reply', 'not an array');
    return reply.map((row) => {
      const [entryId, fields, deliveries, leased, lastError] = this.#tuple(row, 4);
      // A delivery counts as a failed attempt once it ended (released); one whose lease is still current
      // (even if expired, until someone leases it again) does not count yet — as in the memory store.
      const failed = Number(deliveries) - (leased === 1 ? 1 : 0);
      return this.#decode({ entryId, fields, failed, lastError });
    });
  }

  async purge(): Promise<number> {
    this.#open();
    return Number(await this.#redis.run('purge messages', PURGE, { keys: this.#keys, args: [] }));
  }

  /**
   * Stops the store: forgets this consumer in the group when it holds no leases (so restarts do not pile
   * up consumers), and closes the client when the store opened it from a URL.
   */
  async close(): Promise<void> {
    if (this.#redis.closed) return;
    try {
      await this.#redis.run('close', FORGET_CONSUMER, {
        keys: this.#keys,
        args: [this.consumerGroup, this.consumer],
      });
    } catch {
      // Best effort: an unreachable Redis must not keep the store from closing.
    } finally {
      await this.#redis.close();
    }
  }

  #open(): void {
    if (this.#redis.closed) throw storeErrors.CLOSED({ store: this.name });
  }

  #tuple(value: unknown, required: number): unknown[] {
    if (!Array.isArray(value) || value.length < required)
      throw this.#corrupt('a script reply', 'unexpected shape');
    return value;
  }

  /** Rebuilds a stored message from an entry's fields, its failed deliveries and its last error. */
  #decode(entry: { entryId: unknown; fields: unknown; failed: number; lastError: unknown }): StoredMessage {
    const { entryId, fields, failed, lastError } = entry;
    const id = text(entryId);
    if (!Array.isArray(fields)) throw this.#corrupt(`entry ${id}`, 'no fields');
    const map = new Map<string, unknown>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(text(fields[i]), fields[i + 1]);
    const messageId = map.get('id');
    const body = map.get('b');
    const meta = map.get('m');
    if (messageId === undefined || !Buffer.isBuffer(body) || meta === undefined) {
      throw this.#corrupt(`entry ${id}`, 'it was not written by a Mediary store (fields id, m, b)');
    }
    const metadata = fromJson<Metadata>(meta, this.#subject, `the metadata of entry ${id}`);
    const stored = {
      id: text(messageId),
      // Copied, so the message does not pin the socket buffer its bytes arrived in.
      body: Buffer.from(body),
      headers: metadata.headers,
      vars: metadata.vars,
      attempts: metadata.attempts + failed,
      enqueuedAt: metadata.enqueuedAt,
    };
    const error =
      lastError === undefined || lastError === null
        ? metadata.lastError
        : fromJson<Metadata['lastError']>(lastError, this.#subject, `the last error of entry ${id}`);
    return {
      ...stored,
      ...(metadata.contentType === undefined ? {} : { contentType: metadata.contentType }),
      ...(error ? { lastError: error } : {}),
    };
  }

  #corrupt(what: string, reason: string) {
    return redisErrors.CORRUPT_ENTRY({ ...this.#subject, what, reason });
  }
}

/**
 * Creates a message store on a Redis stream.
 *
 * @example
 * const orders = redisMessageStore({ url: 'redis://127.0.0.1:6379', key: '{orders}', name: 'orders' });
 * registerStore(engine, orders);
 * // later: await orders.close();
 */
export function redisMessageStore(options: RedisMessageStoreOptions): RedisMessageStore {
  return new RedisMessageStore(options);
}

function splitToken(token: string): [string, string] {
  const space = token.indexOf(' ');
  // A token from another store cannot be current here; an empty nonce never matches.
  return space < 0 ? [token, ''] : [token.slice(0, space), token.slice(space + 1)];
}

function checkMs(value: number, what: string, zeroAllowed = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (value === 0 && !zeroAllowed) ||
    value >= HORIZON_MS
  ) {
    throw redisErrors.INVALID_OPTIONS({
      component: COMPONENT,
      reason: `${what} must be a number ${zeroAllowed ? '≥ 0' : '> 0'} and below ${HORIZON_MS}, got ${value}`,
    });
  }
  return value;
}
