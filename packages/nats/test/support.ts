/**
 * Helpers for the NATS integration tests: a plain NATS.js connection that publishes and looks at streams
 * from outside the code under test, and a TCP proxy that can cut connections.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection as NatsClient, headers as natsHeaders } from '@nats-io/transport-node';

export interface Admin {
  readonly client: NatsClient;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Publishes to JetStream and waits for the stream's acknowledgement. */
  publish(subject: string, body: string, headers?: Readonly<Record<string, string>>): Promise<void>;
  /** Messages in a stream (0 when it does not exist). */
  messages(stream: string): Promise<number>;
  /** Waiting plus delivered-but-unacknowledged messages of a consumer (0 when it does not exist). */
  held(stream: string, durable: string): Promise<number>;
  deleteStreams(...names: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function openAdmin(url: string): Promise<Admin> {
  const client = await connect({ servers: url, name: 'mediary-test-admin' });
  const jsm = await jetstreamManager(client);
  const js = jetstream(client);
  return {
    client,
    js,
    jsm,
    async publish(subject, body, headers) {
      const h = headers ? natsHeaders() : undefined;
      for (const [k, v] of Object.entries(headers ?? {})) h?.set(k, v);
      await js.publish(subject, body, h ? { headers: h } : {});
    },
    async messages(stream) {
      try {
        return (await jsm.streams.info(stream)).state.messages;
      } catch {
        return 0;
      }
    },
    async held(stream, durable) {
      try {
        const info = await jsm.consumers.info(stream, durable);
        return info.num_pending + info.num_ack_pending;
      } catch {
        return 0;
      }
    },
    async deleteStreams(...names) {
      for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
    },
    async close() {
      await client.drain().catch(() => undefined);
    },
  };
}

/** A TCP proxy in front of the server that a test can cut. Listens on an ephemeral port of 127.0.0.1. */
export interface CuttableProxy {
  readonly url: string;
  /** Destroys every open connection; new ones are accepted again at once. */
  cut(): void;
  /** Refuses new connections until `heal()`. */
  refuse(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startProxy(serverUrl: string): Promise<CuttableProxy> {
  const target = new URL(serverUrl);
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port) || 4222, target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut,
    refuse() {
      refusing = true;
      cut();
    },
    heal() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

/** A stream name of this run (JetStream names allow no dots). */
export function streamName(prefix: string, unique: string): string {
  return `${prefix}_${unique}`.replace(/[^A-Za-z0-9_-]/g, '_');
}
