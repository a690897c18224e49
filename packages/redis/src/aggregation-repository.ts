/**
 * An aggregation repository in Redis: an aggregator's open groups survive a restart of the process (not of
 * a Redis without persistence), and several Mediary processes can feed the same groups.
 *
 * Each group is a list of JSON entries at `<prefix>group:<key>`; `<prefix>groups` is a sorted set of the
 * open keys by creation time. Adding is one Lua script (append, index, read back), so it is atomic. In
 * Redis Cluster, put a hash tag in the prefix (`{agg}:`) so a group and the index share a slot.
 *
 * @module
 */
import type { AggregationEntry, AggregationGroup, AggregationRepository } from '@mediary/core';
import { redisErrors } from './errors.js';
import {
  defineScript,
  fromJson,
  type RedisCommandClient,
  type RedisCommandOptions,
  RedisConnection,
  type RedisConnectionOptions,
  type Subject,
  text,
  toJson,
} from './internal/connection.js';

const COMPONENT = 'aggregation repository';

/** ARGV: group key, entry JSON, created-at score. Returns the group's entries. */
const ADD = defineScript(`
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[1])
return redis.call('LRANGE', KEYS[2], 0, -1)
`);

/** ARGV: group key. */
const REMOVE = defineScript(`
redis.call('DEL', KEYS[2])
return redis.call('ZREM', KEYS[1], ARGV[1])
`);

/** Options of {@link redisAggregationRepository}. */
export type RedisAggregationRepositoryOptions = RedisConnectionOptions &
  RedisCommandOptions & {
    /**
     * Prefix of every key; give each aggregator its own, and processes that should share groups the same.
     * Default `mediary:aggregation:`.
     */
    readonly prefix?: string;
  };

/** Open groups in Redis. Create it with {@link redisAggregationRepository}. */
export class RedisAggregationRepository implements AggregationRepository {
  readonly prefix: string;
  readonly #redis: RedisConnection;
  readonly #index: string;
  readonly #subject: Subject;

  constructor(options: RedisAggregationRepositoryOptions) {
    this.prefix = options.prefix ?? 'mediary:aggregation:';
    if (typeof this.prefix !== 'string') {
      throw redisErrors.INVALID_OPTIONS({ component: COMPONENT, reason: 'prefix must be a string' });
    }
    this.#index = `${this.prefix}groups`;
    this.#subject = { component: COMPONENT, name: this.prefix };
    this.#redis = new RedisConnection(options, this.#subject);
  }

  /** The client the repository sends its commands through. */
  get client(): RedisCommandClient {
    return this.#redis.client;
  }

  async add(key: string, entry: AggregationEntry): Promise<AggregationGroup> {
    const json = toJson(entry, this.#subject, `an entry of group ${key}`);
    const reply = await this.#redis.run('add to a group', ADD, {
      keys: [this.#index, this.#group(key)],
      args: [key, json, String(entry.receivedAt)],
    });
    return this.#toGroup(key, reply)!;
  }

  async get(key: string): Promise<AggregationGroup | undefined> {
    const reply = await this.#redis.send('read a group', ['LRANGE', this.#group(key), '0', '-1']);
    return this.#toGroup(key, reply);
  }

  async remove(key: string): Promise<void> {
    await this.#redis.run('remove a group', REMOVE, { keys: [this.#index, this.#group(key)], args: [key] });
  }

  /** Keys of every open group, oldest group first. */
  async keys(): Promise<string[]> {
    const reply = await this.#redis.send('list groups', ['ZRANGE', this.#index, '0', '-1']);
    return Array.isArray(reply) ? reply.map(text) : [];
  }

  /** Closes the client when the repository opened it from a URL. */
  async close(): Promise<void> {
    await this.#redis.close();
  }

  #group(key: string): string {
    return `${this.prefix}group:${key}`;
  }

  #toGroup(key: string, reply: unknown): AggregationGroup | undefined {
    if (!Array.isArray(reply) || reply.length === 0) return undefined;
    const entries = reply.map((item) =>
      fromJson<AggregationEntry>(item, this.#subject, `an entry of group ${key}`),
    );
    return { key, entries, createdAt: entries[0]!.receivedAt, updatedAt: entries.at(-1)!.receivedAt };
  }
}

/**
 * Creates an aggregation repository in Redis, for aggregators whose open groups are shared by several
 * processes.
 *
 * @example
 * aggregate({
 *   correlate: (ctx) => ctx.vars.orderId as string,
 *   complete: { size: 3 },
 *   repository: redisAggregationRepository({ client, prefix: '{order-lines}:' }),
 *   onComplete: [call('fulfilment')],
 * });
 */
export function redisAggregationRepository(
  options: RedisAggregationRepositoryOptions,
): RedisAggregationRepository {
  return new RedisAggregationRepository(options);
}
