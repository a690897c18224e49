/**
 * A fake clock for anything time-driven: timeouts, back-off, throttles, aggregation timeouts, schedules.
 * Time moves only when a test says so; timers fire in order, and promises settle between them, so
 * `await clock.tick(5000)` runs a whole retry schedule deterministically.
 *
 * @module
 */
import type { Clock, TimerHandle } from '@mediary/core';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** A {@link Clock} whose time a test advances. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order, letting promises settle after
   * each (so a timer that schedules another inside the window fires too).
   */
  async tick(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue(end);
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.callback();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /** Fires timers until none is left (bounded, so a self-rescheduling timer cannot hang a test). */
  async runAll(maxTimers = 10_000): Promise<void> {
    for (let i = 0; i < maxTimers; i++) {
      await settle();
      const next = this.#nextDue(Number.POSITIVE_INFINITY);
      if (!next) return;
      await this.tick(next.at - this.#now);
    }
    throw new Error(`FakeClock.runAll: still ${this.#timers.size} timers after firing ${maxTimers}`);
  }

  #nextDue(until: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at <= until && (!next || timer.at < next.at || (timer.at === next.at && timer.id < next.id)))
        next = timer;
    }
    return next;
  }
}

/** Lets pending promise chains (and I/O callbacks already queued) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Creates a fake clock.
 *
 * @example
 * const clock = createFakeClock();
 * const engine = createEngine({ clock });
 * await clock.tick(1000);
 */
export function createFakeClock(start?: number): FakeClock {
  return new FakeClock(start);
}
