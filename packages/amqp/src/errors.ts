/**
 * The error catalog of `@mediary/amqp`. Codes are stable (`MEDIARY_AMQP_<WHAT>`); retired codes are never
 * reused. Everything that a reconnect or a later attempt may cure is `retryable`.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const amqpErrors = defineErrors({
  CONNECT_FAILED: {
    code: 'MEDIARY_AMQP_CONNECT_FAILED',
    message: 'AMQP connection {connection} could not reach the broker at {url}: {reason}',
    status: 503,
    retryable: true,
  },
  CONNECTION_LOST: {
    code: 'MEDIARY_AMQP_CONNECTION_LOST',
    message: 'AMQP connection {connection} was lost: {reason}',
    status: 503,
    retryable: true,
  },
  UNAVAILABLE: {
    code: 'MEDIARY_AMQP_UNAVAILABLE',
    message: 'AMQP {component} {name} had no open channel within {timeoutMs} ms',
    status: 503,
    retryable: true,
  },
  CHANNEL_FAILED: {
    code: 'MEDIARY_AMQP_CHANNEL_FAILED',
    message: 'AMQP {component} {name} could not open its channel: {reason}',
    status: 503,
    retryable: true,
  },
  PUBLISH_FAILED: {
    code: 'MEDIARY_AMQP_PUBLISH_FAILED',
    message: 'Publishing to exchange {exchange} with routing key {routingKey} failed: {reason}',
    status: 502,
    retryable: true,
  },
  UNROUTABLE: {
    code: 'MEDIARY_AMQP_UNROUTABLE',
    message: 'Exchange {exchange} has no queue bound for routing key {routingKey}',
    status: 502,
  },
  REPLY_TIMEOUT: {
    code: 'MEDIARY_AMQP_REPLY_TIMEOUT',
    message: 'No reply to the request sent to {exchange} with routing key {routingKey} within {timeoutMs} ms',
    status: 504,
    retryable: true,
  },
  CONSUMER_CANCELLED: {
    code: 'MEDIARY_AMQP_CONSUMER_CANCELLED',
    message: 'The broker cancelled the consumer of queue {queue}',
    status: 503,
    retryable: true,
  },
  SETTLE_FAILED: {
    code: 'MEDIARY_AMQP_SETTLE_FAILED',
    message: 'Delivery {deliveryTag} of queue {queue} could not be settled ({action}): {reason}',
    status: 503,
    retryable: true,
  },
  POISON_MESSAGE: {
    code: 'MEDIARY_AMQP_POISON_MESSAGE',
    message: 'A message of queue {queue} failed {deliveries} deliveries and was dead-lettered',
    status: 500,
  },
  INVALID_OPTIONS: {
    code: 'MEDIARY_AMQP_INVALID_OPTIONS',
    message: 'Invalid options for AMQP {component}: {reason}',
    status: 500,
  },
});
