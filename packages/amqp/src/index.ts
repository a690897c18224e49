/**
 * `@mediary/amqp`: RabbitMQ (AMQP 0-9-1) for Mediary — a shared reconnecting connection, a queue source
 * that acknowledges only finished routes, a publishing endpoint with publisher confirms and request-reply,
 * and a persistent message store over a durable queue.
 *
 * @example
 * import { amqpConnection, amqpEndpoint, amqpSource } from '@mediary/amqp';
 *
 * @module
 */
export {
  AmqpConnection,
  type AmqpConnectionOptions,
  type AmqpConnectionState,
  amqpConnection,
  type ConnectionListener,
  type ReconnectOptions,
} from './connection.js';
export { AmqpEndpoint, type AmqpEndpointOptions, amqpEndpoint, type HeaderMapping } from './endpoint.js';
export { amqpErrors } from './errors.js';
export { AmqpMessageStore, type AmqpMessageStoreOptions, amqpMessageStore } from './message-store.js';
export {
  AmqpSource,
  type AmqpSourceOptions,
  type AmqpSourceStats,
  amqpSource,
  type BindingDeclaration,
  type DeadLetterTarget,
  type ExchangeDeclaration,
  type QueueDeclaration,
} from './source.js';
