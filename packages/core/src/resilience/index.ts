/**
 * Resilience and fan-out for endpoints: wrappers composed with `wrapEndpoint` like undici interceptors
 * (`timeout`, `retry`, `circuitBreaker`), group endpoints (`failover`, `loadBalance`) and fan-out mediators
 * (`recipientList`, `scatterGather`). Every wait runs on the engine's clock and honours the message's signal.
 *
 * @example
 * import { circuitBreaker, retry, timeout, wrapEndpoint } from '@mediary/core';
 * const hospital = wrapEndpoint(http, circuitBreaker({ failureThreshold: 3 }), retry({ maxAttempts: 3 }), timeout(2000));
 *
 * @module
 */
export {
  type CircuitBreakerEndpoint,
  type CircuitBreakerOptions,
  type CircuitState,
  circuitBreaker,
  circuitBreakerOptionsSchema,
} from './circuit-breaker.js';
export { resilienceErrors } from './errors.js';
export { type FailoverOptions, failover } from './failover.js';
export type { EndpointRef } from './internal/endpoints.js';
export type { BranchResult, GatherOptions } from './internal/fan-out.js';
export { type LoadBalanceOptions, loadBalance, loadBalanceOptionsSchema } from './load-balance.js';
export { type RecipientListOptions, recipientList } from './recipient-list.js';
export { type RetryOptions, retry, retryOptionsSchema } from './retry.js';
export { type ScatterGatherBranch, type ScatterGatherOptions, scatterGather } from './scatter-gather.js';
export { timeout, timeoutMsSchema } from './timeout.js';
