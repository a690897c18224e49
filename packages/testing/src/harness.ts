/**
 * The in-process harness: build an engine with a fake clock, mock endpoints by name, send messages into a
 * route, a sequence or a list of steps, and clean everything up with `await using`.
 *
 * @module
 */
import {
  createEngine,
  createMessage,
  type DispatchOptions,
  type Engine,
  type EngineOptions,
  type Exchange,
  type Mediator,
  Message,
  type MessageInit,
  type Step,
  sequence,
  silentLogger,
} from '@mediary/core';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { MockEndpoint } from './mock-endpoint.js';

export interface HarnessOptions extends Omit<EngineOptions, 'clock'> {
  /** Use the real clock instead of a fake one (for tests over real sockets). */
  readonly realClock?: boolean;
  /** Start the engine's sources (servers, consumers). Default false: in-process sends need none. */
  readonly start?: boolean;
}

/** A running test setup. Dispose it (`await using`) to stop the engine and remove the mocks. */
export class Harness implements AsyncDisposable {
  readonly engine: Engine;
  /** The fake clock (also when `realClock` is set, it exists but drives nothing). */
  readonly clock: FakeClock;
  readonly #mocks = new Map<string, MockEndpoint>();
  readonly #restore: Array<() => void> = [];

  constructor(engine: Engine, clock: FakeClock) {
    this.engine = engine;
    this.clock = clock;
  }

  /**
   * Replaces the endpoint named `name` with a mock (the same mock on every call with that name).
   *
   * @example
   * h.mock('hospital').reply({ json: { appointmentNumber: 1 } });
   */
  mock(name: string): MockEndpoint {
    let mock = this.#mocks.get(name);
    if (!mock) {
      mock = new MockEndpoint(name, this.engine.clock);
      this.#mocks.set(name, mock);
      this.#restore.push(this.engine.replaceEndpoint(name, mock));
    }
    return mock;
  }

  /**
   * Sends a message into a route (by id), a mediator, or a list of steps, and returns the exchange.
   *
   * @example
   * const result = await h.send('reserve', { json: order });
   * expect(result.ok && (await result.message.json())).toEqual(...)
   */
  send(
    target: string | Mediator | readonly Step[],
    input: MessageInit | Message = {},
    options: DispatchOptions = {},
  ): Promise<Exchange> {
    const message =
      input instanceof Message ? input : createMessage({ limits: this.engine.limits, ...input });
    const runnable = Array.isArray(target)
      ? sequence(target as readonly Step[], { name: 'test' })
      : (target as string | Mediator);
    return this.engine.dispatch(runnable, message, options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Stop first: whatever runs during stop (draining messages, completing aggregations, wire taps) still
    // reaches the mocks; only then are the real endpoints put back.
    await this.engine.stop({ timeoutMs: 1000 });
    for (const restore of this.#restore.splice(0)) restore();
  }

  /** Same as disposing, for tests that cannot use `await using`. */
  close(): Promise<void> {
    return this[Symbol.asyncDispose]();
  }
}

/**
 * Creates a harness around a new engine that `setup` configures.
 *
 * @example
 * await using h = await createHarness((engine) => {
 *   engine.addEndpoint(httpEndpoint({ name: 'hospital', url: 'http://unused' }));
 *   engine.addRoute({ id: 'reserve', steps: [call('hospital'), respond()] });
 * });
 * h.mock('hospital').reply({ json: { ok: true } });
 * const result = await h.send('reserve', { json: {} });
 */
export async function createHarness(
  setup?: (engine: Engine) => void | Promise<void>,
  options: HarnessOptions = {},
): Promise<Harness> {
  const clock = createFakeClock();
  const { realClock, start, ...engineOptions } = options;
  const engine = createEngine({
    logger: silentLogger,
    ...engineOptions,
    ...(realClock ? {} : { clock }),
  });
  await setup?.(engine);
  const harness = new Harness(engine, clock);
  if (start) await engine.start();
  return harness;
}
