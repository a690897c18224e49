/**
 * The hand-written amqplib relay the RabbitMQ benchmark (`bench/transports/amqp.bench.ts`) measures Mediary
 * against: the same work — consume a queue with manual acknowledgements and a prefetch window, transform
 * the JSON body, publish to another queue on a confirm channel, acknowledge once the broker confirmed —
 * with no engine. It lives here because only this package depends on amqplib.
 */
import { type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect } from 'amqplib';

export interface RelayOptions {
  readonly url: string;
  readonly inQueue: string;
  readonly outQueue: string;
  readonly prefetch: number;
  readonly count: number;
  readonly transform: (value: Record<string, unknown>) => Record<string, unknown>;
}

/** Relays `count` messages and resolves when the last one is acknowledged. */
export async function handRelay(options: RelayOptions): Promise<void> {
  // noDelay like Mediary's connection: Nagle's algorithm would hold each publish back for the broker's ACK.
  const model = await connect(options.url, {
    noDelay: true,
    clientProperties: { connection_name: 'bench-hand-relay' },
  });
  try {
    // One channel consumes, one publishes with confirms, like Mediary's source and endpoint.
    const consuming = await model.createChannel();
    const publishing = await model.createConfirmChannel();
    await consuming.prefetch(options.prefetch);
    let done = 0;
    let failed: unknown;
    let finished: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const settle = () => {
      if (++done === options.count) finished();
    };
    const relayOne = (msg: ConsumeMessage) => {
      const value = JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>;
      const body = Buffer.from(JSON.stringify(options.transform(value)));
      publishing.publish(
        '',
        options.outQueue,
        body,
        { persistent: true, contentType: 'application/json' },
        (error: unknown) => {
          if (error) {
            failed ??= error;
            consuming.nack(msg, false, true);
          } else consuming.ack(msg);
          settle();
        },
      );
    };
    const { consumerTag } = await consuming.consume(
      options.inQueue,
      (msg) => {
        if (msg !== null) relayOne(msg);
      },
      { noAck: false },
    );
    await all;
    if (failed) throw failed;
    await consuming.cancel(consumerTag);
    await publishing.close();
    await consuming.close();
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** A plain connection for the benchmark's setup: queues, pre-publishing, counting. */
export interface BenchAdmin {
  addQueue(name: string): Promise<void>;
  deleteQueue(name: string): Promise<void>;
  /** Ready messages of the queue. */
  count(name: string): Promise<number>;
  /** Publishes `bodies` to `queue`, pipelined, each confirmed. */
  fill(queue: string, bodies: readonly Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

export async function benchAdmin(url: string): Promise<BenchAdmin> {
  const model: ChannelModel = await connect(url, {
    noDelay: true,
    clientProperties: { connection_name: 'bench-admin' },
  });
  const channel: ConfirmChannel = await model.createConfirmChannel();
  const confirmed = (queue: string, body: Uint8Array) =>
    new Promise<void>((resolve, reject) =>
      channel.publish(
        '',
        queue,
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        { persistent: true, contentType: 'application/json' },
        (error: unknown) => (error ? reject(error) : resolve()),
      ),
    );
  return {
    async addQueue(name) {
      await channel.assertQueue(name, { durable: true });
    },
    async deleteQueue(name) {
      await channel.deleteQueue(name).catch(() => undefined);
    },
    async count(name) {
      return (await channel.checkQueue(name)).messageCount;
    },
    async fill(queue, bodies) {
      // Pipelined: up to 512 publishes wait for their confirms at once.
      for (let i = 0; i < bodies.length; i += 512) {
        await Promise.all(bodies.slice(i, i + 512).map((body) => confirmed(queue, body)));
      }
    },
    async close() {
      await model.close().catch(() => undefined);
    },
  };
}
