/**
 * The error catalog of `@mediary/mqtt`. Codes are stable (`MEDIARY_MQTT_<WHAT>`); retired codes are never
 * reused. Everything a reconnect or a later attempt may cure is `retryable`.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const mqttErrors = defineErrors({
  CONNECT_FAILED: {
    code: 'MEDIARY_MQTT_CONNECT_FAILED',
    message: 'MQTT connection {connection} could not reach the broker at {url}: {reason}',
    status: 503,
    retryable: true,
  },
  CONNECTION_LOST: {
    code: 'MEDIARY_MQTT_CONNECTION_LOST',
    message: 'MQTT connection {connection} was lost: {reason}',
    status: 503,
    retryable: true,
  },
  UNAVAILABLE: {
    code: 'MEDIARY_MQTT_UNAVAILABLE',
    message: 'MQTT connection {connection} was not connected within {timeoutMs} ms',
    status: 503,
    retryable: true,
  },
  SUBSCRIBE_FAILED: {
    code: 'MEDIARY_MQTT_SUBSCRIBE_FAILED',
    message: 'MQTT connection {connection} could not subscribe to {filter}: {reason}',
    status: 503,
    retryable: true,
  },
  PUBLISH_FAILED: {
    code: 'MEDIARY_MQTT_PUBLISH_FAILED',
    message: 'Publishing to MQTT topic {topic} failed: {reason}',
    status: 502,
    retryable: true,
  },
  PUBLISH_TIMEOUT: {
    code: 'MEDIARY_MQTT_PUBLISH_TIMEOUT',
    message: 'The broker did not acknowledge the publish to MQTT topic {topic} within {timeoutMs} ms',
    status: 504,
    retryable: true,
  },
  TOPIC_INVALID: {
    code: 'MEDIARY_MQTT_TOPIC_INVALID',
    message: 'MQTT topic {topic} cannot be published to: {reason}',
    status: 500,
  },
  POISON_MESSAGE: {
    code: 'MEDIARY_MQTT_POISON_MESSAGE',
    message: 'A message of MQTT topic {topic} failed {deliveries} deliveries and was {action}',
    status: 500,
  },
  MESSAGE_DROPPED: {
    code: 'MEDIARY_MQTT_MESSAGE_DROPPED',
    message: 'A message of MQTT topic {topic} failed its route and was dropped ({reason})',
    status: 500,
  },
  UNROUTED: {
    code: 'MEDIARY_MQTT_UNROUTED',
    message:
      'A message of MQTT topic {topic} matched no started source of connection {connection} within {timeoutMs} ms and was acknowledged unprocessed',
    status: 500,
  },
  INVALID_OPTIONS: {
    code: 'MEDIARY_MQTT_INVALID_OPTIONS',
    message: 'Invalid options for MQTT {component}: {reason}',
    status: 500,
  },
});
