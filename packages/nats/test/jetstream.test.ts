import {
  call,
  createEngine,
  createMessage,
  type Engine,
  type MessageContext,
  silentLogger,
} from '@mediary/core';
import { eventually, serviceGate, uniqueName } from '@mediary/testing';
import { RetentionPolicy } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_HEADERS,
  declareConsumer,
  declareStream,
  deleteStream,
  jetStreamSource,
  type NatsConnection,
  natsConnection,
  natsEndpoint,
  natsErrors,
} from '../src/index.js';
import { type Admin, openAdmin, streamName } from './support.js';

const nats = await serviceGate('nats');

describe.skipIf(!nats.available)('JetStream source and endpoint', () => {
  let admin: Admin;
  const engines: Engine[] = [];
  const connections: NatsConnection[] = [];
  const streams: string[] = [];

  beforeAll(async () => {
    admin = await openAdmin(nats.url);
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop({ timeoutMs: 500 });
    for (const connection of connections.splice(0)) await connection.close();
    await admin.deleteStreams(...streams.splice(0));
  });
  afterAll(async () => {
    await admin?.close();
  });

  const connect = () => {
    const connection = natsConnection({ servers: nats.url, name: uniqueName('js'), reconnectTimeWaitMs: 50 });
    connections.push(connection);
    return connection;
  };
  /** A stream of this test, capturing `<name>.>`. */
  const newStream = async (retention: RetentionPolicy = RetentionPolicy.Limits) => {
    const name = streamName('JS', uniqueName('t'));
    streams.push(name);
    await admin.jsm.streams.add({ name, subjects: [`${name}.>`], retention });
    return name;
  };
  const engineWith = async (setup: (engine: Engine) => void) => {
    const engine = createEngine({ logger: silentLogger });
    engines.push(engine);
    setup(engine);
    await engine.start();
    return engine;
  };

  it('publishes to a stream and answers with the stream and sequence, storing a repeated message id once', async () => {
    const stream = await newStream();
    const engine = await engineWith((e) => {
      e.addEndpoint(
        natsEndpoint({ name: 'store', connection: connect(), subject: `${stream}.orders`, jetstream: true }),
      );
      e.addRoute({ id: 'store', steps: [call('store')] });
    });
    const first = await engine.dispatch(
      'store',
      createMessage({ json: { n: 1 }, headers: { 'nats-msg-id': 'order-1' } }),
    );
    const again = await engine.dispatch(
      'store',
      createMessage({ json: { n: 1 }, headers: { 'nats-msg-id': 'order-1' } }),
    );
    expect(first.ok && first.message.headers.toObject()).toMatchObject({
      'nats-stream': stream,
      'nats-sequence': '1',
      'nats-duplicate': 'false',
    });
    expect(again.ok && again.message.headers.get('nats-duplicate')).toBe('true');
    expect(await admin.messages(stream)).toBe(1);
  });

  it('fails a JetStream publish to a subject no stream captures, retryably', async () => {
    const engine = await engineWith((e) => {
      e.addEndpoint(
        natsEndpoint({
          name: 'nowhere',
          connection: connect(),
          subject: uniqueName('nostream'),
          jetstream: true,
          timeoutMs: 1000,
        }),
      );
      e.addRoute({ id: 'store', steps: [call('nowhere')] });
    });
    const exchange = await engine.dispatch('store', createMessage({ text: 'x' }));
    expect(exchange.ok).toBe(false);
    if (!exchange.ok) {
      expect(exchange.error.code).toBe(natsErrors.PUBLISH_FAILED.code);
      expect(exchange.error.retryable).toBe(true);
    }
  });

  it('redelivers a failed message after the nak delay, counting deliveries', async () => {
    const stream = await newStream();
    const deliveries: unknown[] = [];
    const started = Date.now();
    let redeliveredAfter = 0;
    await engineWith((e) =>
      e.addSource(
        jetStreamSource({
          connection: connect(),
          stream,
          durable: 'retry',
          nakDelayMs: 300,
          route: [
            (ctx: MessageContext) => {
              deliveries.push(ctx.transport.props.deliveries);
              if (deliveries.length === 1) throw new Error('not yet');
              redeliveredAfter = Date.now() - started;
            },
          ],
        }),
      ),
    );
    await admin.publish(`${stream}.in`, 'x');
    await eventually(() => expect(deliveries).toEqual([1, 2]));
    expect(redeliveredAfter).toBeGreaterThanOrEqual(300);
  });

  it('keeps a message whose route outlasts the ack wait by telling the server it is still working', async () => {
    const stream = await newStream();
    let runs = 0;
    let done = 0;
    await engineWith((e) =>
      e.addSource(
        jetStreamSource({
          connection: connect(),
          stream,
          durable: 'slow',
          ackWaitMs: 1000,
          route: [
            async () => {
              runs++;
              // Two and a half ack waits: without "in progress" the server would redeliver it twice.
              await new Promise((resolve) => setTimeout(resolve, 2500));
              done++;
            },
          ],
        }),
      ),
    );
    await admin.publish(`${stream}.in`, 'slow');
    await eventually(() => expect(done).toBe(1));
    await eventually(async () => expect(await admin.held(stream, 'slow')).toBe(0));
    expect(runs).toBe(1);
  });

  it('dead-letters a message whose ack wait expired on every delivery, from the max-deliveries advisory', async () => {
    const stream = await newStream();
    const dead = await newStream();
    let runs = 0;
    await engineWith((e) =>
      e.addSource(
        jetStreamSource({
          connection: connect(),
          stream,
          durable: 'stuck',
          ackWaitMs: 300,
          maxDeliver: 2,
          inProgressIntervalMs: false,
          deadLetterSubject: `${dead}.orders`,
          route: [
            async (ctx: MessageContext) => {
              runs++;
              // Never finishes on its own: only shutdown ends it.
              await new Promise((_, reject) =>
                ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
              );
            },
          ],
        }),
      ),
    );
    await admin.publish(`${stream}.in`, 'stuck', { 'x-order': '9' });
    await eventually(async () => expect(await admin.messages(dead)).toBe(1));
    expect(runs).toBe(2);
    const stored = await admin.jsm.streams.getMessage(dead, { seq: 1 });
    expect(stored?.string()).toBe('stuck');
    expect(stored?.header.get('x-order')).toBe('9');
    expect(stored?.header.get(DEAD_LETTER_HEADERS.stream)).toBe(stream);
    expect(stored?.header.get(DEAD_LETTER_HEADERS.sequence)).toBe('1');
  });

  it('shares a durable consumer between two engines, processing every message once', async () => {
    const stream = await newStream(RetentionPolicy.Workqueue);
    const byEngine = [0, 0];
    const bodies: string[] = [];
    for (const index of [0, 1]) {
      await engineWith((e) =>
        e.addSource(
          jetStreamSource({
            connection: connect(),
            stream,
            durable: 'shared',
            prefetch: 5,
            route: [
              async (ctx: MessageContext) => {
                byEngine[index]!++;
                bodies.push(await ctx.message.text());
                await new Promise((resolve) => setTimeout(resolve, 2));
              },
            ],
          }),
        ),
      );
    }
    for (let i = 0; i < 200; i++) await admin.publish(`${stream}.in`, `m${i}`);
    await eventually(() => expect(bodies).toHaveLength(200));
    await eventually(async () => expect(await admin.messages(stream)).toBe(0));
    expect(new Set(bodies).size).toBe(200);
    expect(byEngine[0]).toBeGreaterThan(0);
    expect(byEngine[1]).toBeGreaterThan(0);
  });

  it('declares streams and consumers idempotently and updates them when settings change', async () => {
    const connection = connect();
    const name = streamName('DECL', uniqueName('d'));
    streams.push(name);
    await declareStream(connection, { name, subjects: [`${name}.a`] });
    await declareStream(connection, { name, subjects: [`${name}.a`] });
    await declareStream(connection, { name, subjects: [`${name}.a`, `${name}.b`] });
    expect((await admin.jsm.streams.info(name)).config.subjects).toEqual([`${name}.a`, `${name}.b`]);
    const consumer = { durable: 'c', ackWaitMs: 1000, maxDeliver: 3, maxAckPending: 5 };
    await declareConsumer(connection, name, consumer);
    await declareConsumer(connection, name, { ...consumer, maxDeliver: 7 });
    expect((await admin.jsm.consumers.info(name, 'c')).config.max_deliver).toBe(7);
    expect(await deleteStream(connection, name)).toBe(true);
    expect(await deleteStream(connection, name)).toBe(false);
    expect(connection.state).toBe('idle');
  });

  it('fails to start on a stream that does not exist', async () => {
    const engine = createEngine({ logger: silentLogger });
    engine.addSource(
      jetStreamSource({
        connection: connect(),
        stream: streamName('NONE', uniqueName('x')),
        durable: 'd',
        route: [],
      }),
    );
    await expect(engine.start()).rejects.toMatchObject({ code: natsErrors.STREAM_FAILED.code });
  });
});
