/**
 * Enterprise integration patterns as mediators: split, aggregate, clone/multicast, wire tap, throttle,
 * cache, idempotent consumer, resequencer and dead letter channel. Each pattern's serialisable options have
 * a zod schema (`…OptionsSchema`) for configuration files.
 *
 * @example
 * import { aggregate, deadLetterChannel, split, throttle } from '@mediary/core';
 *
 * @module
 */
export {
  type AggregateCombine,
  type AggregateCompletion,
  type AggregateOptions,
  type Aggregator,
  aggregate,
  aggregateCompletionSchema,
  aggregateOptionsSchema,
  type CompletionReason,
} from './aggregate.js';
export {
  type AggregationEntry,
  type AggregationGroup,
  type AggregationRepository,
  createMemoryAggregationRepository,
} from './aggregation-repository.js';
export { type CacheOptions, cache, cacheOptionsSchema } from './cache.js';
export {
  type DeadLetterChannelOptions,
  type DeadLetterError,
  type DeadLetterTarget,
  deadLetterChannel,
  type RedeliveryPolicy,
  redeliveryDelay,
  redeliveryPolicySchema,
} from './dead-letter-channel.js';
export { eipErrors } from './errors.js';
export { type IdempotentOptions, idempotent, idempotentOptionsSchema } from './idempotent.js';
export {
  createMemoryIdempotentRepository,
  type IdempotentRepository,
  type MemoryIdempotentRepositoryOptions,
} from './idempotent-repository.js';
export { clone, type MulticastOptions, multicast, multicastOptionsSchema } from './multicast.js';
export { type ResequenceOptions, resequence, resequenceOptionsSchema } from './resequence.js';
export {
  type CollectTarget,
  collectTargetSchema,
  type SplitItemError,
  type SplitOptions,
  split,
  splitOptionsSchema,
} from './split.js';
export type { Target } from './target.js';
export { type ThrottleOptions, throttle, throttleOptionsSchema } from './throttle.js';
export { type WireTapOptions, wireTap } from './wire-tap.js';
