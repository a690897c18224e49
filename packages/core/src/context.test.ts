import { describe, expect, it } from 'vitest';
import { createVars, EMPTY_TRANSPORT } from './context.js';

describe('context', () => {
  it('creates variables without a prototype, so no key reaches Object.prototype', () => {
    const vars = createVars({ a: 1 });
    expect(Object.getPrototypeOf(vars)).toBeNull();
    Reflect.set(vars, '__proto__', { polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(vars.a).toBe(1);
    expect(Object.keys(createVars())).toEqual([]);
  });

  it('has a frozen default transport', () => {
    expect(EMPTY_TRANSPORT.name).toBe('direct');
    expect(Object.isFrozen(EMPTY_TRANSPORT.params)).toBe(true);
  });
});
