/**
 * `@mediary/postgres`: PostgreSQL for Mediary — a persistent message store shared safely by many processes
 * (`FOR UPDATE SKIP LOCKED` leases), and aggregation and idempotent repositories.
 *
 * @example
 * import { postgresIdempotentRepository, postgresMessageStore } from '@mediary/postgres';
 *
 * @module
 */
export {
  PostgresAggregationRepository,
  type PostgresAggregationRepositoryOptions,
  postgresAggregationRepository,
} from './aggregation-repository.js';
export { postgresErrors } from './errors.js';
export {
  PostgresIdempotentRepository,
  type PostgresIdempotentRepositoryOptions,
  postgresIdempotentRepository,
} from './idempotent-repository.js';
export type { DatabaseOptions, PostgresConnectionOptions } from './internal/database.js';
export {
  PostgresMessageStore,
  type PostgresMessageStoreOptions,
  postgresMessageStore,
} from './message-store.js';
