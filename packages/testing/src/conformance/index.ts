/**
 * Conformance suites shared by the transports: one contract, run against each real broker. They import
 * vitest, so only test files should import them.
 *
 * @module
 */

export {
  describeMessageStore,
  type MessageStoreConformanceOptions,
  sampleStoredMessage,
} from './message-store.js';
export {
  type ConformanceSourceSpec,
  describeTransportConformance,
  type TransportCapabilities,
  type TransportConformanceOptions,
  type TransportFixture,
} from './transport.js';
export { createLatch, eventually, type Latch, pause } from './waiting.js';
