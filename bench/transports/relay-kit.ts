/**
 * What the broker relay benchmarks (`amqp.bench.ts`, `nats.bench.ts`) share: their settings, the messages
 * and the transform both sides apply, the alternating rounds, and the report's tables.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** A positive integer from the environment, or `fallback`. */
export function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** `BENCH_COUNT`, `BENCH_PREFETCH`, `BENCH_ROUNDS`. */
export const COUNT = positive('BENCH_COUNT', 20_000);
export const PREFETCH = positive('BENCH_PREFETCH', 64);
export const ROUNDS = positive('BENCH_ROUNDS', 5);

type Order = { orderId: string; amount: number; items: Array<{ sku: string; qty: number }> };

/** The transform both sides apply. */
export function enrich(order: Record<string, unknown>): Record<string, unknown> {
  const o = order as Order;
  return { ...o, total: o.amount * 1.2, relayed: true };
}

/** `count` small JSON orders, encoded once. */
export function orderBodies(count: number): Uint8Array[] {
  const encoder = new TextEncoder();
  return Array.from({ length: count }, (_, i) =>
    encoder.encode(JSON.stringify({ orderId: `o-${i}`, amount: i % 100, items: [{ sku: 'a', qty: 1 }] })),
  );
}

/** One run: messages per second, and this process's CPU time per message (steadier on a busy machine). */
export interface Sample {
  readonly rate: number;
  readonly cpuUs: number;
}

export interface Rounds {
  readonly hand: Sample[];
  readonly mediary: Sample[];
  /** The load average when the rounds began. */
  readonly load: string;
}

/**
 * One uncounted warm-up of each (JIT, connections, the broker's first queues), then `rounds` rounds of the
 * hand-written relay and Mediary back to back, which one goes first alternating from round to round.
 *
 * @example
 * const rounds = await alternate(runHand, runMediary, ROUNDS);
 */
export async function alternate(
  runHand: () => Promise<Sample>,
  runMediary: () => Promise<Sample>,
  rounds: number,
): Promise<Rounds> {
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  const hand: Sample[] = [];
  const mediary: Sample[] = [];
  await runHand();
  await runMediary();
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      hand.push(await runHand());
      mediary.push(await runMediary());
    } else {
      mediary.push(await runMediary());
      hand.push(await runHand());
    }
    console.log(
      `round ${round + 1}: relay ${hand.at(-1)!.rate.toFixed(0)} msgs/s, mediary ${mediary.at(-1)!.rate.toFixed(0)} msgs/s`,
    );
  }
  return { hand, mediary, load };
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The summary and per-round tables of a report, the relay and Mediary named as given. The ratios are the
 * medians of the per-round ratios (each round's two runs are minutes apart at most; the host's speed
 * drifts more than that between the first round and the last).
 */
export function resultTables(rounds: Rounds, relayName: string, mediaryName: string): string {
  const { hand, mediary } = rounds;
  const rateRatios = hand.map((h, i) => mediary[i]!.rate / h.rate);
  const cpuRatios = hand.map((h, i) => mediary[i]!.cpuUs / h.cpuUs);
  const h = median(hand.map((x) => x.rate));
  const m = median(mediary.map((x) => x.rate));
  const hCpu = median(hand.map((x) => x.cpuUs));
  const mCpu = median(mediary.map((x) => x.cpuUs));
  return `| case | msgs/s | ÷ relay (msgs/s) | client CPU µs per message | ÷ relay (CPU) |
| --- | ---: | ---: | ---: | ---: |
| ${relayName} | ${fmt(h)} | 1.00 | ${hCpu.toFixed(0)} | 1.00 |
| ${mediaryName} | ${fmt(m)} | ${median(rateRatios).toFixed(2)} | ${mCpu.toFixed(0)} | ${median(cpuRatios).toFixed(2)} |

| round | relay msgs/s | mediary msgs/s | ÷ | relay µs CPU | mediary µs CPU | ÷ |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${hand.map((v, i) => `| ${i + 1} | ${fmt(v.rate)} | ${fmt(mediary[i]!.rate)} | ${rateRatios[i]!.toFixed(2)} | ${v.cpuUs.toFixed(0)} | ${mediary[i]!.cpuUs.toFixed(0)} | ${cpuRatios[i]!.toFixed(2)} |`).join('\n')}`;
}

/** `Node …, cpu ×n, load average at start …` for a report's last paragraph. */
export function machineLine(rounds: Rounds): string {
  return `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load average at start ${rounds.load}`;
}

/** Writes `bench/results/<file>` and prints the report. */
export function writeReport(file: string, report: string): void {
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
  writeFileSync(fileURLToPath(new URL(`../results/${file}`, import.meta.url)), report);
  console.log(report);
}
