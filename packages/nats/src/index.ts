/**
 * `@mediary/nats`: NATS and JetStream for Mediary — a shared reconnecting connection, a core subject source
 * with queue groups and request-reply, a JetStream source with explicit acknowledgements after the route,
 * negative acknowledgements with back-off and dead-lettering, an endpoint that publishes, requests or
 * publishes to JetStream, and helpers that declare streams and consumers.
 *
 * @example
 * import { jetStreamSource, natsConnection, natsEndpoint, natsSource } from '@mediary/nats';
 *
 * @module
 */
export {
  type ConnectionListener,
  NatsConnection,
  type NatsConnectionOptions,
  type NatsConnectionState,
  natsConnection,
} from './connection.js';
export { type HeaderMapping, NatsEndpoint, type NatsEndpointOptions, natsEndpoint } from './endpoint.js';
export { natsErrors } from './errors.js';
export {
  DEAD_LETTER_HEADERS,
  JetStreamSource,
  type JetStreamSourceOptions,
  type JetStreamSourceStats,
  jetStreamSource,
} from './jetstream-source.js';
export { NatsSource, type NatsSourceOptions, type NatsSourceStats, natsSource } from './source.js';
export {
  type ConsumerDeclaration,
  declareConsumer,
  declareStream,
  deleteStream,
  type StreamDeclaration,
} from './streams.js';
