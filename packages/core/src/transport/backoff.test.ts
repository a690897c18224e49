import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('uses 100 ms doubling up to 30 s by default', () => {
    expect(backoffDelay(0)).toBe(100);
    expect(backoffDelay(100)).toBe(30_000);
  });

  it('grows by the given factor', () => {
    expect([0, 1, 2].map((attempt) => backoffDelay(attempt, { initialDelayMs: 10, factor: 3 }))).toEqual([
      10, 30, 90,
    ]);
  });

  it('keeps the initial delay when the maximum is below it', () => {
    expect(backoffDelay(3, { initialDelayMs: 1000, maxDelayMs: 10 })).toBe(1000);
  });

  it('takes up to the jitter fraction off each delay, never adding to it', () => {
    const options = { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.5 };
    expect(backoffDelay(0, options, () => 0)).toBe(1000);
    expect(backoffDelay(0, options, () => 1)).toBe(500);
    expect(backoffDelay(3, options, () => 0.5)).toBe(750);
  });

  it('never overflows however many attempts failed', () => {
    expect(backoffDelay(10_000, { initialDelayMs: 1, maxDelayMs: 5000 })).toBe(5000);
  });
});
