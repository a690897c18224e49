import { describe, expect, it } from 'vitest';
import { jsonDepthWithin, valueDepthWithin } from './json-depth.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('JSON depth', () => {
  it('counts objects and arrays, but not brackets inside strings or escaped quotes', () => {
    expect(jsonDepthWithin(bytes('{"a":[{"b":1}]}'), 3)).toBe(true);
    expect(jsonDepthWithin(bytes('{"a":[{"b":1}]}'), 2)).toBe(false);
    expect(jsonDepthWithin(bytes('["[[[[", "\\"[[[["]'), 1)).toBe(true);
    expect(jsonDepthWithin(bytes('1'), 0)).toBe(true);
  });

  it('decides texts no longer than the limit without scanning, and exactly at the boundary', () => {
    expect(jsonDepthWithin(bytes('[[['), 3)).toBe(true);
    expect(jsonDepthWithin(bytes('[[[]]]'), 3)).toBe(true);
    expect(jsonDepthWithin(bytes('[[[[]]]]'), 3)).toBe(false);
    expect(jsonDepthWithin(bytes('[[[['), 3)).toBe(false);
  });

  it('rejects 100 000 levels in one pass without recursion', () => {
    expect(jsonDepthWithin(bytes('['.repeat(100_000) + ']'.repeat(100_000)), 128)).toBe(false);
  });

  it('measures values in memory iteratively', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueDepthWithin(deep, 128)).toBe(false);
    expect(valueDepthWithin({ a: [{ b: {} }] }, 4)).toBe(true);
    expect(valueDepthWithin({ a: [{ b: {} }] }, 3)).toBe(false);
    expect(valueDepthWithin('x', 0)).toBe(true);
  });
});
