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
 * `noAsyncTraces` (Mediary's default). Each of `BENCH_ROUNDS` (default 5) rounds runs the relay and
 * Mediary back to back, which goes first alternating; figures are medians, ratios medians of the per-round
 * ratios. Every run checks that the output stream holds exactly the messages relayed. Needs NATS with JetStream on `NATS_URL`
 * (default nats://127.0.0.1:4222); talks to nothing else.
 *
 * Run (from the repository root):
 *
 *     node_modules/.bin/tsx bench/run-all.ts nats
 *
 * Writes `bench/results/transports-nats.md`.
 *
 * @module
 */
import { call, createEngine, type MessageContext, silentLogger } from '@mediary/core';
// bench/ does not depend on @mediary/nats or NATS.js (its package.json is not ours to change): both come
// from the nats package's folder.
import { jetStreamSource, natsConnection, natsEndpoint } from '@mediary/nats';
import { benchAdmin, handRelay } from '../../packages/nats/test/bench-relay.js';
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

const URL_ = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const bodies = orderBodies(COUNT);

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

const rounds = await alternate(runHand, runMediary, ROUNDS).finally(() => admin.close());
const report = `# JetStream relay benchmark

Consume → transform → publish of ${fmt(COUNT)} small JSON messages from one JetStream stream to another
(durable pull consumer, explicit acknowledgements, ${PREFETCH} in flight, each publish waits for the
stream's acknowledgement before the inbound message is acknowledged), Mediary against a hand-written
NATS.js relay doing the same, back to back in each round (which goes first alternates). Medians of ${ROUNDS} rounds
after one warm-up each; a ratio is the median of the per-round ratios.

${resultTables(rounds, 'hand-written NATS.js relay', 'mediary (jetStreamSource → route → natsEndpoint)')}

CPU is this process's user + system time per relayed message (the benchmark process only; the NATS server
runs beside it on the same two cores). Throughput on a shared machine varies from round to round; the CPU
cost per message is the steadier figure.

${machineLine(rounds)}, nats-server at ${URL_} on the
same machine, ${new Date().toISOString()}.

Run: \`node_modules/.bin/tsx bench/run-all.ts nats\`
`;
writeReport('transports-nats.md', report);
