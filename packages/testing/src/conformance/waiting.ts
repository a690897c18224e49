/**
 * Waiting helpers for tests against real brokers, where effects happen on another process's time: a latch
 * a route can wait on, and polling until an assertion holds.
 *
 * @module
 */

/** A gate a test opens: routes `await latch.wait()`, the test calls `latch.open()`. */
export interface Latch {
  wait(): Promise<void>;
  open(): void;
  readonly isOpen: boolean;
}

/**
 * Creates a closed latch.
 *
 * @example
 * const latch = createLatch();
 * const steps = [async () => { await latch.wait(); }];
 * latch.open();
 */
export function createLatch(): Latch {
  let open = false;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    wait: () => gate,
    open() {
      open = true;
      release();
    },
    get isOpen() {
      return open;
    },
  };
}

/**
 * Polls `assertion` until it stops throwing, up to `timeoutMs` of real time; rethrows its last error.
 *
 * @example
 * await eventually(async () => expect(await inspect.pending()).toBe(0));
 */
export async function eventually<T>(
  assertion: () => T | Promise<T>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await pause(options.intervalMs ?? 50);
    }
  }
}

/**
 * Waits real time. Only for giving a real broker the chance to do something it must not do (redeliver a
 * settled message, deliver to a stopped consumer) before asserting that it did not.
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
