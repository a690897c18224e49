import { readFileSync } from 'node:fs';
import { isMediaryError, MediaryError, toMediaryError } from '@mediary/core';
import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { parseXml } from './parse-xml.js';

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

  it('creates MediaryErrors that carry code, status, details and cause', () => {
    const cause = new Error('inner');
    const error = xmlErrors.MALFORMED({ reason: 'bad (line 2, column 3)', line: 2, column: 3 }, { cause });
    expect(error).toBeInstanceOf(MediaryError);
    expect(error).toMatchObject({
      code: 'MEDIARY_XML_MALFORMED',
      status: 400,
      retryable: false,
      message: 'The XML is not well-formed: bad (line 2, column 3)',
    });
    expect(error.details).toMatchObject({ line: 2, column: 3 });
    expect(error.cause).toBe(cause);
    expect(xmlErrors.MALFORMED.is(error)).toBe(true);
    expect(xmlErrors.TOO_DEEP.is(error)).toBe(false);
  });

  it('throws errors that core passes through unchanged, so HTTP replies keep their status', () => {
    let thrown: unknown;
    try {
      parseXml('<a>\n<b></a>');
    } catch (error) {
      thrown = error;
    }
    expect(isMediaryError(thrown)).toBe(true);
    expect(toMediaryError(thrown)).toBe(thrown);
    expect(toMediaryError(thrown)).toMatchObject({ code: 'MEDIARY_XML_MALFORMED', status: 400 });
    expect((thrown as MediaryError).details).toMatchObject({ line: 2 });
  });
});
