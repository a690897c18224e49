/**
 * A waiting room: callers that need a resource which is not there yet — a broker connection while it
 * (re)connects — wait in it, each with its own deadline on the engine's clock and its own abort signal, until
 * the resource opens (every waiter gets it) or fails (every waiter gets the error). Transports share it so
 * that "wait for the connection, but not forever" is written once.
 *
 * @module
 */
import type { Clock, TimerHandle } from './clock.js';
import { coreErrors, isMediaryError, type MediaryError } from './errors.js';

export interface WaitOptions {
  /** The clock the deadline runs on (the engine's, so a fake clock drives it in tests). */
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** The error a waiter gets when its deadline passes first. */
  readonly timeoutError: () => Error;
  readonly signal?: AbortSignal;
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/** See the module description. Create one with {@link createWaitingRoom}. */
export class WaitingRoom<T> {
  readonly #waiters = new Set<Waiter<T>>();

  /** How many callers are waiting. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Waits until {@link open} or {@link fail}, the deadline, or the signal — whichever comes first. */
  wait(options: WaitOptions): Promise<T> {
    const { clock, signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise<T>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const finish = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter<T> = {
        resolve: (value) => {
          finish();
          resolve(value);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(abortError(signal?.reason));
      timer = clock.setTimeout(() => waiter.reject(options.timeoutError()), options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Hands `value` to everyone waiting. */
  open(value: T): void {
    for (const waiter of [...this.#waiters]) waiter.resolve(value);
  }

  /** Fails everyone waiting with `error`. */
  fail(error: Error): void {
    for (const waiter of [...this.#waiters]) waiter.reject(error);
  }
}

/** A cancelled wait is `MEDIARY_ABORTED` (503, retryable) unless the signal carried a Mediary error. */
function abortError(reason: unknown): MediaryError {
  if (isMediaryError(reason)) return reason;
  const text = reason instanceof Error ? reason.message : String(reason ?? 'aborted');
  return coreErrors.ABORTED({ reason: text }, { cause: reason });
}

/**
 * Creates a waiting room.
 *
 * @example
 * const room = createWaitingRoom<Channel>();
 * // while connecting:
 * const channel = await room.wait({ clock: engine.clock, timeoutMs: 10_000, timeoutError: () => unavailable() });
 * // once connected:
 * room.open(channel);
 */
export function createWaitingRoom<T>(): WaitingRoom<T> {
  return new WaitingRoom<T>();
}
