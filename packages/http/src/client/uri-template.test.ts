import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { httpClientErrors } from './errors.js';
import { parseUriTemplate } from './uri-template.js';

const from =
  (values: Record<string, unknown>) =>
  (name: string): unknown =>
    values[name];

/** RFC 3986 §5.2.4: what a server that resolves dot segments makes of a path. Only literal dots count. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '.') {
      if (last) output.push('');
    } else if (segment === '..') {
      if (output.length > 0) output.pop();
      if (last) output.push('');
    } else output.push(segment);
  });
  return `/${output.join('/')}`;
}

/** Expands, or returns undefined when the values were refused for making a `.`/`..` segment. */
function expandOrRefuse(
  t: ReturnType<typeof parseUriTemplate>,
  values: Record<string, unknown>,
): string | undefined {
  try {
    return t.expand(from(values));
  } catch (error) {
    if (httpClientErrors.PATH_VALUE_UNSAFE.is(error)) return undefined;
    throw error;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings biased towards what attacks a path: dots, slashes, encoded slashes and dots, query characters. */
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc
    .array(
      fc.constantFrom(
        '.',
        '..',
        '/',
        '\\',
        '%',
        '%2E',
        '%2e',
        '%2F',
        '?',
        '#',
        '&',
        '=',
        ' ',
        'a',
        '%00',
        '\u0000',
      ),
    )
    .map((parts) => parts.join('')),
);

describe('parseUriTemplate', () => {
  it('fills simple variables', () => {
    const t = parseUriTemplate('/{hospitalId}/categories/{category}/reserve');
    expect(t.variables).toEqual(['hospitalId', 'category']);
    expect(t.expand(from({ hospitalId: 'clemency', category: 'surgery' }))).toBe(
      '/clemency/categories/surgery/reserve',
    );
  });

  it('percent-encodes every character but the unreserved ones in a simple variable', () => {
    const t = parseUriTemplate('/a/{x}');
    expect(t.expand(from({ x: 'a b/c?d#e&f=g%h' }))).toBe('/a/a%20b%2Fc%3Fd%23e%26f%3Dg%25h');
    expect(t.expand(from({ x: "!*'()" }))).toBe('/a/%21%2A%27%28%29');
    expect(t.expand(from({ x: 'ü€😀' }))).toBe('/a/%C3%BC%E2%82%AC%F0%9F%98%80');
    expect(t.expand(from({ x: 'a-b_c.d~e' }))).toBe('/a/a-b_c.d~e');
  });

  it('refuses a value that makes a whole segment . or .., so it cannot climb out of the base path', () => {
    const t = parseUriTemplate('/base/{x}/end');
    for (const x of ['..', '.']) {
      expect(() => t.expand(from({ x }))).toThrow(
        expect.objectContaining({ code: 'MEDIARY_HTTP_PATH_VALUE_UNSAFE', status: 400 }),
      );
    }
    expect(t.expand(from({ x: '../..' }))).toBe('/base/..%2F../end');
    expect(t.expand(from({ x: '...' }))).toBe('/base/.../end');
    expect(t.expand(from({ x: 'v1.2' }))).toBe('/base/v1.2/end');
  });

  it('keeps slashes in a reserved variable but never lets a segment become . or ..', () => {
    const t = parseUriTemplate('/files/{+path}');
    expect(t.expand(from({ path: 'a/b/c.txt' }))).toBe('/files/a/b/c.txt');
    expect(() => t.expand(from({ path: '../../etc/passwd' }))).toThrow(
      expect.objectContaining({ code: 'MEDIARY_HTTP_PATH_VALUE_UNSAFE' }),
    );
    expect(() => t.expand(from({ path: 'a/./b' }))).toThrow(
      expect.objectContaining({ code: 'MEDIARY_HTTP_PATH_VALUE_UNSAFE' }),
    );
    expect(t.expand(from({ path: 'a?b#c' }))).toBe('/files/a%3Fb%23c');
    expect(t.expand(from({ path: 'a%2Fb%zz' }))).toBe('/files/a%2Fb%25zz');
  });

  it('refuses value dots only when they complete a dot segment with the template text', () => {
    expect(() => parseUriTemplate('/a/.{x}').expand(from({ x: '.' }))).toThrow(
      expect.objectContaining({ code: 'MEDIARY_HTTP_PATH_VALUE_UNSAFE' }),
    );
    expect(parseUriTemplate('/a/x{x}').expand(from({ x: '..' }))).toBe('/a/x..');
  });

  it('fills query variables without letting them add parameters', () => {
    const t = parseUriTemplate('/search?q={q}&page={page}');
    expect(t.expand(from({ q: 'a&b=c', page: 2 }))).toBe('/search?q=a%26b%3Dc&page=2');
    expect(parseUriTemplate('/s?{+rest}').expand(from({ rest: 'a=1&b=/x?#' }))).toBe('/s?a=1&b=/x?%23');
    expect(parseUriTemplate('/s?v={v}').expand(from({ v: '..' }))).toBe('/s?v=..');
  });

  it('writes numbers, booleans and lists', () => {
    const t = parseUriTemplate('/{a}/{b}/{c}');
    expect(t.expand(from({ a: 42, b: true, c: ['x y', 1] }))).toBe('/42/true/x%20y,1');
  });

  it('fails with MEDIARY_HTTP_URI_VARIABLE when a variable has no usable value', () => {
    const t = parseUriTemplate('/{a}');
    for (const value of [undefined, null, [], { toString: () => 'x' }]) {
      let caught: unknown;
      try {
        t.expand(from({ a: value }));
      } catch (error) {
        caught = error;
      }
      expect(httpClientErrors.URI_VARIABLE.is(caught)).toBe(true);
    }
  });

  it('refuses templates it cannot expand safely with MEDIARY_HTTP_URL_INVALID', () => {
    for (const bad of ['a/{x}', '/{x', '/x}', '/{?x}', '/{x,y}', '/{}', '/a#frag', '/{a b}']) {
      expect(() => parseUriTemplate(bad), bad).toThrow(
        expect.objectContaining({ code: 'MEDIARY_HTTP_URL_INVALID' }),
      );
    }
  });

  it('encodes characters a URL cannot carry in the template text and keeps valid escapes', () => {
    expect(parseUriTemplate('/a b/ü/%41/%zz').expand(from({}))).toBe('/a%20b/%C3%BC/%41/%25zz');
  });
});

describe('parseUriTemplate properties', () => {
  it('a simple variable is always exactly one segment, and decodes back to its value', () => {
    const t = parseUriTemplate('/base/{x}/tail');
    fc.assert(
      fc.property(hostile, (value) => {
        const path = expandOrRefuse(t, { x: value });
        if (path === undefined) return;
        const segments = removeDotSegments(path).split('/');
        expect(segments).toHaveLength(4);
        expect(segments[1]).toBe('base');
        expect(segments[3]).toBe('tail');
        if (!LONE_SURROGATE.test(value)) expect(decodeURIComponent(segments[2]!)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('a reserved variable can add segments below the base path but never leave it', () => {
    const t = parseUriTemplate('/base/{+x}');
    fc.assert(
      fc.property(hostile, (value) => {
        const path = expandOrRefuse(t, { x: value });
        if (path === undefined) return;
        const resolved = removeDotSegments(path);
        expect(resolved.startsWith('/base/')).toBe(true);
        expect(resolved).toBe(path);
        expect(path).not.toContain('?');
      }),
      { numRuns: 2000 },
    );
  });

  it('no value changes the path before it, and several variables stay in their own segments', () => {
    const t = parseUriTemplate('/api/v1/{a}/mid/{b}/{+c}');
    fc.assert(
      fc.property(hostile, hostile, hostile, (a, b, c) => {
        const path = expandOrRefuse(t, { a, b, c });
        if (path === undefined) return;
        const resolved = removeDotSegments(path);
        const segments = resolved.split('/');
        expect(segments.slice(0, 3)).toEqual(['', 'api', 'v1']);
        expect(segments[4]).toBe('mid');
        expect(segments.length).toBeGreaterThanOrEqual(7);
      }),
      { numRuns: 1000 },
    );
  });

  it('a query variable is always exactly one parameter value', () => {
    const t = parseUriTemplate('/p?q={x}&fixed=1');
    fc.assert(
      fc.property(hostile, (value) => {
        const expanded = t.expand(from({ x: value }));
        const params = new URLSearchParams(expanded.slice(expanded.indexOf('?') + 1));
        expect([...params.keys()]).toEqual(['q', 'fixed']);
        if (!LONE_SURROGATE.test(value)) expect(params.get('q')).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('the expansion only holds printable ASCII and never a fragment', () => {
    const t = parseUriTemplate('/a/{x}/{+y}?q={x}&r={+y}');
    fc.assert(
      fc.property(hostile, hostile, (x, y) => {
        expect(expandOrRefuse(t, { x, y }) ?? '').toMatch(/^[\x21-\x22\x24-\x7e]*$/);
      }),
      { numRuns: 2000 },
    );
  });
});
