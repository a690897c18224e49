import { Headers } from '@mediary/core';
import { describe, expect, it } from 'vitest';
import { forwardedHeaders, replyHeaders } from './headers.js';

/** The name a plain object would take for its prototype. */
const PROTO = '__proto__';

describe('forwardedHeaders', () => {
  it('keeps a header named __proto__ or constructor as an own header, never as a prototype', () => {
    const inbound = new Headers([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['connection', 'keep-alive'],
    ]);

    const out = forwardedHeaders(inbound, true);

    expect(Object.keys(out).sort()).toEqual(['__proto__', 'constructor']);
    expect([out[PROTO], out.constructor]).toEqual(['p', 'c']);
    expect(out.toString).toBeUndefined();
    expect(Object.isFrozen(Object.getPrototypeOf(out))).toBe(true);
  });
});

describe('replyHeaders', () => {
  it('drops hop-by-hop headers and those the Connection header lists, keeps the rest as own entries', () => {
    const raw: Record<string, string | string[]> = Object.create(null);
    Object.assign(raw, {
      connection: 'x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'set-cookie': ['a', 'b'],
    });
    raw[PROTO] = 'p';

    const out = replyHeaders(raw);

    expect(Object.keys(out).sort()).toEqual(['__proto__', 'set-cookie']);
    expect(out['set-cookie']).toEqual(['a', 'b']);
    expect(out.hasOwnProperty).toBeUndefined();
  });
});
