import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles the delay per attempt from the initial one', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 100, 10_000))).toEqual([100, 200, 400, 800]);
  });

  it('never waits longer than the maximum', () => {
    expect(backoffDelay(50, 100, 5000)).toBe(5000);
  });

  it('keeps the initial delay when the maximum is below it', () => {
    expect(backoffDelay(3, 1000, 10)).toBe(1000);
  });
});
