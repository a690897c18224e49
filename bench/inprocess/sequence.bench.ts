/**
 * In-process benchmark: what the engine costs per mediator.
 *
 * A 10-mediator sequence over a small JSON message (setVar ×2, setHeader ×3, a function step that reads the
 * JSON body, a filter, a choice whose case sets a variable, respond), dispatched through `engine.dispatch`,
 * next to a plain chain of async functions doing the same work on the same `Message` class. The difference,
 * divided by 10, is the engine's overhead per mediator: dispatch (context, correlation id, abort controller,
 * events), the sequence runner and the mediator wrappers.
 *
 * Run (from the repository root):
 *
 *     node_modules/.bin/tsx bench/run-all.ts sequence
 *
 * Environment: `BENCH_ROUNDS` (default 5) interleaved rounds, `BENCH_TIME_MS` (default 1000) per task and
 * round, `BENCH_BATCH` (default 100) messages per timed iteration. Figures are medians over the rounds of
 * each round's median. Writes `bench/results/inprocess-sequence.md`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  choice,
  createEngine,
  createMessage,
  filter,
  type Message,
  respond,
  setHeader,
  setVar,
  silentLogger,
} from '@mediary/core';
import { Bench } from 'tinybench';

const MEDIATORS = 10;
const ROUNDS = positive('BENCH_ROUNDS', 5);
const TIME_MS = positive('BENCH_TIME_MS', 1000);
const BATCH = positive('BENCH_BATCH', 100);
const BODY = Buffer.from(
  JSON.stringify({ orderId: 'o-1001', kind: 'express', amount: 42.5, items: [{ sku: 'a', qty: 1 }] }),
);

interface Order {
  readonly orderId: string;
  readonly kind: string;
  readonly amount: number;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

function newMessage(): Message {
  return createMessage({ body: BODY, contentType: 'application/json' });
}

// ---- Mediary: the sequence, dispatched through the engine ---------------------------------------------

const engine = createEngine({ name: 'bench', logger: silentLogger });
engine.addRoute({
  id: 'orders',
  steps: [
    setVar('source', 'bench'),
    setVar('priority', 2),
    setHeader('x-source', 'bench'),
    setHeader('x-tenant', 'acme'),
    setHeader('x-priority', (ctx) => String(ctx.vars.priority)),
    async function readOrder(ctx) {
      const order = await ctx.message.json<Order>();
      ctx.vars.amount = order.amount;
      ctx.vars.kind = order.kind;
    },
    filter((ctx) => (ctx.vars.amount as number) > 0),
    choice({
      on: (ctx) => ctx.vars.kind,
      cases: [
        { equals: 'standard', steps: [setVar('lane', 'slow')] },
        { equals: 'express', steps: [setVar('lane', 'fast')] },
      ],
      otherwise: [setVar('lane', 'none')],
    }),
    respond(),
  ],
});

async function mediary(): Promise<Message> {
  const exchange = await engine.dispatch('orders', newMessage());
  if (!exchange.ok) throw exchange.error;
  return exchange.message;
}

// ---- Baseline: the same work as a plain chain of async functions ---------------------------------------

interface State {
  readonly message: Message;
  readonly vars: Record<string, unknown>;
}

type Outcome = 'respond' | 'drop' | undefined;

const chain: ReadonlyArray<(s: State) => Promise<Outcome>> = [
  async (s) => {
    s.vars.source = 'bench';
    return undefined;
  },
  async (s) => {
    s.vars.priority = 2;
    return undefined;
  },
  async (s) => {
    s.message.headers.set('x-source', 'bench');
    return undefined;
  },
  async (s) => {
    s.message.headers.set('x-tenant', 'acme');
    return undefined;
  },
  async (s) => {
    s.message.headers.set('x-priority', String(s.vars.priority));
    return undefined;
  },
  async (s) => {
    const order = await s.message.json<Order>();
    s.vars.amount = order.amount;
    s.vars.kind = order.kind;
    return undefined;
  },
  async (s) => ((s.vars.amount as number) > 0 ? undefined : 'drop'),
  async (s) => {
    const kind = s.vars.kind;
    s.vars.lane = kind === 'standard' ? 'slow' : kind === 'express' ? 'fast' : 'none';
    return undefined;
  },
  async () => 'respond',
];

async function baseline(): Promise<Message> {
  const state: State = { message: newMessage(), vars: Object.create(null) as Record<string, unknown> };
  for (const step of chain) {
    if ((await step(state)) !== undefined) break;
  }
  return state.message;
}

// ---- Measurement ---------------------------------------------------------------------------------------

async function check(): Promise<void> {
  const [a, b] = await Promise.all([mediary(), baseline()]);
  const same =
    JSON.stringify(a.headers.toObject()) === JSON.stringify(b.headers.toObject()) &&
    JSON.stringify(await a.json()) === JSON.stringify(await b.json());
  if (!same) throw new Error('the two implementations do not do the same work');
}

async function batch(fn: () => Promise<Message>): Promise<void> {
  for (let i = 0; i < BATCH; i++) await fn();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(): Promise<{ mediary: number; baseline: number; perRound: Array<[number, number]> }> {
  const perRound: Array<[number, number]> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({
      name: `round ${round + 1}`,
      time: TIME_MS,
      warmupTime: Math.min(250, TIME_MS),
    });
    // Alternate the order so neither task always runs on a warmer or a more tired process.
    const tasks: Array<[string, () => Promise<void>]> = [
      ['mediary', () => batch(mediary)],
      ['baseline', () => batch(baseline)],
    ];
    if (round % 2) tasks.reverse();
    for (const [name, fn] of tasks) bench.add(name, fn);
    await bench.run();
    const nsPerMessage = (name: string) => {
      const result = bench.getTask(name)?.result;
      if (result?.state !== 'completed') throw new Error(`task ${name} did not complete: ${result?.state}`);
      return (result.latency.p50 * 1e6) / BATCH;
    };
    perRound.push([nsPerMessage('mediary'), nsPerMessage('baseline')]);
    process.stdout.write(
      `round ${round + 1}/${ROUNDS}: mediary ${perRound.at(-1)![0].toFixed(0)} ns, baseline ${perRound.at(-1)![1].toFixed(0)} ns\n`,
    );
  }
  return {
    mediary: median(perRound.map((r) => r[0])),
    baseline: median(perRound.map((r) => r[1])),
    perRound,
  };
}

function report(result: Awaited<ReturnType<typeof measure>>, load: number[]): string {
  const overhead = (result.mediary - result.baseline) / MEDIATORS;
  const ops = (ns: number) => Math.round(1e9 / ns).toLocaleString('en-US');
  const lines = [
    '# In-process sequence benchmark',
    '',
    `A ${MEDIATORS}-mediator sequence on a small JSON message through \`engine.dispatch\`, against a plain async`,
    'function chain doing the same work on the same `Message` class. Medians of the per-round medians.',
    '',
    '| case | ops/s | ns per message | overhead per mediator (ns) | ratio |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| baseline (async function chain) | ${ops(result.baseline)} | ${result.baseline.toFixed(0)} | — | 1.00 |`,
    `| mediary (engine.dispatch) | ${ops(result.mediary)} | ${result.mediary.toFixed(0)} | ${overhead.toFixed(0)} | ${(result.mediary / result.baseline).toFixed(2)} |`,
    '',
    '| round | mediary ns | baseline ns |',
    '| ---: | ---: | ---: |',
    ...result.perRound.map(([m, b], i) => `| ${i + 1} | ${m.toFixed(0)} | ${b.toFixed(0)} |`),
    '',
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, load average at start ${load.map((l) => l.toFixed(2)).join(' ')}, ` +
      `${ROUNDS} rounds × ${TIME_MS} ms per task, ${BATCH} messages per timed iteration, ${new Date().toISOString()}.`,
    '',
    'Run: `node_modules/.bin/tsx bench/run-all.ts sequence`',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  await check();
  const load = loadavg();
  const result = await measure();
  const text = report(result, load);
  const out = fileURLToPath(new URL('../results/inprocess-sequence.md', import.meta.url));
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
  writeFileSync(out, text);
  process.stdout.write(`\n${text}\nwritten to ${out}\n`);
}

await main();
