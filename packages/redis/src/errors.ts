/**
 * The error catalog of `@mediary/redis`. Codes are stable (`MEDIARY_REDIS_<WHAT>`); retired codes are never
 * reused. Store semantics (a lost lease, a duplicate id, a closed store) use core's store codes
 * (`storeErrors`), so a processor handles every store the same way.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const redisErrors = defineErrors({
  INVALID_OPTIONS: {
    code: 'MEDIARY_REDIS_INVALID_OPTIONS',
    message: 'Invalid options for Redis {component}: {reason}',
    status: 500,
  },
  UNAVAILABLE: {
    code: 'MEDIARY_REDIS_UNAVAILABLE',
    message: 'Redis {component} {name} could not {operation}: Redis is unreachable ({reason})',
    status: 503,
    retryable: true,
  },
  COMMAND_FAILED: {
    code: 'MEDIARY_REDIS_COMMAND_FAILED',
    message: 'Redis {component} {name} could not {operation}: {reason}',
    status: 500,
  },
  CORRUPT_ENTRY: {
    code: 'MEDIARY_REDIS_CORRUPT_ENTRY',
    message: 'Redis {component} {name} cannot read {what}: {reason}',
    status: 500,
  },
  NOT_SERIALISABLE: {
    code: 'MEDIARY_REDIS_NOT_SERIALISABLE',
    message: 'Redis {component} {name} cannot store {what} as JSON: {reason}',
    status: 500,
  },
  CLOSED: {
    code: 'MEDIARY_REDIS_CLOSED',
    message: 'Redis {component} {name} is closed',
    status: 503,
    retryable: true,
  },
});
