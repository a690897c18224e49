/**
 * Runs the benchmarks one after the other and collects what each prints into `bench/results/`.
 *
 * `tsx bench/run-all.ts [name…]` (from the repository root), names from the table below; without names it
 * runs the in-process ones (`sequence`, `eip`, `xml`, `stores`). Each runs in its own process, never two at
 * once, so they do not disturb each other. A benchmark script is first compiled by `bench/compile.mjs`
 * (esbuild, Mediary's workspace sources bundled in) and run with plain `node`, like the HTTP servers: run
 * through tsx, Mediary's many small closures would pay for tsx's `keepNames` helper, which no build a user
 * runs has, and the hand-written baselines would not. The HTTP runner, which starts and compiles the
 * servers it measures itself, runs through tsx.
 *
 * | name | what |
 * | --- | --- |
 * | `sequence` | `bench/inprocess/sequence.bench.ts`: engine overhead per mediator |
 * | `eip` | `bench/inprocess/eip.bench.ts`: split/aggregate and the in-memory store against plain code |
 * | `xml` | `bench/inprocess/xml.bench.ts`: JSON→XML and XPath against fast-xml-parser |
 * | `stores` | `bench/stores/stores.bench.ts`: memory, PostgreSQL and Redis stores (needs both services) |
 * | `amqp` | `bench/transports/amqp.bench.ts`: a RabbitMQ consume → transform → publish relay against amqplib |
 * | `nats` | `bench/transports/nats.bench.ts`: the same relay over NATS JetStream against NATS.js |
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
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileServer } from './compile.mjs';

interface Benchmark {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
  /** Run through tsx instead of compiled: a runner whose measured processes are compiled on their own. */
  readonly runner?: boolean;
}

const BENCHMARKS: readonly Benchmark[] = [
  { name: 'sequence', script: 'inprocess/sequence.bench.ts' },
  { name: 'eip', script: 'inprocess/eip.bench.ts' },
  { name: 'xml', script: 'inprocess/xml.bench.ts' },
  { name: 'stores', script: 'stores/stores.bench.ts' },
  { name: 'amqp', script: 'transports/amqp.bench.ts' },
  { name: 'nats', script: 'transports/nats.bench.ts' },
  { name: 'http', script: 'http/run.ts', args: ['throughput'], runner: true },
  { name: 'memory', script: 'http/run.ts', args: ['memory'], runner: true },
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

/** The program and arguments that run a benchmark, and the command line the report shows for it. */
async function commandOf(benchmark: Benchmark): Promise<{ file: string; args: string[]; shown: string }> {
  const script = join(BENCH_DIR, benchmark.script);
  const rest = benchmark.args ?? [];
  if (benchmark.runner) {
    return {
      file: TSX,
      args: [script, ...rest],
      shown: ['node_modules/.bin/tsx', `bench/${benchmark.script}`, ...rest].join(' '),
    };
  }
  const compiled = await compileServer(script);
  return {
    file: process.execPath,
    args: [compiled, ...rest],
    shown: [
      `node bench/compile.mjs bench/${benchmark.script} &&`,
      'node',
      relative(ROOT, compiled),
      ...rest,
    ].join(' '),
  };
}

/** Runs one benchmark, echoing its output as it comes and keeping it. */
async function run(benchmark: Benchmark): Promise<Outcome> {
  const { file, args, shown: command } = await commandOf(benchmark);
  const loadBefore = load();
  const began = performance.now();
  const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
