/**
 * Helpers for the MQTT integration tests: a plain MQTT.js client to publish and watch from outside the code
 * under test, a TCP proxy that counts the acknowledgements a consumer sends (the broker itself has no
 * per-topic depth to ask) and can cut connections, and a way to remove persistent sessions.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { Engine, Source } from '@mediary/core';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

/** A plain client for the test's side of the broker. */
export async function plainClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...options });
}

/** Subscribes a plain client and collects what arrives. */
export async function collect(
  url: string,
  filter: string,
  options: IClientOptions = {},
): Promise<{ messages: Array<{ topic: string; body: string; retain: boolean }>; close(): Promise<void> }> {
  const client = await plainClient(url, options);
  const messages: Array<{ topic: string; body: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, body: payload.toString(), retain: packet.retain }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return { messages, close: () => client.endAsync(true).then(() => undefined) };
}

/** Ends the persistent sessions of these client ids (a clean connect discards a session). */
export async function removeSessions(
  url: string,
  clientIds: readonly string[],
  protocolVersion: 4 | 5 = 5,
): Promise<void> {
  for (const clientId of clientIds) {
    const client = await plainClient(url, {
      clientId,
      clean: true,
      protocolVersion,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
    });
    await client.endAsync();
  }
}

/**
 * A TCP proxy in front of the broker. It counts the PUBACK and PUBREC packets clients send through it —
 * the moment a consumer takes a QoS 1 / QoS 2 message off the broker's hands — and can cut every
 * connection, as if the network dropped, or hold back what the broker sends, as a congested link would.
 */
export interface MqttProxy {
  readonly url: string;
  /** PUBACK + PUBREC packets sent by clients so far. */
  readonly acks: number;
  /** Destroys every open connection; new ones are accepted again at once. */
  cut(): void;
  /** Holds back what the broker sends (its acknowledgements too) until `resume()`. */
  stall(): void;
  resume(): void;
  /** Refuses new connections until `heal()`. */
  refuse(): void;
  heal(): void;
  close(): Promise<void>;
}

const PUBACK = 4;
const PUBREC = 5;

export async function startProxy(brokerUrl: string): Promise<MqttProxy> {
  const target = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  let refusing = false;
  let stalled = false;
  const held: Array<() => void> = [];
  let acks = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port) || 1883, target.hostname);
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
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const size = packetSize(pending);
        if (size === undefined || pending.length < size) break;
        const type = pending[0]! >> 4;
        if (type === PUBACK || type === PUBREC) acks++;
        pending = pending.subarray(size);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (stalled) held.push(() => client.write(chunk));
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get acks() {
      return acks;
    },
    cut,
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const release of held.splice(0)) release();
    },
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

/** The full size of the MQTT packet at the start of `buffer`, or undefined while its header is incomplete. */
function packetSize(buffer: Buffer): number | undefined {
  let multiplier = 1;
  let length = 0;
  for (let i = 1; i < 5; i++) {
    const byte = buffer[i];
    if (byte === undefined) return undefined;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) return 1 + i + length;
  }
  return undefined;
}

/** Several sources started, stopped and closed as one (one per connection of a shared subscription). */
export function allOf(name: string, sources: readonly Source[]): Source {
  return {
    name,
    async start(engine: Engine) {
      for (const source of sources) await source.start(engine);
    },
    async stop() {
      await Promise.all(sources.map((s) => s.stop()));
    },
    async close() {
      await Promise.all(sources.map((s) => s.close?.()));
    },
  };
}
