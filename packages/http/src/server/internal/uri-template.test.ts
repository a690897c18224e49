import { describe, expect, it } from 'vitest';
import { compileTemplate, joinPath } from './uri-template.js';

describe('compileTemplate', () => {
  it('turns {var} into a one-segment router parameter', () => {
    const t = compileTemplate('/healthcare/categories/{category}/reserve');
    expect(t.routePath).toBe('/healthcare/categories/:category/reserve');
    expect(t.pathVars).toEqual(['category']);
    expect(t.rest).toBeUndefined();
  });

  it('turns {+var} into a wildcard for the rest of the path', () => {
    const t = compileTemplate('/files/{+path}');
    expect(t.routePath).toBe('/files/*');
    expect(t.rest).toBe('path');
  });

  it('strips {?q,page} from the path and keeps the names as query variables', () => {
    const t = compileTemplate('/search{?q,page}');
    expect(t.routePath).toBe('/search');
    expect(t.queryVars).toEqual(['q', 'page']);
  });

  it('accepts {&more} after {?…} and a query template after {+var}', () => {
    const t = compileTemplate('/files/{+path}{?q}{&page}');
    expect(t.routePath).toBe('/files/*');
    expect(t.queryVars).toEqual(['q', 'page']);
  });

  it('escapes literal colons for the router', () => {
    expect(compileTemplate('/v1/items:search').routePath).toBe('/v1/items::search');
  });

  it.each([
    ['/a/{#x}', 'unsupported operator'],
    ['/a/{x*}', 'modifier'],
    ['/a/{x}{y}', 'adjacent variables'],
    ['/a/{+x}/b', 'literal after {+var}'],
    ['/a{+x}', '{+var} not starting a segment'],
    ['/a/{x', 'unclosed expression'],
    ['/a{?q}/b', 'path after the query'],
    ['/a/{x}/{x}', 'a variable used twice'],
    ['a/{x}', 'no leading slash'],
    ['/a{&q}', '{&…} without {?…}'],
  ])('refuses %s (%s) with MEDIARY_HTTP_INVALID_CONFIG', (template) => {
    expect(() => compileTemplate(template)).toThrow(
      expect.objectContaining({ code: 'MEDIARY_HTTP_INVALID_CONFIG' }),
    );
  });
});

describe('joinPath', () => {
  it('joins a context and a resource path with one slash', () => {
    expect(joinPath('/healthcare', '/querydoctor/{c}')).toBe('/healthcare/querydoctor/{c}');
    expect(joinPath('/healthcare/', 'x')).toBe('/healthcare/x');
    expect(joinPath('/', '/x')).toBe('/x');
  });

  it('attaches an empty path or a bare query template to the context itself', () => {
    expect(joinPath('/healthcare', '/')).toBe('/healthcare');
    expect(joinPath('/healthcare', '{?q}')).toBe('/healthcare{?q}');
    expect(joinPath('/', '')).toBe('/');
  });
});
