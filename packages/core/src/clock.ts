/**
 * Time as a dependency. Everything time-driven in Mediary (timeouts, back-off, throttles, aggregation
 * timeouts, schedules) asks the engine's clock, so `@mediary/testing` can swap in a fake one.
 *
 * @module
 */

/** An opaque timer handle. */
export type TimerHandle = { readonly __timer?: never } | object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. Its timers keep the process alive like any `setTimeout`: a host awaiting a reconnect
 * back-off at top level must not exit in the middle of it (an unref'd timer let Node end with exit code 13).
 * Everything that schedules on the clock clears its timers when the engine stops.
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout(callback: () => void, ms: number): TimerHandle {
    return setTimeout(callback, ms);
  },
  clearTimeout(handle: TimerHandle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
});

/**
 * Waits `ms` on the given clock; rejects with the signal's reason when it aborts first.
 *
 * @example
 * await sleep(ctx.engine.clock, 500, ctx.signal);
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
