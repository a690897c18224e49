/**
 * Turns results into the console table, the Markdown report and the JSON file under `bench/results/`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryRow } from './memory.js';
import type { ThroughputRow } from './throughput.js';

export interface Report {
  readonly startedAt: string;
  readonly environment: Readonly<Record<string, string | number>>;
  readonly config: Readonly<Record<string, string | number | readonly number[]>>;
  readonly throughput: readonly ThroughputRow[];
  readonly memory: readonly MemoryRow[];
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

function throughputTable(rows: readonly ThroughputRow[]): string[][] {
  return [
    [
      'scenario',
      'size',
      'target',
      'req/s (median)',
      'min–max',
      'p50 ms',
      'p99 ms',
      '÷ baseline',
      'per round',
      'failures',
    ],
    ...rows.map((row) => [
      row.scenario,
      row.size,
      row.target,
      fixed(row.requestsPerSecond, 0),
      `${fixed(row.minRequestsPerSecond, 0)}–${fixed(row.maxRequestsPerSecond, 0)}`,
      fixed(row.p50, 1),
      fixed(row.p99, 1),
      fixed(row.ratio, 2),
      row.roundRatios && !row.roundRatios.every((r) => r === 1)
        ? row.roundRatios.map((r) => fixed(r, 2)).join(' ')
        : '',
      String(row.failures),
    ]),
  ];
}

function memoryTable(rows: readonly MemoryRow[]): string[][] {
  return [
    ['target', 'case', 'bytes', 'MiB/s', 'idle RSS MiB', 'peak RSS MiB', 'peak ÷ baseline', 'result'],
    ...rows.map((row) => [
      row.target,
      row.case,
      String(row.bytes),
      fixed(row.mibPerSecond, 0),
      fixed(row.idleRssMiB, 1),
      fixed(row.peakRssMiB, 1),
      fixed(row.peakRatio, 2),
      row.error ?? 'ok',
    ]),
  ];
}

/** Scenario rows sorted the way a reader compares them: scenario, then size, then target. */
export function sortRows(rows: readonly ThroughputRow[]): ThroughputRow[] {
  const order = { pass: 0, cbr: 1, xml: 2 };
  return [...rows].sort(
    (a, b) => order[a.scenario] - order[b.scenario] || a.bytes - b.bytes || a.target.localeCompare(b.target),
  );
}

/** A fixed-width text table (first row is the header). */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row.map((cell, column) =>
      column < 3 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
    );
  const [header, ...body] = rows;
  const rule = widths.map((width) => '-'.repeat(width));
  return [line(header ?? []), rule, ...body.map(line)].map((cells) => cells.join('  ')).join('\n');
}

function markdownTable(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [row(header ?? []), row((header ?? []).map(() => '---')), ...body.map(row)].join('\n');
}

/** What the runner prints at the end. */
export function consoleReport(report: Report): string {
  const parts: string[] = [];
  if (report.throughput.length > 0) parts.push(textTable(throughputTable(sortRows(report.throughput))));
  if (report.memory.length > 0) parts.push(textTable(memoryTable(report.memory)));
  return parts.join('\n\n');
}

function markdown(report: Report): string {
  const list = (record: Readonly<Record<string, unknown>>) =>
    Object.entries(record)
      .map(([key, value]) => `- ${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
      .join('\n');
  const sections = [
    `# HTTP benchmark, ${report.startedAt}`,
    `## Environment\n\n${list(report.environment)}`,
    `## Configuration\n\n${list(report.config)}`,
  ];
  if (report.throughput.length > 0) {
    sections.push(
      '## Throughput\n\n' +
        'Medians over the rounds; `÷ baseline` is the median of the per-round ratios (`per round`: each ' +
        "round's requests per second ÷ the hand-written Node baseline's of the same scenario and size, measured " +
        'back to back in that round). Latency comes from autocannon at 1 ms resolution. The JSON ' +
        'payloads carry the `route` field first.\n\n' +
        markdownTable(throughputTable(sortRows(report.throughput))),
    );
  }
  if (report.memory.length > 0) {
    sections.push(
      '## Streaming memory\n\n' +
        'Peak resident set (`VmHWM`) of the serving process; each case runs on a freshly started target. ' +
        '`peak ÷ baseline` compares with the undici pass-through baseline in the same case of the same run.\n\n' +
        markdownTable(memoryTable(report.memory)),
    );
  }
  return `${sections.join('\n\n')}\n`;
}

/**
 * Writes `http-<timestamp>.json` and `.md` into `dir`; returns their paths.
 *
 * @example
 * const files = writeReport(report, new URL('../results/', import.meta.url).pathname);
 */
export function writeReport(report: Report, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(dir, `http-${stamp}.json`);
  const md = join(dir, `http-${stamp}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, markdown(report));
  return [json, md];
}
