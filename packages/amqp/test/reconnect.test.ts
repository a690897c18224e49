import {
  call,
  createEngine,
  type Engine,
  type Logger,
  type MessageContext,
  silentLogger,
} from '@mediary/core';
import { createHarness, createLatch, eventually, serviceGate, uniqueName } from '@mediary/testing';
import { sampleStoredMessage, useSharedService } from '@mediary/testing/conformance';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AmqpConnection,
  amqpConnection,
  amqpEndpoint,
  amqpMessageStore,
  amqpSource,
} from '../src/index.js';
import { type Admin, type CuttableProxy, openAdmin, startProxy } from './support.js';

const amqp = await serviceGate('amqp');

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(message),
    error: (message) => lines.push(message),
    child: () => logger,
  };
  return logger;
}

describe.skipIf(!amqp.available)('reconnecting through a connection that drops', () => {
  useSharedService('amqp');
  let admin: Admin;
  let proxy: CuttableProxy;
  let connection: AmqpConnection;
  let engine: Engine | undefined;
  let queue: string;

  beforeAll(async () => {
    admin = await openAdmin(amqp.url);
  });
  beforeEach(async () => {
    proxy = await startProxy(amqp.url);
    connection = amqpConnection({
      url: proxy.url,
      name: 'flaky',
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    queue = uniqueName('reconnect');
    await admin.channel.assertQueue(queue, { durable: true });
  });
  afterEach(async () => {
    await engine?.stop({ timeoutMs: 1000 });
    engine = undefined;
    await connection.close();
    await proxy.close();
    await admin.deleteQueues(queue);
  });
  afterAll(async () => {
    await admin?.close();
  });

  it('comes back after the connection drops, consumes again, and says so on the bus and in the log', async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const bodies: string[] = [];
    engine = createEngine({ logger: recordingLogger(lines) });
    engine.bus.on('amqp:disconnected', (e) => events.push(`disconnected in ${e.reconnectInMs}ms`));
    engine.bus.on('amqp:reconnected', (e) => events.push(`reconnected after ${e.attempts} attempts`));
    engine.bus.on('source:error', (e) => events.push(e.error.code));
    const source = amqpSource({
      connection,
      queue,
      route: [
        async (ctx: MessageContext) => {
          bodies.push(await ctx.message.text());
        },
      ],
    });
    engine.addSource(source);
    await engine.start();
    await admin.publish(queue, 'before');
    await eventually(() => expect(source.stats.acked).toBe(1));

    proxy.cut();
    await eventually(() => expect(events).toContain('disconnected in 50ms'));
    await admin.publish(queue, 'while down');
    await eventually(() => expect(events).toContain('reconnected after 1 attempts'));
    expect(events).toContain('MEDIARY_AMQP_CONNECTION_LOST');
    expect(lines).toContain('amqp connection lost, reconnecting in 50ms');
    expect(lines).toContain('amqp reconnected');

    await admin.publish(queue, 'after');
    // The ack of 'before' is on its way when the proxy cuts; if the cut drops it, the broker hands 'before'
    // out again after the reconnect. That is the at-least-once contract, so a second 'before' may come first.
    const inOrder = (seen: string[]) => seen.filter((body, i) => !(body === 'before' && i === 1));
    await eventually(() => expect(inOrder(bodies)).toEqual(['before', 'while down', 'after']));
    expect(proxy.accepted).toBe(2);
  });

  it('redelivers the message that was in flight when the connection dropped (at-least-once)', async () => {
    const entered = createLatch();
    const latch = createLatch();
    const runs: boolean[] = [];
    const source = amqpSource({
      connection,
      queue,
      route: [
        async (ctx: MessageContext) => {
          runs.push(ctx.transport.props.redelivered as boolean);
          entered.open();
          await latch.wait();
        },
      ],
    });
    engine = createEngine({ logger: silentLogger });
    engine.addSource(source);
    await engine.start();
    await admin.publish(queue, 'in flight');
    await entered.wait();
    proxy.cut();
    // Only once the client noticed: an ack written into the dying socket would count as sent.
    await eventually(() => expect(connection.state).not.toBe('open'));
    latch.open();
    // The first run finished on a dead channel; the broker gives the message again after the reconnect.
    await eventually(() => expect(runs).toEqual([false, true]));
    await eventually(() => expect(source.stats).toMatchObject({ delivered: 2, acked: 1, unsettled: 1 }));
    await engine.stop();
    expect(await admin.ready(queue)).toBe(0);
  });

  it('lets a publish wait for the reconnect, then confirms it', async () => {
    await using h = await createHarness(
      (e) => {
        e.addEndpoint(amqpEndpoint({ name: 'out', connection, exchange: '', routingKey: queue }));
      },
      { realClock: true },
    );
    expect((await h.send([call('out')], { text: 'first' })).ok).toBe(true);
    proxy.refuse();
    const waiting = h.send([call('out')], { text: 'second' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.heal();
    const result = await waiting;
    expect(result.ok).toBe(true);
    expect((await admin.drain(queue)).map((m) => m.body)).toEqual(['first', 'second']);
  });

  it('fails a publish retryably when the connection stays away longer than publishTimeoutMs', async () => {
    await using h = await createHarness(
      (e) => {
        e.addEndpoint(
          amqpEndpoint({ name: 'out', connection, exchange: '', routingKey: queue, publishTimeoutMs: 300 }),
        );
      },
      { realClock: true },
    );
    expect((await h.send([call('out')], { text: 'first' })).ok).toBe(true);
    proxy.refuse();
    const result = await h.send([call('out')], { text: 'second' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ code: 'MEDIARY_AMQP_UNAVAILABLE', retryable: true });
  });

  it('shares one broker connection between a source, an endpoint and a store', async () => {
    const bodies: string[] = [];
    const store = amqpMessageStore({ connection, queue: `${queue}.store` });
    engine = createEngine({ logger: silentLogger });
    engine.addEndpoint(amqpEndpoint({ name: 'out', connection, exchange: '', routingKey: queue }));
    engine.addSource(
      amqpSource({
        connection,
        queue,
        route: [
          async (ctx: MessageContext) => {
            bodies.push(await ctx.message.text());
          },
        ],
      }),
    );
    await engine.start();
    await store.enqueue(sampleStoredMessage());
    await using h = await createHarness(undefined, { realClock: true });
    await h.send([call(engine.endpoint('out'))], { text: 'looped' });
    await eventually(() => expect(bodies).toEqual(['looped']));
    expect(await store.size()).toBe(1);
    expect(proxy.accepted).toBe(1);
    await store.purge();
    await store.close();
    await admin.deleteQueues(`${queue}.store`);
  });
});
