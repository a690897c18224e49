import { describe, expect, it } from 'vitest';
import { reasonOf } from './reason-of.js';

describe('reasonOf', () => {
  it("gives an error's message", () => {
    expect(reasonOf(new Error('connect ECONNREFUSED 127.0.0.1:5672'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:5672',
    );
  });

  it("falls back to the error's name when its message is empty", () => {
    expect(reasonOf(new TypeError())).toBe('TypeError');
  });

  it('turns anything else thrown into text', () => {
    expect(reasonOf('socket hang up')).toBe('socket hang up');
    expect(reasonOf(undefined)).toBe('undefined');
  });
});
