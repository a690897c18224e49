import { readFileSync } from 'node:fs';
import type { ErrorFactory } from '@mediary/core';
import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { convertXmlToJson } from './json-xml.js';
import { parseXml } from './parse-xml.js';
import { parseEnvelope } from './soap.js';
import { evaluateXPathToString } from './xpath.js';

/** Runs `attack`, expects the given error, and returns it with how long the refusal took. */
function refusal(attack: () => unknown, expected: ErrorFactory): { error: Error; ms: number } {
  const start = performance.now();
  try {
    attack();
  } catch (error) {
    const ms = performance.now() - start;
    expect(expected.is(error), String(error)).toBe(true);
    return { error: error as Error, ms };
  }
  throw new Error(`expected ${expected.code}`);
}

// Each entry point that takes XML text must refuse the same way.
const entryPoints: readonly [string, (xml: string) => unknown][] = [
  ['parseXml', (xml) => parseXml(xml)],
  ['convertXmlToJson', (xml) => convertXmlToJson(xml)],
  ['XPath', (xml) => evaluateXPathToString('string(/)', xml)],
  ['parseEnvelope', (xml) => parseEnvelope(xml)],
];

const passwd = (() => {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return 'root:x:0:0';
  }
})();

const attacks = {
  xxe: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
  xxeParameter: '<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>',
  billionLaughs: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
    { length: 9 },
    (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
  ).join('')}]><lolz>&lol9;</lolz>`,
  quadratic: `<!DOCTYPE r [<!ENTITY big "${'x'.repeat(100_000)}">]><r>${'&big;'.repeat(10_000)}</r>`,
  lowercaseDoctype: '<!doctype r><r/>',
};

describe.each(entryPoints)('%s under attack', (_, read) => {
  it('refuses XXE to file:///etc/passwd without ever reading the file', () => {
    const { error } = refusal(() => read(attacks.xxe), xmlErrors.DOCTYPE_FORBIDDEN);
    expect(error.message).not.toContain(passwd.slice(0, 10));
    expect(JSON.stringify(error)).not.toContain('root:');
    refusal(() => read(attacks.xxeParameter), xmlErrors.DOCTYPE_FORBIDDEN);
  });

  it('refuses billion laughs before expanding anything', () => {
    const { ms } = refusal(() => read(attacks.billionLaughs), xmlErrors.DOCTYPE_FORBIDDEN);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses quadratic blow-up (a large entity referenced many times)', () => {
    const { ms } = refusal(() => read(attacks.quadratic), xmlErrors.DOCTYPE_FORBIDDEN);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses a DOCTYPE in any letter case', () => {
    refusal(() => read(attacks.lowercaseDoctype), xmlErrors.DOCTYPE_FORBIDDEN);
  });

  it('refuses 10 000-deep nesting without overflowing the stack', () => {
    const deep = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
    const { error, ms } = refusal(() => read(deep), xmlErrors.TOO_DEEP);
    expect(error.message).toContain('256');
    expect(ms).toBeLessThan(2000);
  });

  it('refuses malformed XML with its position', () => {
    const { error } = refusal(() => read('<a>\n<b>\n</a>'), xmlErrors.MALFORMED);
    expect((error as unknown as { details: unknown }).details).toMatchObject({ line: 3, column: 1 });
  });
});

describe('size limits', () => {
  it('refuses a 50 MB single text node under the default limits, quickly', () => {
    // Built by repeat (one flat string), never by concatenating in a loop.
    const huge = `<a>${'x'.repeat(50 * 1024 * 1024)}</a>`;
    const { error, ms } = refusal(() => parseXml(huge), xmlErrors.TOO_LARGE);
    expect(error.message).toMatch(/more than the limit of 10485760/);
    expect((error as unknown as { status: number }).status).toBe(413);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses a long text node inside an allowed document by the text limit', () => {
    const long = `<a>${'x'.repeat(2 * 1024 * 1024)}</a>`;
    const { error, ms } = refusal(
      () => parseXml(long, { maxTextLength: 1024 * 1024 }),
      xmlErrors.TEXT_TOO_LONG,
    );
    expect(error.message).toMatch(/longer than 1048576 characters/);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses an element with more than 256 attributes as it reads them', () => {
    const attributes = Array.from({ length: 300 }, (_, i) => ` a${i}="1"`).join('');
    const { error } = refusal(() => parseXml(`<r${attributes}/>`), xmlErrors.TOO_MANY_ATTRIBUTES);
    expect(error.message).toContain('256');
  });
});
