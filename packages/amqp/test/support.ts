/**
 * Helpers for the integration tests: an admin connection that publishes, counts and deletes, queue depth
 * including unacknowledged messages (from `rabbitmqctl`, because AMQP itself only reports ready ones), a
 * TCP proxy that can cut connections, and `rabbitmqctl` for the fault tests.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';

const run = promisify(execFile);

/** A plain amqplib connection the tests use to look at the broker from outside the code under test. */
export interface Admin {
  readonly channel: ConfirmChannel;
  publish(
    queue: string,
    body: string | Buffer,
    options?: { headers?: Record<string, unknown>; [property: string]: unknown },
  ): Promise<void>;
  publishTo(
    exchange: string,
    routingKey: string,
    body: string | Buffer,
    options?: Record<string, unknown>,
  ): Promise<void>;
  /** Ready messages (AMQP's own count: unacknowledged ones are not included). */
  ready(queue: string): Promise<number>;
  exists(queue: string): Promise<boolean>;
  /** Takes every ready message off the queue (auto-ack) and returns them. */
  drain(
    queue: string,
  ): Promise<Array<{ body: string; headers: Record<string, unknown>; properties: Record<string, unknown> }>>;
  deleteQueues(...queues: string[]): Promise<void>;
  deleteExchanges(...exchanges: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function openAdmin(url: string): Promise<Admin> {
  const model: ChannelModel = await connect(url);
  let channel = await model.createConfirmChannel();
  // A 404 on a passive check closes the channel: reopen for the next call.
  const fresh = async () => {
    channel = await model.createConfirmChannel();
    channel.on('error', () => undefined);
  };
  channel.on('error', () => undefined);
  const confirmed = (
    exchange: string,
    routingKey: string,
    body: string | Buffer,
    options: Record<string, unknown>,
  ) =>
    new Promise<void>((resolve, reject) =>
      channel.publish(exchange, routingKey, Buffer.from(body), options, (error: unknown) =>
        error ? reject(error) : resolve(),
      ),
    );
  return {
    get channel() {
      return channel;
    },
    publish: (queue, body, options = {}) => confirmed('', queue, body, { persistent: true, ...options }),
    publishTo: (exchange, routingKey, body, options = {}) =>
      confirmed(exchange, routingKey, body, { persistent: true, ...options }),
    async ready(queue) {
      try {
        return (await channel.checkQueue(queue)).messageCount;
      } catch {
        await fresh();
        return 0;
      }
    },
    async exists(queue) {
      try {
        await channel.checkQueue(queue);
        return true;
      } catch {
        await fresh();
        return false;
      }
    },
    async drain(queue) {
      const out: Array<{
        body: string;
        headers: Record<string, unknown>;
        properties: Record<string, unknown>;
      }> = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (message === false) return out;
        out.push({
          body: message.content.toString('utf8'),
          headers: message.properties.headers ?? {},
          properties: message.properties as unknown as Record<string, unknown>,
        });
      }
    },
    async deleteQueues(...queues) {
      for (const queue of queues) await channel.deleteQueue(queue).catch(fresh);
    },
    async deleteExchanges(...exchanges) {
      for (const exchange of exchanges) await channel.deleteExchange(exchange).catch(fresh);
    },
    async close() {
      await model.close().catch(() => undefined);
    },
  };
}

/** True when `rabbitmqctl` can talk to the local node. */
export async function rabbitmqctlAvailable(): Promise<boolean> {
  try {
    await run('rabbitmqctl', ['-q', 'status'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs `rabbitmqctl` with a bound on its time. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/** Messages the broker holds for `queue`: ready plus delivered-but-unacknowledged (`rabbitmqctl`). */
export async function heldMessages(queue: string): Promise<number> {
  const out = await rabbitmqctl('-q', 'list_queues', '--no-table-headers', 'name', 'messages');
  for (const line of out.split('\n')) {
    const [name, count] = line.trim().split(/\s+/);
    if (name === queue) return Number(count);
  }
  return 0;
}

/**
 * A TCP proxy in front of the broker that a test can cut: every connection through it is destroyed, as if
 * the network dropped. Listens on an ephemeral port of 127.0.0.1.
 */
export interface CuttableProxy {
  readonly url: string;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Destroys every open connection; new ones are accepted again right away. */
  cut(): void;
  /** Refuses new connections (closes them at once) until `heal()`. */
  refuse(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startProxy(brokerUrl: string): Promise<CuttableProxy> {
  const target = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = tcpConnect(Number(target.port) || 5672, target.hostname);
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
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: url.toString(),
    get accepted() {
      return accepted;
    },
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
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
