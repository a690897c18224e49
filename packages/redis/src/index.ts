/**
 * `@mediary/redis`: Redis for Mediary — a message store on a Redis stream with a consumer group, and
 * aggregation and idempotent repositories. Durability is the Redis server's (see the README).
 *
 * @example
 * import { redisIdempotentRepository, redisMessageStore } from '@mediary/redis';
 *
 * @module
 */
export {
  RedisAggregationRepository,
  type RedisAggregationRepositoryOptions,
  redisAggregationRepository,
} from './aggregation-repository.js';
export { redisErrors } from './errors.js';
export {
  RedisIdempotentRepository,
  type RedisIdempotentRepositoryOptions,
  redisIdempotentRepository,
} from './idempotent-repository.js';
export type {
  RedisCommandClient,
  RedisCommandOptions,
  RedisConnectionOptions,
} from './internal/connection.js';
export { RedisMessageStore, type RedisMessageStoreOptions, redisMessageStore } from './message-store.js';
