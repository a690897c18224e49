/**
 * `@mediary/mqtt`: MQTT 3.1.1 and 5 for Mediary — a shared reconnecting connection with clean or persistent
 * sessions, a topic source that acknowledges QoS 1/2 messages only once their route finished, and a
 * publishing endpoint.
 *
 * @example
 * import { mqttConnection, mqttEndpoint, mqttSource } from '@mediary/mqtt';
 *
 * @module
 */
export {
  type InboundDelivery,
  type InboundHandler,
  MqttConnection,
  type MqttConnectionOptions,
  type MqttConnectionState,
  mqttConnection,
} from './connection.js';
export { type HeaderMapping, MqttEndpoint, type MqttEndpointOptions, mqttEndpoint } from './endpoint.js';
export { mqttErrors } from './errors.js';
export { MqttSource, type MqttSourceOptions, type MqttSourceStats, mqttSource } from './source.js';
