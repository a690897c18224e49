/**
 * Exponential back-off for reconnects and channel re-opens.
 *
 * @module
 */

/** How long to wait between attempts to get a connection (or a channel) back. */
export interface ReconnectOptions {
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

export const DEFAULT_RECONNECT = Object.freeze({
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0,
});

/**
 * The delay before retry number `attempt` (0 for the first retry): `initial × factor^attempt`, capped at
 * `maxDelayMs`, minus up to `jitter` of it.
 */
export function backoffDelay(
  attempt: number,
  options: ReconnectOptions = {},
  random: () => number = Math.random,
): number {
  const initial = Math.max(0, options.initialDelayMs ?? DEFAULT_RECONNECT.initialDelayMs);
  const max = Math.max(initial, options.maxDelayMs ?? DEFAULT_RECONNECT.maxDelayMs);
  const factor = Math.max(1, options.factor ?? DEFAULT_RECONNECT.factor);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? DEFAULT_RECONNECT.jitter));
  // Capped before exponentiation overflows: attempts only grow while the broker stays away.
  const exact = Math.min(max, initial * factor ** Math.min(attempt, 64));
  return Math.round(exact * (1 - jitter * random()));
}
