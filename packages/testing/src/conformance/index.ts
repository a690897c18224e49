/**
 * Conformance suites shared by the transports and stores: one contract, run against each real server; and
 * the lock that keeps fault tests from stopping a shared service under other test files. They import
 * vitest, so only test files should import them.
 *
 * @module
 */

export {
  describeMessageStore,
  type MessageStoreConformanceOptions,
  sampleStoredMessage,
} from './message-store.js';
export { shareService, takeService, type Unlock, useSharedService } from './service-lock.js';
export {
  type ConformanceSourceSpec,
  describeTransportConformance,
  type TransportCapabilities,
  type TransportConformanceOptions,
  type TransportFixture,
} from './transport.js';
export { createLatch, eventually, type Latch, pause } from './waiting.js';
