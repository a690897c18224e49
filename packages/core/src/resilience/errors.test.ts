import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listErrorSpecs } from '../errors.js';
import { resilienceErrors } from './index.js';

/** The rows of the README's error-code table: code, status, retryable. */
function documentedCodes(): { code: string; status: number; retryable: boolean }[] {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Error codes'));
  return [...section.matchAll(/^\|\s*`(MEDIARY_\w+)`\s*\|\s*(\d+)\s*\|\s*(yes|no)\s*\|/gm)].map((m) => ({
    code: m[1]!,
    status: Number(m[2]),
    retryable: m[3] === 'yes',
  }));
}

describe('resilience error codes', () => {
  it('documents every code of its own catalog in the README', () => {
    const documented = new Set(documentedCodes().map((d) => d.code));
    for (const factory of Object.values(resilienceErrors)) expect(documented).toContain(factory.code);
  });

  it('documents each code with the status and retryable flag its catalog declares', () => {
    const specs = new Map(listErrorSpecs().map((s) => [s.code, s]));
    const rows = documentedCodes();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const spec = specs.get(row.code);
      expect(spec, row.code).toBeDefined();
      expect({ code: row.code, status: spec?.status, retryable: spec?.retryable }).toEqual(row);
    }
  });

  it('keeps its codes in the MEDIARY_ namespace', () => {
    for (const factory of Object.values(resilienceErrors)) expect(factory.code).toMatch(/^MEDIARY_[A-Z_]+$/);
  });
});
