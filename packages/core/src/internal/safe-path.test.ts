import { describe, expect, it } from 'vitest';
import { getPath, isForbiddenKey, parsePath, safeMerge, setPath, withoutForbiddenKeys } from './safe-path.js';

describe('safe paths', () => {
  it('parse dots and brackets, and treat an empty path or $ as the root', () => {
    expect(parsePath('a.b[0].c')).toEqual(['a', 'b', '0', 'c']);
    expect(parsePath('')).toEqual([]);
    expect(parsePath('$')).toEqual([]);
    expect(parsePath('a..b')).toEqual(['a', 'b']);
  });

  it('refuse __proto__, constructor and prototype anywhere in a path', () => {
    for (const path of ['__proto__', 'a.__proto__.b', 'constructor.prototype', 'x[0].prototype']) {
      expect(() => parsePath(path)).toThrow(expect.objectContaining({ code: 'MEDIARY_UNSAFE_KEY' }));
    }
    expect(isForbiddenKey('constructor')).toBe(true);
    expect(isForbiddenKey('proto')).toBe(false);
  });

  it('read own properties only, undefined for anything missing', () => {
    expect(getPath({ a: [{ b: 1 }] }, ['a', '0', 'b'])).toBe(1);
    expect(getPath({ a: 1 }, ['a', 'b'])).toBeUndefined();
    expect(getPath({}, ['toString'])).toBeUndefined();
    expect(getPath(null, ['a'])).toBeUndefined();
  });

  it('write by copying along the path, never mutating the input', () => {
    const root = { a: { b: 1 }, c: [1, 2], keep: {} };
    const out = setPath(root, ['a', 'x'], 2) as typeof root & { a: { x: number } };
    expect(out).toEqual({ a: { b: 1, x: 2 }, c: [1, 2], keep: {} });
    expect(root.a).toEqual({ b: 1 });
    expect(out.keep).toBe(root.keep);
    expect(setPath(root, ['c', '1'], 9)).toEqual({ a: { b: 1 }, c: [1, 9], keep: {} });
    expect(root.c).toEqual([1, 2]);
    expect(setPath(undefined, ['n', 'm'], 1)).toEqual({ n: { m: 1 } });
    expect(setPath({ a: 1 }, [], 'root')).toBe('root');
  });

  it('merge objects recursively and drop forbidden keys of the source', () => {
    const source = JSON.parse('{"a": {"y": 2}, "__proto__": {"polluted": true}}');
    const merged = safeMerge({ a: { x: 1 }, b: 1 }, source) as Record<string, unknown>;
    expect(merged).toEqual({ a: { x: 1, y: 2 }, b: 1 });
    expect(Object.keys(merged)).not.toContain('__proto__');
    expect(safeMerge({ a: 1 }, [1])).toEqual([1]);
    expect(safeMerge(1, { a: 1 })).toEqual({ a: 1 });
  });

  it('strip forbidden keys at any depth, copying only what changes', () => {
    const clean = { a: [{ b: 1 }], c: 'x' };
    expect(withoutForbiddenKeys(clean)).toBe(clean);
    const dirty = JSON.parse(
      '{"a": [{"b": 1, "constructor": {}}], "k": {"deep": {"__proto__": {"p": 1}, "v": 2}}}',
    );
    const out = withoutForbiddenKeys(dirty) as { a: unknown[]; k: unknown };
    expect(out).toEqual({ a: [{ b: 1 }], k: { deep: { v: 2 } } });
    expect(JSON.stringify(out)).toBe('{"a":[{"b":1}],"k":{"deep":{"v":2}}}');
    expect(Object.keys((dirty as { a: object[] }).a[0]!)).toContain('constructor');
    expect(withoutForbiddenKeys('__proto__')).toBe('__proto__');
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });

  it('refuse a value nested too deep to sanitise instead of overflowing the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 2000; i++) deep = { d: deep };
    expect(() => withoutForbiddenKeys(deep)).toThrow(
      expect.objectContaining({ code: 'MEDIARY_JSON_TOO_DEEP' }),
    );
  });
});
