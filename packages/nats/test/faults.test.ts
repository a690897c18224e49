/**
 * Fault tests: the connection between Mediary and the NATS server is cut (a TCP proxy in between drops
 * every socket) or refused for a while, as a network failure or a server restart would do, while
 * messages are consumed and published. Every message must arrive; duplicates are allowed where
 * at-least-once allows them, and JetStream's message-id de-duplication removes them on the publishing side.
 */
import { call, createEngine, type Engine, type MessageContext, silentLogger } from '@mediary/core';
import { eventually, pause, serviceGate, uniqueName } from '@mediary/testing';
import { RetentionPolicy } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jetStreamSource, type NatsConnection, natsConnection, natsEndpoint } from '../src/index.js';
import { type Admin, type CuttableProxy, openAdmin, startProxy, streamName } from './support.js';

const nats = await serviceGate('nats');

describe.skipIf(!nats.available)('NATS faults', () => {
  let admin: Admin;
  let proxy: CuttableProxy;
  const engines: Engine[] = [];
  const connections: NatsConnection[] = [];
  const streams: string[] = [];

  beforeAll(async () => {
    admin = await openAdmin(nats.url);
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop({ timeoutMs: 1000 });
    for (const connection of connections.splice(0)) await connection.close();
    await proxy?.close();
    await admin.deleteStreams(...streams.splice(0));
  });
  afterAll(async () => {
    await admin?.close();
  });

  const newStream = async (prefix: string) => {
    const name = streamName(prefix, uniqueName('f'));
    streams.push(name);
    await admin.jsm.streams.add({ name, subjects: [`${name}.>`], retention: RetentionPolicy.Workqueue });
    return name;
  };

  const engineThroughProxy = async (setup: (engine: Engine, connection: NatsConnection) => void) => {
    proxy = await startProxy(nats.url);
    const connection = natsConnection({
      servers: proxy.url,
      name: uniqueName('fault'),
      reconnectTimeWaitMs: 50,
      maxReconnectTimeWaitMs: 400,
    });
    connections.push(connection);
    const engine = createEngine({ logger: silentLogger });
    engines.push(engine);
    const events: string[] = [];
    engine.bus.on('nats:disconnected', () => events.push('disconnected'));
    engine.bus.on('nats:reconnected', () => events.push('reconnected'));
    engine.bus.on('source:error', ({ error }) => events.push(error.code));
    setup(engine, connection);
    await engine.start();
    return { engine, events };
  };

  it('consumes every message of a JetStream stream although the connection is cut twice meanwhile', async () => {
    const stream = await newStream('CUTC');
    const total = 300;
    for (let i = 0; i < total; i++) await admin.publish(`${stream}.in`, `m${i}`);
    const seen = new Set<string>();
    let runs = 0;
    const { events } = await engineThroughProxy((engine, connection) =>
      engine.addSource(
        jetStreamSource({
          connection,
          stream,
          durable: 'cut',
          ackWaitMs: 1000,
          nakDelayMs: 50,
          route: [
            async (ctx: MessageContext) => {
              runs++;
              seen.add(await ctx.message.text());
              await pause(10);
            },
          ],
        }),
      ),
    );
    await eventually(() => expect(seen.size).toBeGreaterThan(50), { timeoutMs: 10_000 });
    expect(seen.size).toBeLessThan(total);
    proxy.cut();
    await eventually(() => expect(events).toContain('reconnected'), { timeoutMs: 10_000 });
    await eventually(() => expect(seen.size).toBeGreaterThan(150), { timeoutMs: 20_000 });
    expect(seen.size).toBeLessThan(total);
    proxy.cut();
    await eventually(() => expect(seen.size).toBe(total), { timeoutMs: 25_000 });
    await eventually(async () => expect(await admin.messages(stream)).toBe(0), { timeoutMs: 10_000 });
    expect(events).toContain('disconnected');
    expect(events).toContain('MEDIARY_NATS_CONNECTION_LOST');
    // At-least-once: a message whose acknowledgement was lost in a cut is processed again, never lost.
    expect(runs).toBeGreaterThanOrEqual(total);
  }, 90_000);

  it('forwards every message from one stream to another while the server is unreachable for a while', async () => {
    const inbound = await newStream('FWDIN');
    const outbound = await newStream('FWDOUT');
    const total = 200;
    for (let i = 0; i < total; i++) await admin.publish(`${inbound}.in`, `m${i}`);
    const { events } = await engineThroughProxy((engine, connection) => {
      engine.addEndpoint(
        natsEndpoint({
          name: 'out',
          connection,
          subject: `${outbound}.orders`,
          jetstream: true,
          timeoutMs: 500,
          // The inbound sequence de-duplicates a forward that is retried after a lost PubAck.
          msgId: (ctx) => `fwd-${String(ctx.transport.props.streamSequence)}`,
        }),
      );
      engine.addSource(
        jetStreamSource({
          connection,
          stream: inbound,
          durable: 'fwd',
          ackWaitMs: 2000,
          nakDelayMs: 100,
          maxDeliver: 1000,
          prefetch: 2,
          route: [call('out')],
        }),
      );
    });
    await eventually(async () => expect(await admin.messages(outbound)).toBeGreaterThan(40), {
      timeoutMs: 10_000,
    });
    expect(await admin.messages(outbound)).toBeLessThan(total);
    // The server is "down": connections are refused for a second, then it is back.
    proxy.refuse();
    await pause(1000);
    proxy.heal();
    await eventually(async () => expect(await admin.messages(outbound)).toBe(total), { timeoutMs: 30_000 });
    await eventually(async () => expect(await admin.messages(inbound)).toBe(0), { timeoutMs: 10_000 });
    const bodies = new Set<string>();
    for (let seq = 1; seq <= total; seq++) {
      const stored = await admin.jsm.streams.getMessage(outbound, { seq });
      if (stored) bodies.add(stored.string());
    }
    expect(bodies.size).toBe(total);
    expect(events).toContain('disconnected');
    expect(events).toContain('reconnected');
  }, 90_000);
});
