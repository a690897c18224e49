/**
 * Message stores and message processors: the `MessageStore` interface, an in-memory store, a per-engine
 * registry, the `store` mediator, and the sampling and forwarding processors. The shared conformance suite
 * (`describeMessageStore`) lives in `@mediary/testing/conformance`, because it imports vitest.
 *
 * @module
 */
export { storeErrors } from './errors.js';
export {
  type ForwardError,
  type ForwardingProcessorOptions,
  forwardingProcessor,
  forwardingProcessorOptionsSchema,
} from './forwarding-processor.js';
export { createMemoryStore, MemoryMessageStore, type MemoryStoreOptions } from './memory-store.js';
export {
  fromStoredMessage,
  type Lease,
  type LeaseOptions,
  type MessageStore,
  type ReleaseOptions,
  type StoredMessage,
  toStoredMessage,
} from './message-store.js';
export type { MessageProcessor, ProcessorState, ProcessorStats } from './processor.js';
export { hasStore, registerStore, storeOf } from './registry.js';
export {
  type SamplingProcessorOptions,
  samplingProcessor,
  samplingProcessorOptionsSchema,
} from './sampling-processor.js';
export { store } from './store-mediator.js';
