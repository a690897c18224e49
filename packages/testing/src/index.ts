/**
 * `@mediary/testing`: run Mediary flows in-process — mocks by endpoint name, expectations, a fake clock,
 * resources that clean up with `await using`.
 *
 * @module
 */

export { createLatch, eventually, type Latch, pause } from './conformance/waiting.js';
export { createFakeClock, FakeClock, settle } from './fake-clock.js';
export { createHarness, Harness, type HarnessOptions } from './harness.js';
export { MockEndpoint, type RecordedCall } from './mock-endpoint.js';
export { SERVICES, type ServiceGate, type ServiceName, serviceGate, uniqueName } from './services.js';
