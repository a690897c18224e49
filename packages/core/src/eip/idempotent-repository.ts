/**
 * Where an idempotent consumer remembers the keys it has seen. The in-memory repository is the default; a
 * persistent one (Redis `SET NX PX`, a PostgreSQL table with an expiry column) implements the same three
 * methods.
 *
 * @module
 */
import { type Clock, systemClock } from '../clock.js';

export interface IdempotentRepository {
  /**
   * Records `key` for `ttlMs` unless it is already recorded (and not expired). Resolves to true when this
   * call recorded it — the message is new — and false for a duplicate. Must be atomic.
   */
  add(key: string, ttlMs: number): Promise<boolean>;
  contains(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
}

export interface MemoryIdempotentRepositoryOptions {
  /** The clock expiry is measured on; pass the engine's (`engine.clock`) so a fake clock drives it. */
  readonly clock?: Clock;
  /** Most keys kept; the oldest are forgotten first. Default 100 000. */
  readonly maxEntries?: number;
}

/**
 * An in-memory repository with a time window per key.
 *
 * @example
 * idempotent({ key: (ctx) => ctx.message.headers.get('x-message-id') ?? '', repository: createMemoryIdempotentRepository({ clock: engine.clock }) })
 */
export function createMemoryIdempotentRepository(
  options: MemoryIdempotentRepositoryOptions = {},
): IdempotentRepository {
  const clock = options.clock ?? systemClock;
  const maxEntries = Math.max(1, options.maxEntries ?? 100_000);
  const expiries = new Map<string, number>();
  const live = (key: string) => {
    const expiresAt = expiries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > clock.now()) return true;
    expiries.delete(key);
    return false;
  };
  return {
    async add(key, ttlMs) {
      if (live(key)) return false;
      expiries.set(key, clock.now() + ttlMs);
      while (expiries.size > maxEntries) expiries.delete(expiries.keys().next().value!);
      return true;
    },
    async contains(key) {
      return live(key);
    },
    async remove(key) {
      expiries.delete(key);
    },
  };
}
