/**
 * An idempotent repository in Redis: one key per message key, recorded with `SET … NX PX <window>`, which
 * is atomic — of two processes recording the same key at once exactly one is told the message is new — and
 * lets Redis expire the key when the window ends (on the Redis server's clock).
 *
 * @module
 */
import type { IdempotentRepository } from '@mediary/core';
import { redisErrors } from './errors.js';
import {
  type RedisCommandClient,
  type RedisCommandOptions,
  RedisConnection,
  type RedisConnectionOptions,
} from './internal/connection.js';

const COMPONENT = 'idempotent repository';

/** Options of {@link redisIdempotentRepository}. */
export type RedisIdempotentRepositoryOptions = RedisConnectionOptions &
  RedisCommandOptions & {
    /** Prefix of every key; processes that must agree use the same one. Default `mediary:idempotent:`. */
    readonly prefix?: string;
  };

/** Seen keys in Redis. Create it with {@link redisIdempotentRepository}. */
export class RedisIdempotentRepository implements IdempotentRepository {
  readonly prefix: string;
  readonly #redis: RedisConnection;

  constructor(options: RedisIdempotentRepositoryOptions) {
    this.prefix = options.prefix ?? 'mediary:idempotent:';
    if (typeof this.prefix !== 'string') {
      throw redisErrors.INVALID_OPTIONS({ component: COMPONENT, reason: 'prefix must be a string' });
    }
    this.#redis = new RedisConnection(options, { component: COMPONENT, name: this.prefix });
  }

  /** The client the repository sends its commands through. */
  get client(): RedisCommandClient {
    return this.#redis.client;
  }

  async add(key: string, ttlMs: number): Promise<boolean> {
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw redisErrors.INVALID_OPTIONS({
        component: COMPONENT,
        reason: `ttlMs must be a finite number > 0, got ${ttlMs}`,
      });
    }
    const reply = await this.#redis.send('record a key', [
      'SET',
      this.prefix + key,
      '1',
      'NX',
      'PX',
      String(Math.ceil(ttlMs)),
    ]);
    return reply !== null;
  }

  async contains(key: string): Promise<boolean> {
    return (await this.#redis.send('look a key up', ['EXISTS', this.prefix + key])) === 1;
  }

  async remove(key: string): Promise<void> {
    await this.#redis.send('remove a key', ['DEL', this.prefix + key]);
  }

  /** Closes the client when the repository opened it from a URL. */
  async close(): Promise<void> {
    await this.#redis.close();
  }
}

/**
 * Creates an idempotent repository in Redis, so several processes agree on which messages they saw.
 *
 * @example
 * idempotent({
 *   key: (ctx) => ctx.message.headers.get('x-message-id') ?? '',
 *   windowMs: 60 * 60 * 1000,
 *   repository: redisIdempotentRepository({ client, prefix: 'payments:seen:' }),
 *   steps: [call('payments')],
 * });
 */
export function redisIdempotentRepository(
  options: RedisIdempotentRepositoryOptions,
): RedisIdempotentRepository {
  return new RedisIdempotentRepository(options);
}
