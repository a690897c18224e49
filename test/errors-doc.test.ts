/**
 * Keeps `docs/errors.md` and the error catalogs in agreement (Fastify's rule: the catalog, the docs and the
 * code never disagree). The test fails on any missing, extra or different row and prints the tables it
 * expected. To regenerate the document after changing a catalog:
 *
 *     MEDIARY_UPDATE_ERRORS_DOC=1 pnpm exec vitest run --project test errors-doc
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorFactory, ErrorSpec } from '@mediary/core';
import { describe, expect, it } from 'vitest';

type Catalog = Readonly<Record<string, ErrorFactory>>;

/**
 * Every catalog the document covers, one section each, in document order. To document another catalog
 * (another package's `errors.ts`, or a sub-catalog of core), add one line and regenerate.
 */
const CATALOGS: ReadonlyArray<{ readonly section: string; readonly load: () => Promise<Catalog> }> = [
  { section: '@mediary/core', load: async () => (await import('@mediary/core')).coreErrors },
  {
    section: '@mediary/core — resilience',
    load: async () => (await import('@mediary/core')).resilienceErrors,
  },
  {
    section: '@mediary/core — integration patterns',
    load: async () => (await import('@mediary/core')).eipErrors,
  },
  {
    section: '@mediary/core — message stores and processors',
    load: async () => (await import('@mediary/core')).storeErrors,
  },
  {
    section: '@mediary/core — scheduled tasks',
    load: async () => (await import('@mediary/core')).schedulerErrors,
  },
  { section: '@mediary/http — inbound', load: async () => (await import('@mediary/http')).httpErrors },
  {
    section: '@mediary/http — endpoints',
    load: async () => (await import('@mediary/http')).httpClientErrors,
  },
  { section: '@mediary/xml', load: async () => (await import('@mediary/xml')).xmlErrors },
  { section: '@mediary/amqp', load: async () => (await import('@mediary/amqp')).amqpErrors },
  { section: '@mediary/mqtt', load: async () => (await import('@mediary/mqtt')).mqttErrors },
  { section: '@mediary/nats', load: async () => (await import('@mediary/nats')).natsErrors },
  { section: '@mediary/postgres', load: async () => (await import('@mediary/postgres')).postgresErrors },
  { section: '@mediary/redis', load: async () => (await import('@mediary/redis')).redisErrors },
];

const DOC_PATH = fileURLToPath(new URL('../docs/errors.md', import.meta.url));
const REGENERATE = 'MEDIARY_UPDATE_ERRORS_DOC=1 pnpm exec vitest run --project test errors-doc';

const HEADER = `# Error codes

Every error Mediary raises is a \`MediaryError\` with a stable \`code\`, an HTTP \`status\` a client sees when
the error ends a request, a \`retryable\` flag (trying again later may succeed) and a message. \`{name}\`
placeholders in a message are filled from the parameters at the throw site. Codes are never reused once
retired. Each package declares its codes once, in its \`errors.ts\`.

This document is checked against the catalogs by \`test/errors-doc.test.ts\`. After changing a
catalog, regenerate it with:

\`\`\`sh
${REGENERATE}
\`\`\`
`;

const TABLE_HEAD = '| code | status | retryable | message |\n| --- | --- | --- | --- |';

interface Row {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly message: string;
}

function rowsOf(catalog: Catalog): Row[] {
  return Object.values(catalog)
    .map((spec: ErrorSpec) => ({
      code: spec.code,
      status: spec.status,
      retryable: spec.retryable,
      message: spec.message,
    }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

function formatRow(row: Row): string {
  const message = row.message.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  return `| \`${row.code}\` | ${row.status} | ${row.retryable ? 'yes' : 'no'} | ${message} |`;
}

function render(sections: ReadonlyArray<{ section: string; rows: readonly Row[] }>): string {
  const body = sections.map(
    ({ section, rows }) => `## ${section}\n\n${TABLE_HEAD}\n${rows.map(formatRow).join('\n')}\n`,
  );
  return `${HEADER}\n${body.join('\n')}`;
}

const ROW = /^\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|\s*(yes|no)\s*\|\s*((?:[^|\\]|\\.)*?)\s*\|\s*$/;

/** The rows of each `## section` of the document. Lines that look like rows but do not parse are kept as errors. */
function parseDoc(text: string): { sections: Map<string, Row[]>; malformed: string[] } {
  const sections = new Map<string, Row[]>();
  const malformed: string[] = [];
  let current: Row[] | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (.+?)\s*$/.exec(line);
    if (heading) {
      current = [];
      sections.set(heading[1]!, current);
      continue;
    }
    if (!line.startsWith('| `')) continue;
    const match = ROW.exec(line);
    if (!match || !current) {
      malformed.push(line);
      continue;
    }
    current.push({
      code: match[1]!,
      status: Number(match[2]),
      retryable: match[3] === 'yes',
      message: match[4]!.replace(/\\(.)/g, '$1'),
    });
  }
  return { sections, malformed };
}

/** Every disagreement between the document and the catalogs, in words. */
function compare(
  expected: ReadonlyArray<{ section: string; rows: readonly Row[] }>,
  actual: ReturnType<typeof parseDoc>,
): string[] {
  const problems = actual.malformed.map((line) => `a row that does not parse: ${line}`);
  for (const { section, rows } of expected) {
    const documented = actual.sections.get(section);
    if (!documented) {
      problems.push(`section "## ${section}" is missing`);
      continue;
    }
    const byCode = new Map(documented.map((row) => [row.code, row]));
    for (const row of rows) {
      const doc = byCode.get(row.code);
      if (!doc) problems.push(`${section}: ${row.code} is missing`);
      else if (formatRow(doc) !== formatRow(row))
        problems.push(
          `${section}: ${row.code} differs\n    doc:     ${formatRow(doc)}\n    catalog: ${formatRow(row)}`,
        );
    }
    const known = new Set(rows.map((row) => row.code));
    for (const row of documented)
      if (!known.has(row.code)) problems.push(`${section}: ${row.code} is not in the catalog`);
    if (new Set(documented.map((row) => row.code)).size !== documented.length)
      problems.push(`${section}: a code is listed twice`);
  }
  const sections = new Set(expected.map((s) => s.section));
  for (const section of actual.sections.keys())
    if (!sections.has(section)) problems.push(`section "## ${section}" has no catalog in CATALOGS`);
  return problems;
}

describe('docs/errors.md', () => {
  it('lists every code of the catalogs with its status, retryable flag and message, and nothing else', async () => {
    const expected = await Promise.all(
      CATALOGS.map(async ({ section, load }) => ({ section, rows: rowsOf(await load()) })),
    );
    const doc = render(expected);
    if (process.env.MEDIARY_UPDATE_ERRORS_DOC === '1') writeFileSync(DOC_PATH, doc);

    let text = '';
    try {
      text = readFileSync(DOC_PATH, 'utf8');
    } catch {
      // Reported below as every section missing.
    }
    const problems = compare(expected, parseDoc(text));
    if (problems.length > 0) {
      console.error(
        `docs/errors.md disagrees with the error catalogs:\n- ${problems.join('\n- ')}\n\n` +
          `Expected document (regenerate with \`${REGENERATE}\`):\n\n${doc}`,
      );
    }
    expect(problems).toEqual([]);
  });

  it('never gives two catalog entries the same code', async () => {
    const codes = (await Promise.all(CATALOGS.map(async ({ load }) => rowsOf(await load()))))
      .flat()
      .map((r) => r.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^MEDIARY_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });

  it('finds a missing, an extra and a different row (the checker itself works)', () => {
    const catalog = [
      {
        section: 'pkg',
        rows: [
          { code: 'MEDIARY_A', status: 500, retryable: false, message: 'a {x} | b' },
          { code: 'MEDIARY_B', status: 503, retryable: true, message: 'b' },
        ],
      },
    ];
    expect(compare(catalog, parseDoc(render(catalog)))).toEqual([]);
    const edited = render(catalog)
      .replace('| `MEDIARY_B` | 503 | yes |', '| `MEDIARY_B` | 503 | no |')
      .replace(/\| `MEDIARY_A`.*\n/, '| `MEDIARY_C` | 400 | no | c |\n');
    expect(compare(catalog, parseDoc(edited))).toEqual([
      'pkg: MEDIARY_A is missing',
      'pkg: MEDIARY_B differs\n    doc:     | `MEDIARY_B` | 503 | no | b |\n    catalog: | `MEDIARY_B` | 503 | yes | b |',
      'pkg: MEDIARY_C is not in the catalog',
    ]);
    expect(compare(catalog, parseDoc(''))).toEqual(['section "## pkg" is missing']);
  });
});
