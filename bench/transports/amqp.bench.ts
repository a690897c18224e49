/**
 * RabbitMQ throughput: consume → small transform → publish, Mediary against a hand-written amqplib relay
 * doing the same work, in the same run.
 *
 * Each run relays `BENCH_COUNT` messages (default 20 000, small JSON orders) from one durable queue to
 * another: manual acknowledgements with `BENCH_PREFETCH` (default 64) deliveries in flight, a transform
 * that reads the JSON body and adds two fields, and a persistent publish on a confirm channel whose
 * confirmation comes before the inbound delivery is acknowledged. Mediary does it with `amqpSource` → a
 * route (`setJson` step) → `amqpEndpoint` (confirms on, the default); the relay does it with amqplib
 * directly (`packages/amqp/test/bench-relay.ts`: one consuming channel, one confirm channel). Both connect
 * with `noDelay` (Mediary's default). Runs alternate (relay, Mediary, relay, Mediary…) for `BENCH_ROUNDS`
 * (default 5) rounds; figures are medians. Every run uses queues of its own, checks that the output queue
 * holds exactly the messages relayed, and deletes both queues afterwards. Needs RabbitMQ on `AMQP_URL`
 * (default amqp://guest:guest@127.0.0.1:5672); talks to nothing else.
 *
 * Run (from the repository root):
 *
 *     node_modules/.bin/tsx --conditions=@mediary/source bench/transports/amqp.bench.ts
 *
 * Writes `bench/results/transports-amqp.md`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { amqpConnection, amqpEndpoint, amqpSource } from '@mediary/amqp';
import { call, createEngine, type MessageContext, silentLogger } from '@mediary/core';
// bench/ does not depend on amqplib (its package.json is not ours to change): the relay comes from the
// amqp package's folder, where amqplib resolves.
import { benchAdmin, handRelay } from '../../packages/amqp/test/bench-relay.js';

const URL_ = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const COUNT = positive('BENCH_COUNT', 20_000);
const PREFETCH = positive('BENCH_PREFETCH', 64);
const ROUNDS = positive('BENCH_ROUNDS', 5);

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

type Order = { orderId: string; amount: number; items: Array<{ sku: string; qty: number }> };

/** The transform both sides apply. */
function enrich(order: Record<string, unknown>): Record<string, unknown> {
  const o = order as Order;
  return { ...o, total: o.amount * 1.2, relayed: true };
}

const bodies = Array.from({ length: COUNT }, (_, i) =>
  new TextEncoder().encode(
    JSON.stringify({ orderId: `o-${i}`, amount: i % 100, items: [{ sku: 'a', qty: 1 }] }),
  ),
);

const admin = await benchAdmin(URL_);

/** One run: messages per second, and this process's CPU time per message (steadier on a busy machine). */
interface Sample {
  readonly rate: number;
  readonly cpuUs: number;
}

async function withQueues(
  tag: string,
  run: (names: { inQueue: string; outQueue: string }) => Promise<void>,
): Promise<Sample> {
  const id = `${tag}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
  const names = { inQueue: `bench.in.${id}`, outQueue: `bench.out.${id}` };
  await admin.addQueue(names.inQueue);
  await admin.addQueue(names.outQueue);
  try {
    await admin.fill(names.inQueue, bodies);
    const started = performance.now();
    const cpu = process.cpuUsage();
    await run(names);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const relayed = await admin.count(names.outQueue);
    if (relayed !== COUNT)
      throw new Error(`${tag}: the output queue holds ${relayed} messages, expected ${COUNT}`);
    const left = await admin.count(names.inQueue);
    if (left !== 0) throw new Error(`${tag}: the input queue still holds ${left} messages`);
    return { rate: COUNT / seconds, cpuUs: (used.user + used.system) / COUNT };
  } finally {
    await admin.deleteQueue(names.inQueue);
    await admin.deleteQueue(names.outQueue);
  }
}

async function runHand(): Promise<Sample> {
  return withQueues('hand', ({ inQueue, outQueue }) =>
    handRelay({ url: URL_, inQueue, outQueue, prefetch: PREFETCH, count: COUNT, transform: enrich }),
  );
}

async function runMediary(): Promise<Sample> {
  return withQueues('mediary', async ({ inQueue, outQueue }) => {
    const connection = amqpConnection({ url: URL_, name: 'bench-mediary' });
    const engine = createEngine({ logger: silentLogger });
    engine.addEndpoint(amqpEndpoint({ name: 'out', connection, exchange: '', routingKey: outQueue }));
    let done = 0;
    let finished: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      finished = resolve;
    });
    engine.bus.on('message:completed', () => {
      if (++done === COUNT) finished();
    });
    const source = amqpSource({
      connection,
      queue: inQueue,
      prefetch: PREFETCH,
      declare: false,
      route: [
        async (ctx: MessageContext) => {
          ctx.message.setJson(enrich(await ctx.message.json<Record<string, unknown>>()));
        },
        call('out'),
      ],
    });
    engine.addSource(source);
    await engine.start();
    await all;
    // Acknowledged as each route ends; wait until the last acknowledgement is out.
    while (source.stats.acked < COUNT) await new Promise((resolve) => setTimeout(resolve, 1));
    await engine.stop();
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' ');
const hand: Sample[] = [];
const mediary: Sample[] = [];
try {
  // One warm-up of each, not counted: JIT, connections, the broker's first queues of the run.
  await runHand();
  await runMediary();
  for (let round = 0; round < ROUNDS; round++) {
    hand.push(await runHand());
    mediary.push(await runMediary());
    console.log(
      `round ${round + 1}: relay ${hand.at(-1)!.rate.toFixed(0)} msgs/s, mediary ${mediary.at(-1)!.rate.toFixed(0)} msgs/s`,
    );
  }
} finally {
  await admin.close();
}

const h = median(hand.map((x) => x.rate));
const m = median(mediary.map((x) => x.rate));
const hCpu = median(hand.map((x) => x.cpuUs));
const mCpu = median(mediary.map((x) => x.cpuUs));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const report = `# RabbitMQ relay benchmark

Consume → transform → publish of ${fmt(COUNT)} small JSON messages from one durable queue to another
(manual acknowledgements, prefetch ${PREFETCH}, persistent publishes on a confirm channel, each inbound
delivery acknowledged only after its publish was confirmed), Mediary against a hand-written amqplib relay
doing the same, alternating in one run. Medians of ${ROUNDS} rounds after one warm-up each.

| case | msgs/s | ratio to relay | client CPU µs per message |
| --- | ---: | ---: | ---: |
| hand-written amqplib relay | ${fmt(h)} | 1.00 | ${hCpu.toFixed(0)} |
| mediary (amqpSource → route → amqpEndpoint) | ${fmt(m)} | ${(m / h).toFixed(2)} | ${mCpu.toFixed(0)} |

| round | relay msgs/s | mediary msgs/s | relay µs CPU | mediary µs CPU |
| ---: | ---: | ---: | ---: | ---: |
${hand.map((v, i) => `| ${i + 1} | ${fmt(v.rate)} | ${fmt(mediary[i]!.rate)} | ${v.cpuUs.toFixed(0)} | ${mediary[i]!.cpuUs.toFixed(0)} |`).join('\n')}

CPU is this process's user + system time per relayed message (the benchmark process only; RabbitMQ runs
beside it on the same cores). Throughput on a shared machine varies from round to round; the CPU cost per
message is the steadier figure.

Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load average at start ${load}, RabbitMQ at ${new URL(URL_).host} on the
same machine, ${new Date().toISOString()}.

Run: \`node_modules/.bin/tsx --conditions=@mediary/source bench/transports/amqp.bench.ts\`
`;
const out = fileURLToPath(new URL('../results/transports-amqp.md', import.meta.url));
mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
writeFileSync(out, report);
console.log(report);
