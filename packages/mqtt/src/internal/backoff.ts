/**
 * Exponential back-off for reconnects and redeliveries.
 *
 * @module
 */

/** The delay before retry number `attempt` (0 for the first): `initial × 2^attempt`, capped at `max`. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const initial = Math.max(0, initialMs);
  const delay = initial * 2 ** Math.max(0, Math.min(attempt, 30));
  return Math.min(Math.max(initial, maxMs), delay);
}
