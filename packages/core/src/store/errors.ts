/**
 * Error codes of message stores and message processors.
 *
 * @module
 */
import { defineErrors } from '../errors.js';

export const storeErrors = defineErrors({
  NOT_FOUND: {
    code: 'MEDIARY_STORE_NOT_FOUND',
    message: 'No message store is named {name} on this engine',
    status: 500,
  },
  DUPLICATE_NAME: {
    code: 'MEDIARY_STORE_DUPLICATE_NAME',
    message: 'A message store named {name} is already registered on this engine',
    status: 500,
  },
  DUPLICATE_ID: {
    code: 'MEDIARY_STORE_DUPLICATE_ID',
    message: 'Message store {store} already holds a message with id {id}',
    status: 409,
  },
  LEASE_LOST: {
    code: 'MEDIARY_STORE_LEASE_LOST',
    message: 'The lease on message {id} in store {store} expired or was already settled',
    status: 409,
  },
  FULL: {
    code: 'MEDIARY_STORE_FULL',
    message: 'Message store {store} is full ({limit} messages)',
    status: 503,
    retryable: true,
  },
  CLOSED: {
    code: 'MEDIARY_STORE_CLOSED',
    message: 'Message store {store} is closed',
    status: 503,
    retryable: true,
  },
  NOT_SERIALISABLE: {
    code: 'MEDIARY_STORE_NOT_SERIALISABLE',
    message: 'Variable {name} cannot be stored: {reason}',
    status: 500,
  },
  PROCESSOR_CONFIG_INVALID: {
    code: 'MEDIARY_PROCESSOR_CONFIG_INVALID',
    message: 'Invalid options for processor {name}: {reason}',
    status: 500,
  },
  FORWARD_REJECTED: {
    code: 'MEDIARY_FORWARD_REJECTED',
    message: 'Endpoint {endpoint} answered with status {status}',
    status: 502,
    retryable: true,
  },
  PROCESSOR_DEACTIVATED: {
    code: 'MEDIARY_PROCESSOR_DEACTIVATED',
    message: 'Processor {name} was deactivated: message {id} failed {attempts} times',
    status: 503,
  },
});
