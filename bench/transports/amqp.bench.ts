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
 * with `noDelay` (Mediary's default). Each of `BENCH_ROUNDS` (default 5) rounds runs the relay and Mediary
 * back to back, which goes first alternating; figures are medians, ratios medians of the per-round ratios.
 * Every run uses queues of its own, checks that the output queue holds exactly the messages relayed, and
 * deletes both queues afterwards. Needs RabbitMQ on `AMQP_URL`
 * (default amqp://guest:guest@127.0.0.1:5672); talks to nothing else.
 *
 * Run (from the repository root):
 *
 *     node_modules/.bin/tsx bench/run-all.ts amqp
 *
 * Writes `bench/results/transports-amqp.md`.
 *
 * @module
 */
import { amqpConnection, amqpEndpoint, amqpSource } from '@mediary/amqp';
import { call, createEngine, type MessageContext, silentLogger } from '@mediary/core';
// bench/ does not depend on amqplib (its package.json is not ours to change): the relay comes from the
// amqp package's folder, where amqplib resolves.
import { benchAdmin, handRelay } from '../../packages/amqp/test/bench-relay.js';
import {
  alternate,
  COUNT,
  enrich,
  fmt,
  machineLine,
  orderBodies,
  PREFETCH,
  ROUNDS,
  resultTables,
  type Sample,
  writeReport,
} from './relay-kit.js';

const URL_ = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const bodies = orderBodies(COUNT);

const admin = await benchAdmin(URL_);

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

const rounds = await alternate(runHand, runMediary, ROUNDS).finally(() => admin.close());
const report = `# RabbitMQ relay benchmark

Consume → transform → publish of ${fmt(COUNT)} small JSON messages from one durable queue to another
(manual acknowledgements, prefetch ${PREFETCH}, persistent publishes on a confirm channel, each inbound
delivery acknowledged only after its publish was confirmed), Mediary against a hand-written amqplib relay
doing the same, back to back in each round (which goes first alternates). Medians of ${ROUNDS} rounds
after one warm-up each; a ratio is the median of the per-round ratios.

${resultTables(rounds, 'hand-written amqplib relay', 'mediary (amqpSource → route → amqpEndpoint)')}

CPU is this process's user + system time per relayed message (the benchmark process only; RabbitMQ runs
beside it on the same cores). Throughput on a shared machine varies from round to round; the CPU cost per
message is the steadier figure.

${machineLine(rounds)}, RabbitMQ at ${new URL(URL_).host} on the
same machine, ${new Date().toISOString()}.

Run: \`node_modules/.bin/tsx bench/run-all.ts amqp\`
`;
writeReport('transports-amqp.md', report);
