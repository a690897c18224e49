/**
 * The throughput runs: every target at every payload size, repeated in interleaved rounds (round 1 of all
 * targets, then round 2 of all, …). Within a round the targets of one scenario run back to back, so a target
 * and its baseline are measured seconds apart, on the same machine state; the scenarios, and the targets
 * within each, are rotated every round so no target always runs first or last.
 *
 * Only the server being measured runs: every other target's process is stopped (`SIGSTOP`) meanwhile and
 * continued when its turn comes. They all share one CPU, and a server that just served a heavy load goes
 * on working after it — V8 shrinks its heap with full collections a few seconds after allocation slows —
 * in the time of whichever server is measured next.
 *
 * The ratio to the baseline is the median of the per-round ratios (each round's run ÷ the baseline's run
 * of that round), not the ratio of the two medians: on a shared host whose speed drifts by a third within
 * minutes, a pair measured seconds apart sees the same drift, while two medians may come from different
 * minutes.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LOAD_CPU, type Measurement, runLoad } from './load.js';
import { formatSize, jsonPayload } from './payload.js';
import { median } from './stats.js';
import type { BenchTarget, Scenario, StartedTarget } from './targets.js';
import { checkReply } from './verify.js';

export interface ThroughputConfig {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /**
   * Seconds of discarded load before each measured run, after the target was continued: what piled up
   * while it was stopped (timers, a heap-shrinking collection, code V8 dropped as unused, connections the
   * upstream closed) is paid here, not in the measurement.
   */
  readonly rewarmSeconds: number;
  readonly connections: number;
  readonly rounds: number;
  readonly sizes: readonly number[];
  /** Where the payload files go. */
  readonly workDir: string;
}

/** Medians over the rounds of one target at one size. */
export interface ThroughputRow {
  readonly scenario: Scenario;
  readonly target: string;
  readonly size: string;
  readonly bytes: number;
  readonly requestsPerSecond: number;
  readonly minRequestsPerSecond: number;
  readonly maxRequestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  /**
   * Median of the per-round ratios of requests per second to the scenario's baseline at the same size;
   * `undefined` without a baseline.
   */
  readonly ratio: number | undefined;
  /** Each round's requests per second ÷ the baseline's in the same round, in round order. */
  readonly roundRatios: readonly number[] | undefined;
  readonly rounds: readonly Measurement[];
}

export interface RunningTarget {
  readonly target: BenchTarget;
  readonly started: StartedTarget;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** One round's order: scenario by scenario, both rotated by the round's number. */
function roundOrder(running: readonly RunningTarget[], round: number): RunningTarget[] {
  const scenarios = [...new Set(running.map((r) => r.target.scenario))];
  return rotate(scenarios, round).flatMap((scenario) =>
    rotate(
      running.filter((r) => r.target.scenario === scenario),
      round,
    ),
  );
}

/** How long the server measured last gets to close the load generator's connections before it stops. */
const SETTLE_MS = 300;

/** Continues `current` and stops every other target process, so that only `current` serves. */
async function isolate(running: readonly RunningTarget[], current: RunningTarget): Promise<void> {
  await delay(SETTLE_MS);
  for (const entry of running) {
    if (entry !== current) signal(entry, 'SIGSTOP');
  }
  signal(current, 'SIGCONT');
}

function signal(entry: RunningTarget, name: 'SIGSTOP' | 'SIGCONT'): void {
  const pid = entry.started.pid;
  if (pid === undefined) return;
  try {
    process.kill(pid, name);
  } catch {
    // Gone already: its measurement fails on its own.
  }
}

/** Each round's requests per second of `row` ÷ the baseline's in the same round. */
function pairedRatios(row: readonly Measurement[], baseline: readonly Measurement[]): number[] {
  return row.map((m, i) => m.requestsPerSecond / (baseline[i] as Measurement).requestsPerSecond);
}

/**
 * Checks, warms up and measures every running target; returns one row per target and size.
 *
 * @example
 * const rows = await runThroughput(running, { durationSeconds: 10, warmupSeconds: 5, rewarmSeconds: 1,
 *   connections: 50,
 *   rounds: 3, sizes: [1024, 102400], workDir });
 */
export async function runThroughput(
  running: readonly RunningTarget[],
  config: ThroughputConfig,
  log: (line: string) => void = console.log,
): Promise<ThroughputRow[]> {
  const bodies = new Map<number, { file: string; body: Buffer }>();
  for (const size of config.sizes) {
    const body = jsonPayload(size, 'a');
    const file = join(config.workDir, `payload-${size}.json`);
    writeFileSync(file, body);
    bodies.set(size, { file, body });
  }
  const bodyFor = (size: number) => bodies.get(size) as { file: string; body: Buffer };
  try {
    return await measureAll(running, config, bodyFor, log);
  } finally {
    // Stopped processes could not even hear SIGTERM when the runner closes them.
    for (const entry of running) signal(entry, 'SIGCONT');
  }
}

async function measureAll(
  running: readonly RunningTarget[],
  config: ThroughputConfig,
  bodyFor: (size: number) => { file: string; body: Buffer },
  log: (line: string) => void,
): Promise<ThroughputRow[]> {
  for (const entry of running) {
    const { target, started } = entry;
    await isolate(running, entry);
    for (const size of config.sizes) {
      const problem = await checkReply(target.scenario, started.url + target.path, bodyFor(size).body);
      if (problem) throw new Error(`${target.name} answers ${formatSize(size)} wrongly: ${problem}`);
      log(`warming up ${target.name} at ${formatSize(size)}`);
      await runLoad({
        url: started.url + target.path,
        bodyFile: bodyFor(size).file,
        connections: config.connections,
        durationSeconds: config.warmupSeconds,
      });
    }
  }

  const measured = new Map<string, Measurement[]>();
  const key = (target: BenchTarget, size: number) => `${target.name}\u0000${size}`;
  for (let round = 0; round < config.rounds; round++) {
    for (const size of config.sizes) {
      for (const entry of roundOrder(running, round)) {
        const { target, started } = entry;
        await isolate(running, entry);
        await runLoad({
          url: started.url + target.path,
          bodyFile: bodyFor(size).file,
          connections: config.connections,
          durationSeconds: config.rewarmSeconds,
        });
        const m = await runLoad({
          url: started.url + target.path,
          bodyFile: bodyFor(size).file,
          connections: config.connections,
          durationSeconds: config.durationSeconds,
        });
        log(
          `round ${round + 1}/${config.rounds} ${formatSize(size).padEnd(6)} ${target.name.padEnd(16)} ` +
            `${m.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms` +
            (m.failures > 0 ? `  FAILURES ${m.failures}` : ''),
        );
        const list = measured.get(key(target, size)) ?? [];
        list.push(m);
        measured.set(key(target, size), list);
      }
    }
  }

  const rows: Omit<ThroughputRow, 'ratio' | 'roundRatios'>[] = [];
  for (const { target } of running) {
    for (const size of config.sizes) {
      const rounds = measured.get(key(target, size)) ?? [];
      const rps = rounds.map((m) => m.requestsPerSecond);
      rows.push({
        scenario: target.scenario,
        target: target.name,
        size: formatSize(size),
        bytes: size,
        requestsPerSecond: median(rps),
        minRequestsPerSecond: Math.min(...rps),
        maxRequestsPerSecond: Math.max(...rps),
        p50: median(rounds.map((m) => m.p50)),
        p99: median(rounds.map((m) => m.p99)),
        failures: rounds.reduce((sum, m) => sum + m.failures, 0),
        rounds,
      });
    }
  }
  const baselineOf = (row: Omit<ThroughputRow, 'ratio' | 'roundRatios'>) => {
    const name = running.find((r) => r.target.baseline && r.target.scenario === row.scenario)?.target.name;
    return rows.find((other) => other.target === name && other.bytes === row.bytes);
  };
  return rows.map((row) => {
    const baseline = baselineOf(row);
    if (!baseline) return { ...row, ratio: undefined, roundRatios: undefined };
    const roundRatios = pairedRatios(row.rounds, baseline.rounds);
    return { ...row, ratio: median(roundRatios), roundRatios };
  });
}

/** Where the processes run, for the report. */
export function placement(pinning: boolean, serverCpu: number): string {
  return pinning
    ? `server under test on CPU ${serverCpu}; load generator and upstream on CPU ${LOAD_CPU} (taskset)`
    : 'not pinned (taskset missing, a single core, or BENCH_PIN=0)';
}
