/**
 * The HTTP benchmark runner.
 *
 * `tsx bench/http/run.ts [throughput|memory|all]` (default `throughput`) starts the upstream and every target
 * as child processes on loopback, measures them, prints a table and writes JSON and Markdown to
 * `bench/results/`. Environment:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `BENCH_QUICK` | — | `1`: 2 s runs, 1 s warm-up (a smoke test, not a measurement) |
 * | `BENCH_DURATION` | 10 (quick: 2) | seconds per measured run |
 * | `BENCH_WARMUP` | 5 (quick: 1) | seconds of discarded load per target and size before round 1 |
 * | `BENCH_REWARM` | 1 | seconds of discarded load before each measured run |
 * | `BENCH_CONNECTIONS` | 50 | concurrent connections |
 * | `BENCH_ROUNDS` | 3 | interleaved repetitions of every measurement |
 * | `BENCH_SIZES` | 1024,102400 | request body sizes in bytes |
 * | `BENCH_TARGETS` | all | comma-separated target names to run |
 * | `BENCH_MEMORY_BYTES` | 1073741824 | bytes per memory case |
 * | `BENCH_PIN`, `BENCH_SERVER_CPU`, `BENCH_LOAD_CPU` | 1, 1, 0 | CPU pinning with `taskset` |
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canPin, spawnServer } from './child-process.js';
import { LOAD_CPU } from './load.js';
import { type MemoryRow, runMemory } from './memory.js';
import { consoleReport, type Report, writeReport } from './report.js';
import { type BenchTarget, defaultTargets, SERVER_CPU } from './targets.js';
import { placement, type RunningTarget, runThroughput, type ThroughputRow } from './throughput.js';

type Mode = 'throughput' | 'memory' | 'all';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

function selectTargets(all: readonly BenchTarget[]): BenchTarget[] {
  const wanted = process.env.BENCH_TARGETS?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!wanted) return [...all];
  const unknown = wanted.filter((name) => !all.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`unknown targets: ${unknown.join(', ')}`);
  return all.filter((target) => wanted.includes(target.name));
}

async function startAll(targets: readonly BenchTarget[], upstreamUrl: string): Promise<RunningTarget[]> {
  const running: RunningTarget[] = [];
  try {
    for (const target of targets) running.push({ target, started: await target.start(upstreamUrl) });
  } catch (error) {
    await Promise.allSettled(running.map((r) => r.started.close()));
    throw error;
  }
  return running;
}

function loadText(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
}

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'throughput') as Mode;
  if (!['throughput', 'memory', 'all'].includes(mode))
    throw new Error(`mode must be throughput, memory or all`);
  const quick = process.env.BENCH_QUICK === '1';
  const config = {
    durationSeconds: envNumber('BENCH_DURATION', quick ? 2 : 10),
    warmupSeconds: envNumber('BENCH_WARMUP', quick ? 1 : 5),
    rewarmSeconds: envNumber('BENCH_REWARM', 1),
    connections: envNumber('BENCH_CONNECTIONS', 50),
    rounds: envNumber('BENCH_ROUNDS', 3),
    sizes: (process.env.BENCH_SIZES ?? '1024,102400').split(',').map(Number),
    memoryBytes: envNumber('BENCH_MEMORY_BYTES', 1024 ** 3),
  };
  const targets = selectTargets(defaultTargets);
  const startedAt = new Date().toISOString();
  // Other work on the machine moves every number: the load average goes into the report with them.
  const loadAtStart = loadText();
  const workDir = mkdtempSync(join(tmpdir(), 'mediary-bench-'));
  // The upstream shares the load generator's CPU so the server under test has a core to itself.
  const upstream = await spawnServer(new URL('./upstream.ts', import.meta.url), {
    name: 'upstream',
    cpu: LOAD_CPU,
  });
  let throughput: ThroughputRow[] = [];
  let memory: MemoryRow[] = [];
  try {
    if (mode !== 'memory') {
      const running = await startAll(targets, upstream.url);
      try {
        throughput = await runThroughput(running, { ...config, workDir });
      } finally {
        await Promise.allSettled(running.map((r) => r.started.close()));
      }
    }
    if (mode !== 'throughput') memory = await runMemory(targets, upstream.url, config.memoryBytes);
  } finally {
    await upstream.close();
    rmSync(workDir, { recursive: true, force: true });
  }

  const report: Report = {
    startedAt,
    environment: {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      placement: placement(canPin(), SERVER_CPU),
      'load average (1, 5, 15 min) at start': loadAtStart,
      'load average at end': loadText(),
    },
    config: {
      mode,
      targets: targets.map((t) => t.name).join(', '),
      ...(mode === 'memory'
        ? {}
        : {
            durationSeconds: config.durationSeconds,
            warmupSeconds: config.warmupSeconds,
            rewarmSeconds: config.rewarmSeconds,
            connections: config.connections,
            rounds: config.rounds,
            sizes: config.sizes,
          }),
      ...(mode === 'throughput' ? {} : { memoryBytes: config.memoryBytes }),
      ...(quick ? { quick: 'yes (BENCH_QUICK=1): a smoke test, not a measurement' } : {}),
    },
    throughput,
    memory,
  };
  console.log(`\n${consoleReport(report)}\n`);
  const files = writeReport(report, fileURLToPath(new URL('../results/', import.meta.url)));
  console.log(`written: ${files.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
