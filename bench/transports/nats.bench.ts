/**
 * JetStream throughput: consume → small transform → publish, Mediary against a hand-written NATS.js relay
 * doing the same work, in the same run.
 *
 * Each run relays `BENCH_COUNT` messages (default 20 000, small JSON orders) from one stream to another:
 * a durable pull consumer with explicit acknowledgements and `BENCH_PREFETCH` (default 64) messages in
 * flight, a transform that reads the JSON body and adds two fields, and a JetStream publish that waits for
 * the stream's acknowledgement before the inbound message is acknowledged. Mediary does it with
 * `jetStreamSource` → a route (`transform`-style step) → `natsEndpoint({ jetstream: true })`; the relay
 * does it with NATS.js directly (`packages/nats/test/bench-relay.ts`); both connect with NATS.js's
 * `noAsyncTraces` (Mediary's default). Runs alternate (relay, Mediary,
 * relay, Mediary…) for `BENCH_ROUNDS` (default 5) rounds; figures are medians. Every run checks that the
 * output stream holds exactly the messages relayed. Needs NATS with JetStream on `NATS_URL`
 * (default nats://127.0.0.1:4222); talks to nothing else.
 *
 * Run (from the repository root):
 *
 *     node_modules/.bin/tsx --conditions=@mediary/source bench/transports/nats.bench.ts
 *
 * Writes `bench/results/transports-nats.md`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { call, createEngine, type MessageContext, silentLogger } from '@mediary/core';
// bench/ does not depend on @mediary/nats or NATS.js (its package.json is not ours to change): both come
// from the nats package's folder.
import { jetStreamSource, natsConnection, natsEndpoint } from '@mediary/nats';
import { benchAdmin, handRelay } from '../../packages/nats/test/bench-relay.js';

const URL_ = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
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

async function withStreams(
  tag: string,
  run: (names: {
    inStream: string;
    outStream: string;
    inSubject: string;
    outSubject: string;
  }) => Promise<void>,
): Promise<Sample> {
  const id = `${tag}_${process.pid}_${Date.now().toString(36)}`;
  const names = {
    inStream: `BIN_${id}`,
    outStream: `BOUT_${id}`,
    inSubject: `bin.${id}`,
    outSubject: `bout.${id}`,
  };
  await admin.addStream(names.inStream, [names.inSubject]);
  await admin.addStream(names.outStream, [names.outSubject]);
  try {
    await admin.fill(names.inSubject, bodies);
    const started = performance.now();
    const cpu = process.cpuUsage();
    await run(names);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const relayed = await admin.count(names.outStream);
    if (relayed !== COUNT)
      throw new Error(`${tag}: the output stream holds ${relayed} messages, expected ${COUNT}`);
    return { rate: COUNT / seconds, cpuUs: (used.user + used.system) / COUNT };
  } finally {
    await admin.deleteStream(names.inStream);
    await admin.deleteStream(names.outStream);
  }
}

/** One run: messages per second, and this process's CPU time per message (steadier on a busy machine). */
interface Sample {
  readonly rate: number;
  readonly cpuUs: number;
}

async function runHand(): Promise<Sample> {
  return withStreams('hand', ({ inStream, outSubject }) =>
    handRelay({
      url: URL_,
      stream: inStream,
      durable: 'relay',
      outSubject,
      prefetch: PREFETCH,
      count: COUNT,
      transform: enrich,
    }),
  );
}

async function runMediary(): Promise<Sample> {
  return withStreams('mediary', async ({ inStream, outSubject }) => {
    const connection = natsConnection({ servers: URL_, name: 'bench-mediary' });
    const engine = createEngine({ logger: silentLogger });
    engine.addEndpoint(natsEndpoint({ name: 'out', connection, subject: outSubject, jetstream: true }));
    let done = 0;
    let finished: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      finished = resolve;
    });
    engine.bus.on('message:completed', () => {
      if (++done === COUNT) finished();
    });
    const source = jetStreamSource({
      connection,
      stream: inStream,
      durable: 'relay',
      prefetch: PREFETCH,
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
// One warm-up of each, not counted: JIT, connections, the server's first stream of the run.
await runHand();
await runMediary();
for (let round = 0; round < ROUNDS; round++) {
  hand.push(await runHand());
  mediary.push(await runMediary());
  console.log(
    `round ${round + 1}: relay ${hand.at(-1)!.rate.toFixed(0)} msgs/s, mediary ${mediary.at(-1)!.rate.toFixed(0)} msgs/s`,
  );
}
await admin.close();

const h = median(hand.map((x) => x.rate));
const m = median(mediary.map((x) => x.rate));
const hCpu = median(hand.map((x) => x.cpuUs));
const mCpu = median(mediary.map((x) => x.cpuUs));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const report = `# JetStream relay benchmark

Consume → transform → publish of ${fmt(COUNT)} small JSON messages from one JetStream stream to another
(durable pull consumer, explicit acknowledgements, ${PREFETCH} in flight, each publish waits for the
stream's acknowledgement before the inbound message is acknowledged), Mediary against a hand-written
NATS.js relay doing the same, alternating in one run. Medians of ${ROUNDS} rounds after one warm-up each.

| case | msgs/s | ratio to relay | client CPU µs per message |
| --- | ---: | ---: | ---: |
| hand-written NATS.js relay | ${fmt(h)} | 1.00 | ${hCpu.toFixed(0)} |
| mediary (jetStreamSource → route → natsEndpoint) | ${fmt(m)} | ${(m / h).toFixed(2)} | ${mCpu.toFixed(0)} |

| round | relay msgs/s | mediary msgs/s | relay µs CPU | mediary µs CPU |
| ---: | ---: | ---: | ---: | ---: |
${hand.map((v, i) => `| ${i + 1} | ${fmt(v.rate)} | ${fmt(mediary[i]!.rate)} | ${v.cpuUs.toFixed(0)} | ${mediary[i]!.cpuUs.toFixed(0)} |`).join('\n')}

CPU is this process's user + system time per relayed message (the benchmark process only; the NATS server
runs beside it on the same two cores). Throughput on a shared machine varies from round to round; the CPU
cost per message is the steadier figure.

Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load average at start ${load}, nats-server at ${URL_} on the
same machine, ${new Date().toISOString()}.

Run: \`node_modules/.bin/tsx --conditions=@mediary/source bench/transports/nats.bench.ts\`
`;
const out = fileURLToPath(new URL('../results/transports-nats.md', import.meta.url));
mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
writeFileSync(out, report);
console.log(report);
