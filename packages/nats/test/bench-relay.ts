/**
 * The hand-written NATS.js relay the JetStream benchmark (`bench/transports/nats.bench.ts`) measures
 * Mediary against: the same work — consume a stream with explicit acknowledgements, transform the JSON
 * body, publish to another stream with JetStream's acknowledgement, then acknowledge — with no engine.
 * It lives here because only this package depends on NATS.js.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection as NatsClient, nanos } from '@nats-io/transport-node';

export interface RelayOptions {
  readonly url: string;
  readonly stream: string;
  readonly durable: string;
  readonly outSubject: string;
  readonly prefetch: number;
  readonly count: number;
  readonly transform: (value: Record<string, unknown>) => Record<string, unknown>;
}

/** Relays `count` messages and resolves when the last one is acknowledged. */
export async function handRelay(options: RelayOptions): Promise<void> {
  // Without async traces, like Mediary's connection: they cost two captured stacks per publish.
  const client = await connect({ servers: options.url, name: 'bench-hand-relay', noAsyncTraces: true });
  const jsm = await jetstreamManager(client);
  await jsm.consumers.add(options.stream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: options.prefetch,
  });
  const js = jetstream(client);
  const consumer = await js.consumers.get(options.stream, options.durable);
  const messages = await consumer.consume({ max_messages: options.prefetch });
  const encoder = new TextEncoder();
  let done = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const relayOne = async (msg: { data: Uint8Array; ack(): void }) => {
    const value = JSON.parse(new TextDecoder().decode(msg.data)) as Record<string, unknown>;
    await js.publish(options.outSubject, encoder.encode(JSON.stringify(options.transform(value))));
    msg.ack();
  };
  for await (const msg of messages) {
    inFlight++;
    relayOne(msg)
      .catch(() => undefined)
      .finally(() => {
        inFlight--;
        done++;
        wake?.();
        if (done === options.count) finished();
      });
    while (inFlight >= options.prefetch) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    if (done + inFlight >= options.count) break;
  }
  await all;
  await messages.close();
  await client.flush();
  await client.close();
}

/** A plain connection for the benchmark's setup: streams, pre-publishing, counting. */
export async function benchAdmin(url: string): Promise<{
  client: NatsClient;
  addStream(name: string, subjects: string[]): Promise<void>;
  deleteStream(name: string): Promise<void>;
  count(name: string): Promise<number>;
  fill(subject: string, bodies: readonly Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}> {
  const client = await connect({ servers: url, name: 'bench-admin' });
  const jsm = await jetstreamManager(client);
  const js = jetstream(client);
  return {
    client,
    async addStream(name, subjects) {
      await jsm.streams.add({ name, subjects });
    },
    async deleteStream(name) {
      await jsm.streams.delete(name).catch(() => undefined);
    },
    async count(name) {
      return (await jsm.streams.info(name)).state.messages;
    },
    async fill(subject, bodies) {
      // Pipelined: up to 512 publishes wait for their acknowledgements at once.
      for (let i = 0; i < bodies.length; i += 512) {
        await Promise.all(bodies.slice(i, i + 512).map((body) => js.publish(subject, body)));
      }
    },
    async close() {
      await client.close();
    },
  };
}
