/**
 * Building blocks for transport plugins (AMQP, MQTT, NATS…): the lifecycle of a shared, reconnecting broker
 * connection (users, waiters, back-off, outages), the engines it reports to, the back-off schedule, and the
 * text of a failure (`reasonOf`, `redactUrl`). The protocol stays in the plugin.
 *
 * @example
 * import { createAttachedEngines, createConnectionLifecycle, reasonOf, redactUrl } from '@mediary/core';
 *
 * @module
 */
export {
  AttachedEngines,
  type AttachedEnginesOptions,
  createAttachedEngines,
} from './attached-engines.js';
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export {
  type ConnectionDown,
  ConnectionLifecycle,
  type ConnectionLifecycleOptions,
  type ConnectionState,
  createConnectionLifecycle,
  type Outage,
  type ReconnectPlan,
} from './connection-lifecycle.js';
export { reasonOf } from './reason-of.js';
export { redactUrl } from './redact-url.js';
