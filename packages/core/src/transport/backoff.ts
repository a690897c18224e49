/**
 * Exponential back-off for transports: how long to wait before the next attempt to get a broker connection
 * (or a channel) back, or before a failed message is delivered again. Endpoint retries have their own
 * schedule with full jitter (`retry()` in the resilience wrappers); this one is exact unless asked for
 * jitter, so reconnect logs and tests read the same every time.
 *
 * @module
 */

/** How long to wait between attempts. */
export interface BackoffOptions {
  /** Wait before the first retry. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Longest wait between retries. Default 30 000 ms. */
  readonly maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /**
   * Fraction (0–1) of each delay taken off at random, so many clients that lost the same broker do not
   * come back in lock-step. Default 0: delays are exact, which keeps logs and tests predictable.
   */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF = Object.freeze({
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0,
});

/**
 * The delay before retry number `attempt` (0 for the first retry): `initial × factor^attempt`, capped at
 * `maxDelayMs` (never below `initialDelayMs`), minus up to `jitter` of it, in whole milliseconds.
 *
 * @example
 * const delays = [0, 1, 2, 3].map((attempt) => backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 500 }));
 * // [100, 200, 400, 500]
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = Math.max(0, options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs);
  const max = Math.max(initial, options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs);
  const factor = Math.max(1, options.factor ?? DEFAULT_BACKOFF.factor);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? DEFAULT_BACKOFF.jitter));
  // Capped before exponentiation overflows: attempts only grow while the broker stays away.
  const exact = Math.min(max, initial * factor ** Math.min(Math.max(0, attempt), 64));
  return Math.round(exact * (1 - jitter * random()));
}
