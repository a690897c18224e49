import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isXmlError, XmlError, xmlErrors } from './errors.js';

describe('the error catalog', () => {
  const entries = Object.values(xmlErrors);

  it('has unique MEDIARY_ codes, none retryable, and is frozen', () => {
    expect(new Set(entries.map((e) => e.code)).size).toBe(entries.length);
    for (const entry of entries) expect(entry.code).toMatch(/^MEDIARY_(XML|SOAP)_[A-Z_]+$/);
    expect(entries.every((e) => e.retryable === false)).toBe(true);
    expect(Object.isFrozen(xmlErrors)).toBe(true);
  });

  it('agrees with the README table, code by code and status by status', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\|\s*`(MEDIARY_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    const byCode = (a: unknown[], b: unknown[]): number => String(a[0]).localeCompare(String(b[0]));
    expect(documented.sort(byCode)).toEqual(entries.map((e) => [e.code, e.status]).sort(byCode));
  });

  it('carries code, status, details and cause, and is recognised by code', () => {
    const cause = new Error('inner');
    const error = new XmlError(xmlErrors.malformed, {
      message: 'bad',
      details: { line: 2, column: 3 },
      cause,
    });
    expect(error).toMatchObject({
      code: 'MEDIARY_XML_MALFORMED',
      status: 400,
      retryable: false,
      message: 'bad',
    });
    expect(error.details).toEqual({ line: 2, column: 3 });
    expect(error.cause).toBe(cause);
    expect(isXmlError({ code: 'MEDIARY_XML_MALFORMED' }, xmlErrors.malformed)).toBe(true);
    expect(isXmlError(new Error('x'))).toBe(false);
  });
});
