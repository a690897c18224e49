/**
 * Runs the benchmarks one after the other and collects what each prints into `bench/results/`.
 *
 * `tsx bench/run-all.ts [name…]` (from the repository root), names from the table below; without names it
 * runs the in-process ones (`sequence`, `eip`, `xml`, `stores`). Each runs in its own process on the
 * workspace sources (`--conditions=@mediary/source`), never two at once, so they do not disturb each other.
 *
 * | name | what |
 * | --- | --- |
 * | `sequence` | `bench/inprocess/sequence.bench.ts`: engine overhead per mediator |
 * | `eip` | `bench/inprocess/eip.bench.ts`: split/aggregate and the in-memory store against plain code |
 * | `xml` | `bench/inprocess/xml.bench.ts`: JSON→XML and XPath against fast-xml-parser |
 * | `stores` | `bench/stores/stores.bench.ts`: memory, PostgreSQL and Redis stores (needs both services) |
 * | `http` | `bench/http/run.ts throughput`: the HTTP scenarios against the hand-written baselines |
 * | `memory` | `bench/http/run.ts memory`: 1 GiB through each pass-through proxy, peak RSS |
 *
 * Writes `bench/results/<name>-<time>.txt` (the full output of each) and `bench/results/all-<time>.md` (every
 * output under its heading, with the machine, the load average and whether each run succeeded). A failing
 * benchmark is recorded and the rest still run; the exit code is 1 when any failed.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Benchmark {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
}

const BENCHMARKS: readonly Benchmark[] = [
  { name: 'sequence', script: 'inprocess/sequence.bench.ts' },
  { name: 'eip', script: 'inprocess/eip.bench.ts' },
  { name: 'xml', script: 'inprocess/xml.bench.ts' },
  { name: 'stores', script: 'stores/stores.bench.ts' },
  { name: 'http', script: 'http/run.ts', args: ['throughput'] },
  { name: 'memory', script: 'http/run.ts', args: ['memory'] },
];
const DEFAULT = ['sequence', 'eip', 'xml', 'stores'];

const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(BENCH_DIR, 'results');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Outcome {
  readonly name: string;
  readonly command: string;
  readonly code: number | null;
  readonly seconds: number;
  readonly loadBefore: string;
  readonly output: string;
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** Runs one benchmark, echoing its output as it comes and keeping it. */
function run(benchmark: Benchmark): Promise<Outcome> {
  const args = ['--conditions=@mediary/source', join(BENCH_DIR, benchmark.script), ...(benchmark.args ?? [])];
  const command = `node_modules/.bin/tsx ${args.join(' ').replaceAll(`${ROOT}`, '')}`;
  const loadBefore = load();
  const began = performance.now();
  const child = spawn(TSX, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    output += chunk.toString('utf8');
    stream.write(chunk);
  };
  child.stdout.on('data', keep(process.stdout));
  child.stderr.on('data', keep(process.stderr));
  return new Promise((resolve) => {
    const done = (code: number | null) =>
      resolve({
        name: benchmark.name,
        command,
        code,
        seconds: (performance.now() - began) / 1000,
        loadBefore,
        output,
      });
    child.once('error', (error) => {
      output += `\n${String(error)}\n`;
      done(null);
    });
    child.once('close', done);
  });
}

function report(outcomes: readonly Outcome[], startedAt: string): string {
  const lines = [
    `# Benchmarks, ${startedAt}`,
    '',
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}.`,
    '',
    '| benchmark | result | seconds | load average before |',
    '| --- | --- | ---: | --- |',
    ...outcomes.map(
      (o) =>
        `| ${o.name} | ${o.code === 0 ? 'ok' : `failed (${o.code})`} | ${o.seconds.toFixed(0)} | ${o.loadBefore} |`,
    ),
  ];
  for (const o of outcomes) {
    lines.push('', `## ${o.name}`, '', `\`${o.command}\``, '', '```text', o.output.trimEnd(), '```');
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : DEFAULT;
  const unknown = names.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmarks: ${unknown.join(', ')} (known: ${BENCHMARKS.map((b) => b.name).join(', ')})`,
    );
  }
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[:.]/g, '-');
  mkdirSync(RESULTS, { recursive: true });
  const outcomes: Outcome[] = [];
  for (const name of names) {
    const benchmark = BENCHMARKS.find((b) => b.name === name) as Benchmark;
    console.log(`\n=== ${name} (load ${load()}) ===\n`);
    const outcome = await run(benchmark);
    writeFileSync(join(RESULTS, `${name}-${stamp}.txt`), outcome.output);
    outcomes.push(outcome);
  }
  const summary = join(RESULTS, `all-${stamp}.md`);
  writeFileSync(summary, report(outcomes, startedAt));
  console.log(`\nwritten: ${summary}`);
  for (const o of outcomes) console.log(`${o.name.padEnd(9)} ${o.code === 0 ? 'ok' : `FAILED (${o.code})`}`);
  if (outcomes.some((o) => o.code !== 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
