import { createEngine, type Engine, type MessageContext, silentLogger } from '@mediary/core';
import { eventually, serviceGate, uniqueName } from '@mediary/testing';
import { useSharedService } from '@mediary/testing/conformance';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AmqpConnection, amqpConnection, amqpSource } from '../src/index.js';
import { type Admin, openAdmin } from './support.js';

const amqp = await serviceGate('amqp');

interface Received {
  body: string;
  headers: Record<string, string>;
  props: Record<string, unknown>;
}

describe.skipIf(!amqp.available)('amqpSource', () => {
  useSharedService('amqp');
  let admin: Admin;
  let engine: Engine | undefined;
  let connection: AmqpConnection | undefined;
  const queues: string[] = [];
  const exchanges: string[] = [];

  beforeAll(async () => {
    admin = await openAdmin(amqp.url);
  });
  afterEach(async () => {
    await engine?.stop({ timeoutMs: 1000 });
    await connection?.close();
    engine = undefined;
    connection = undefined;
    await admin.deleteQueues(...queues.splice(0));
    await admin.deleteExchanges(...exchanges.splice(0));
  });
  afterAll(async () => {
    await admin?.close();
  });

  /** Names a queue (and its exchanges) for this test; all are deleted afterwards. */
  const names = () => {
    const queue = uniqueName('source');
    queues.push(queue, `${queue}.dead`);
    exchanges.push(`${queue}.x`, `${queue}.dlx`);
    return { queue, exchange: `${queue}.x`, dlx: `${queue}.dlx`, dead: `${queue}.dead` };
  };

  const recorder = (received: Received[], fail = false) => [
    async (ctx: MessageContext) => {
      received.push({
        body: await ctx.message.text(),
        headers: ctx.message.headers.toObject(),
        props: { ...ctx.transport.props },
      });
      if (fail) throw new Error('route failed');
    },
  ];

  const startEngine = async (setup: (engine: Engine, connection: AmqpConnection) => void) => {
    connection = amqpConnection({ url: amqp.url, name: 'source-test' });
    engine = createEngine({ logger: silentLogger });
    setup(engine, connection);
    await engine.start();
    return engine;
  };

  it('maps AMQP properties and headers to message headers, and the delivery to transport props', async () => {
    const { queue, exchange } = names();
    const received: Received[] = [];
    await startEngine((e, c) => {
      e.addRoute({ id: 'orders', steps: recorder(received) });
      e.addSource(
        amqpSource({
          connection: c,
          queue,
          route: 'orders',
          declare: { exchange: { name: exchange, type: 'topic' }, bindings: [{ pattern: 'orders.*' }] },
        }),
      );
    });
    await admin.publishTo(exchange, 'orders.created', '{"id":1}', {
      contentType: 'application/json',
      messageId: 'm-1',
      correlationId: 'c-1',
      replyTo: 'answers',
      timestamp: 1_767_225_600,
      type: 'order.created',
      appId: 'shop',
      priority: 3,
      headers: { 'x-tenant': 'acme', 'x-count': 2 },
    });
    await admin.publishTo(exchange, 'invoices.created', 'not bound');
    await eventually(() => expect(received).toHaveLength(1));
    const [first] = received;
    expect(first!.body).toBe('{"id":1}');
    expect(first!.headers).toMatchObject({
      'content-type': 'application/json',
      'message-id': 'm-1',
      'correlation-id': 'c-1',
      'reply-to': 'answers',
      timestamp: '1767225600',
      type: 'order.created',
      'app-id': 'shop',
      priority: '3',
      'x-tenant': 'acme',
      'x-count': '2',
    });
    expect(first!.props).toMatchObject({
      exchange,
      routingKey: 'orders.created',
      redelivered: false,
      queue,
      deliveries: 1,
    });
    expect(typeof first!.props.deliveryTag).toBe('number');
  });

  it('consumes what a headers exchange binding matches', async () => {
    const { queue, exchange } = names();
    const received: Received[] = [];
    await startEngine((e, c) => {
      e.addSource(
        amqpSource({
          connection: c,
          queue,
          route: recorder(received),
          declare: {
            exchange: { name: exchange, type: 'headers' },
            bindings: [{ headers: { kind: 'order', region: 'eu' }, match: 'any' }],
          },
        }),
      );
    });
    await admin.publishTo(exchange, '', 'eu', { headers: { region: 'eu' } });
    await admin.publishTo(exchange, '', 'us', { headers: { region: 'us' } });
    await admin.publishTo(exchange, '', 'order', { headers: { kind: 'order' } });
    await eventually(() => expect(received.map((r) => r.body).sort()).toEqual(['eu', 'order']));
  });

  it('counts deliveries of a classic queue with an x-mediary-attempts header the route never sees', async () => {
    const { queue, dlx, dead } = names();
    const received: Received[] = [];
    await startEngine((e, c) => {
      e.addSource(
        amqpSource({
          connection: c,
          queue,
          route: recorder(received, true),
          maxDeliveries: 3,
          declare: { deadLetter: { exchange: dlx, queue: dead } },
        }),
      );
    });
    await admin.publish(queue, 'poison', { messageId: 'p-1', headers: { 'x-tenant': 'acme' } });
    await eventually(async () => expect(await admin.ready(dead)).toBe(1));
    expect(received.map((r) => r.props.deliveries)).toEqual([1, 2, 3]);
    expect(received.map((r) => r.props.redelivered)).toEqual([false, true, true]);
    // Republished copies keep where the message first came from, and its own headers and properties.
    expect(received.map((r) => r.props.routingKey)).toEqual([queue, queue, queue]);
    for (const r of received) {
      expect(r.headers['x-mediary-attempts']).toBeUndefined();
      expect(r.headers).toMatchObject({ 'x-tenant': 'acme', 'message-id': 'p-1' });
    }
    const [deadLettered] = await admin.drain(dead);
    expect(deadLettered).toMatchObject({ body: 'poison', headers: { 'x-mediary-attempts': 2 } });
    expect(await admin.ready(queue)).toBe(0);
  });

  it('publishes dead-lettered messages to an explicit dead-letter exchange, then acknowledges them', async () => {
    const { queue, dlx, dead } = names();
    await admin.channel.assertExchange(dlx, 'direct', { durable: true });
    await admin.channel.assertQueue(dead, { durable: true });
    await admin.channel.bindQueue(dead, dlx, 'rejected');
    const received: Received[] = [];
    const source = amqpSource({
      connection: amqpConnection({ url: amqp.url }),
      queue,
      route: recorder(received, true),
      onFailure: 'dead-letter',
      deadLetter: { exchange: dlx, routingKey: 'rejected' },
    });
    await startEngine((e) => e.addSource(source));
    await admin.publish(queue, 'invalid', { headers: { 'x-reason': 'schema' } });
    await eventually(async () => expect(await admin.ready(dead)).toBe(1));
    expect(await admin.drain(dead)).toMatchObject([{ body: 'invalid', headers: { 'x-reason': 'schema' } }]);
    expect(source.stats).toMatchObject({ delivered: 1, acked: 0, deadLettered: 1, unsettled: 0 });
    expect(received).toHaveLength(1);
    await engine?.stop();
    expect(await admin.ready(queue)).toBe(0);
  });

  it('consumes again after the broker cancelled its consumer because the queue was deleted', async () => {
    const { queue } = names();
    const received: Received[] = [];
    const errors: string[] = [];
    const e = await startEngine((e, c) => {
      e.addSource(amqpSource({ connection: c, queue, route: recorder(received) }));
    });
    e.bus.on('source:error', (event) => errors.push(event.error.code));
    await admin.publish(queue, 'before');
    await eventually(() => expect(received).toHaveLength(1));
    await admin.channel.deleteQueue(queue);
    await eventually(() => expect(errors).toContain('MEDIARY_AMQP_CONSUMER_CANCELLED'));
    // The fresh channel declares the queue again; a message sent to it arrives.
    await eventually(async () => expect(await admin.exists(queue)).toBe(true));
    await admin.publish(queue, 'after');
    await eventually(() => expect(received.map((r) => r.body)).toEqual(['before', 'after']));
  });

  it('fails to start, with the broker reason, when the queue it assumes does not exist', async () => {
    const { queue } = names();
    const c = amqpConnection({ url: amqp.url });
    const e = createEngine({ logger: silentLogger });
    e.addSource(amqpSource({ connection: c, queue, route: [], declare: false }));
    await expect(e.start()).rejects.toMatchObject({
      code: 'MEDIARY_AMQP_CHANNEL_FAILED',
      message: expect.stringContaining('NOT_FOUND'),
    });
    expect(c.state).toBe('idle');
  });

  it('fails to start when its route id is not registered, before consuming anything', async () => {
    const { queue } = names();
    const c = amqpConnection({ url: amqp.url });
    const e = createEngine({ logger: silentLogger });
    e.addSource(amqpSource({ connection: c, queue, route: 'missing' }));
    await expect(e.start()).rejects.toMatchObject({ code: 'MEDIARY_ROUTE_NOT_FOUND' });
    expect(c.state).toBe('idle');
  });

  it('refuses a prefetch or maxDeliveries that is not a positive integer', () => {
    const c = amqpConnection({ url: amqp.url });
    expect(() => amqpSource({ connection: c, queue: 'q', route: [], prefetch: 0 })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_AMQP_INVALID_OPTIONS' }),
    );
    expect(() => amqpSource({ connection: c, queue: 'q', route: [], maxDeliveries: 1.5 })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_AMQP_INVALID_OPTIONS' }),
    );
  });
});
