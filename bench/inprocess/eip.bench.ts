/**
 * In-process benchmark of the EIP mediators and the in-memory message store, each against the plain code
 * that does the same work, so the ratio shows what the engine costs:
 *
 * - split → transform → aggregate over 10 000 items (one dispatch), vs `items.map(…).reduce(…)`;
 * - the in-memory store's enqueue + lease + ack, vs pushing onto and shifting off a plain array.
 *
 * Run: `node_modules/.bin/tsx bench/run-all.ts eip`
 * (`BENCH_TIME_MS` sets the measuring time per task, default 2000).
 *
 * @module
 */
import {
  aggregate,
  createEngine,
  createMemoryStore,
  createMessage,
  type MessageContext,
  type Step,
  type StoredMessage,
  sequence,
  silentLogger,
  split,
  transform,
} from '@mediary/core';
import { Bench } from 'tinybench';

const ITEMS = 10_000;
const MESSAGES = 1_000;
const timeMs = Number(process.env.BENCH_TIME_MS ?? 2000);

interface Item {
  readonly id: number;
  readonly price: number;
}

const items: Item[] = Array.from({ length: ITEMS }, (_, id) => ({ id, price: (id % 97) + 0.5 }));
const reprice = (item: Item): Item => ({ id: item.id, price: item.price * 2 });
const expectedTotal = items.map(reprice).reduce((sum, item) => sum + item.price, 0);

// --- split → transform → aggregate --------------------------------------------------------------------

const engine = createEngine({ name: 'eip-bench', logger: silentLogger });
let aggregated: unknown;
const capture: Step = async (ctx: MessageContext) => {
  aggregated = await ctx.message.json();
};
const pipeline = sequence([
  split({
    steps: [
      transform(async (ctx) => reprice((await ctx.message.json()) as Item)),
      aggregate({
        correlate: 'batch',
        complete: { size: ITEMS },
        combine: (values) => (values as Item[]).reduce((sum, item) => sum + item.price, 0),
        onComplete: [capture],
      }),
    ],
  }),
]);
const collectOnly = sequence([
  split({ steps: [transform(async (ctx) => reprice((await ctx.message.json()) as Item))] }),
  async (ctx: MessageContext) => {
    aggregated = ((await ctx.message.json()) as Item[]).reduce((sum, item) => sum + item.price, 0);
  },
]);

async function runPipeline(mediator: typeof pipeline): Promise<void> {
  const exchange = await engine.dispatch(mediator, createMessage({ json: items }));
  if (!exchange.ok) throw exchange.error;
}

// --- store --------------------------------------------------------------------------------------------

const stored: StoredMessage[] = Array.from({ length: MESSAGES }, (_, n) => ({
  id: `m${n}`,
  body: Buffer.from(JSON.stringify({ n, patient: 'John Doe', fee: 7000 })),
  contentType: 'application/json',
  headers: { 'x-correlation-id': `c${n}` },
  vars: { hospital: 'grandoaks', attempt: n },
  attempts: 0,
  enqueuedAt: 0,
}));
const memoryStore = createMemoryStore('bench');

async function storeRound(): Promise<void> {
  for (const message of stored) await memoryStore.enqueue(message);
  for (let i = 0; i < MESSAGES; i++) {
    const lease = await memoryStore.lease();
    await memoryStore.ack(lease!);
  }
}

async function arrayRound(): Promise<void> {
  // The same shape of work, async like the store's interface, with nothing but an array behind it.
  const queue: StoredMessage[] = [];
  for (const message of stored) queue.push(await Promise.resolve(message));
  for (let i = 0; i < MESSAGES; i++) await Promise.resolve(queue.shift());
}

// --- run ----------------------------------------------------------------------------------------------

async function check(): Promise<void> {
  await runPipeline(pipeline);
  if (aggregated !== expectedTotal)
    throw new Error(`aggregate gave ${aggregated}, expected ${expectedTotal}`);
  await runPipeline(collectOnly);
  if (aggregated !== expectedTotal) throw new Error(`split gave ${aggregated}, expected ${expectedTotal}`);
  await storeRound();
  if ((await memoryStore.size()) !== 0) throw new Error('the store was not emptied');
}

await check();
const bench = new Bench({ name: 'eip', time: timeMs, warmupTime: Math.min(500, timeMs) });
bench
  .add('baseline: map + reduce (10 000 items)', () => {
    aggregated = items.map(reprice).reduce((sum, item) => sum + item.price, 0);
  })
  .add('mediary: split → transform → aggregate (10 000 items)', () => runPipeline(pipeline))
  .add('mediary: split → transform, collect + reduce (10 000 items)', () => runPipeline(collectOnly))
  .add('baseline: array push + shift (1 000 messages)', arrayRound)
  .add('mediary: memory store enqueue + lease + ack (1 000 messages)', storeRound);
await bench.run();

const rows = bench.tasks.map((task) => {
  const result = task.result;
  const meanMs = result.state === 'completed' ? result.latency.mean : Number.NaN;
  return { task: task.name, meanMs };
});
const byName = new Map(rows.map((r) => [r.task, r.meanMs]));
const ratio = (name: string, baseline: string) => (byName.get(name)! / byName.get(baseline)!).toFixed(1);
const perSecond = (meanMs: number, units: number) => Math.round((units * 1000) / meanMs).toLocaleString('en');

console.table(
  rows.map(({ task, meanMs }) => {
    const units = task.includes('1 000 messages') ? MESSAGES : ITEMS;
    const baseline = task.includes('1 000 messages')
      ? 'baseline: array push + shift (1 000 messages)'
      : 'baseline: map + reduce (10 000 items)';
    return {
      task,
      'mean ms': meanMs.toFixed(3),
      'items or messages / s': perSecond(meanMs, units),
      'x baseline': ratio(task, baseline),
    };
  }),
);
await engine.stop({ timeoutMs: 0 });
