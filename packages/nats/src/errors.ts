/**
 * The error catalog of `@mediary/nats`. Codes are stable (`MEDIARY_NATS_<WHAT>`); retired codes are never
 * reused. Everything a reconnect or a later attempt may cure is `retryable`.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const natsErrors = defineErrors({
  CONNECT_FAILED: {
    code: 'MEDIARY_NATS_CONNECT_FAILED',
    message: 'NATS connection {connection} could not reach {servers}: {reason}',
    status: 503,
    retryable: true,
  },
  CONNECTION_LOST: {
    code: 'MEDIARY_NATS_CONNECTION_LOST',
    message: 'NATS connection {connection} lost the server {server}; reconnecting',
    status: 503,
    retryable: true,
  },
  CONNECTION_ERROR: {
    code: 'MEDIARY_NATS_CONNECTION_ERROR',
    message: 'NATS connection {connection} reported: {reason}',
    status: 503,
    retryable: true,
  },
  UNAVAILABLE: {
    code: 'MEDIARY_NATS_UNAVAILABLE',
    message: 'NATS connection {connection} was not connected within {timeoutMs} ms',
    status: 503,
    retryable: true,
  },
  PUBLISH_FAILED: {
    code: 'MEDIARY_NATS_PUBLISH_FAILED',
    message: 'Publishing to NATS subject {subject} failed: {reason}',
    status: 502,
    retryable: true,
  },
  NO_RESPONDERS: {
    code: 'MEDIARY_NATS_NO_RESPONDERS',
    message: 'Nobody listens on NATS subject {subject}',
    status: 503,
    retryable: true,
  },
  REQUEST_TIMEOUT: {
    code: 'MEDIARY_NATS_REQUEST_TIMEOUT',
    message: 'No reply from NATS subject {subject} within {timeoutMs} ms',
    status: 504,
    retryable: true,
  },
  REPLY_ERROR: {
    code: 'MEDIARY_NATS_REPLY_ERROR',
    message: 'The service on NATS subject {subject} answered with error {errorCode}: {reason}',
    status: 502,
  },
  STREAM_FAILED: {
    code: 'MEDIARY_NATS_STREAM_FAILED',
    message: 'JetStream {action} of {name} failed: {reason}',
    status: 503,
    retryable: true,
  },
  CONSUMER_PROBLEM: {
    code: 'MEDIARY_NATS_CONSUMER_PROBLEM',
    message: 'JetStream consumer {durable} of stream {stream}: {reason}',
    status: 503,
    retryable: true,
  },
  POISON_MESSAGE: {
    code: 'MEDIARY_NATS_POISON_MESSAGE',
    message: 'Message {sequence} of stream {stream} failed {deliveries} deliveries and was {action}',
    status: 500,
  },
  DEAD_LETTER_FAILED: {
    code: 'MEDIARY_NATS_DEAD_LETTER_FAILED',
    message:
      'Message {sequence} of stream {stream} could not be published to dead-letter subject {subject}: {reason}',
    status: 503,
    retryable: true,
  },
  SUBJECT_INVALID: {
    code: 'MEDIARY_NATS_SUBJECT_INVALID',
    message: 'NATS subject {subject} cannot be published to: {reason}',
    status: 500,
  },
  INVALID_OPTIONS: {
    code: 'MEDIARY_NATS_INVALID_OPTIONS',
    message: 'Invalid options for NATS {component}: {reason}',
    status: 500,
  },
});
