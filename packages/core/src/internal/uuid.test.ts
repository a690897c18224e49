import { describe, expect, it } from 'vitest';
import { randomId } from './uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomId', () => {
  it('makes version 4, variant 1 UUIDs, all different, across several random batches', () => {
    const ids = Array.from({ length: 2000 }, randomId);
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads every hex digit over the random positions', () => {
    const counts = new Map<string, number>();
    for (let n = 0; n < 1000; n++) {
      for (const digit of randomId().slice(0, 8)) counts.set(digit, (counts.get(digit) ?? 0) + 1);
    }
    // 8 000 digits, 500 expected for each: a broken byte-to-hex mapping would leave some at 0.
    expect(counts.size).toBe(16);
    for (const count of counts.values()) expect(count).toBeGreaterThan(350);
  });

  it('returns strings that do not change when the next id is made', () => {
    const first = randomId();
    const copy = `${first}`;
    randomId();
    expect(first).toBe(copy);
  });
});
