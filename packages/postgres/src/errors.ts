/**
 * The error catalog of `@mediary/postgres`. Codes are stable (`MEDIARY_POSTGRES_<WHAT>`); retired codes are
 * never reused. Store semantics (a lost lease, a duplicate id, a closed store) use core's store codes
 * (`storeErrors`), so a processor handles every store the same way.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const postgresErrors = defineErrors({
  INVALID_OPTIONS: {
    code: 'MEDIARY_POSTGRES_INVALID_OPTIONS',
    message: 'Invalid options for PostgreSQL {component}: {reason}',
    status: 500,
  },
  UNAVAILABLE: {
    code: 'MEDIARY_POSTGRES_UNAVAILABLE',
    message: 'PostgreSQL {component} {name} could not {operation}: the database is unreachable ({reason})',
    status: 503,
    retryable: true,
  },
  QUERY_FAILED: {
    code: 'MEDIARY_POSTGRES_QUERY_FAILED',
    message: 'PostgreSQL {component} {name} could not {operation}: {reason}',
    status: 500,
  },
  NOT_SERIALISABLE: {
    code: 'MEDIARY_POSTGRES_NOT_SERIALISABLE',
    message: 'PostgreSQL {component} {name} cannot store {what} as JSON: {reason}',
    status: 500,
  },
  CLOSED: {
    code: 'MEDIARY_POSTGRES_CLOSED',
    message: 'PostgreSQL {component} {name} is closed',
    status: 503,
    retryable: true,
  },
});
