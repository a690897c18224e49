import { call, coreErrors, createMessage, respond } from '@mediary/core';
import { createHarness, eventually, serviceGate, uniqueName } from '@mediary/testing';
import { useSharedService } from '@mediary/testing/conformance';
import type { ConsumeMessage } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AmqpConnection, amqpConnection, amqpEndpoint } from '../src/index.js';
import { type Admin, openAdmin } from './support.js';

const amqp = await serviceGate('amqp');

describe.skipIf(!amqp.available)('amqpEndpoint', () => {
  useSharedService('amqp');
  let admin: Admin;
  let connection: AmqpConnection;
  const queues: string[] = [];
  const exchanges: string[] = [];

  beforeAll(async () => {
    admin = await openAdmin(amqp.url);
  });
  afterEach(async () => {
    await connection?.close();
    await admin.deleteQueues(...queues.splice(0));
    await admin.deleteExchanges(...exchanges.splice(0));
  });
  afterAll(async () => {
    await admin?.close();
  });

  const queue = async () => {
    const name = uniqueName('endpoint');
    queues.push(name);
    await admin.channel.assertQueue(name, { durable: true });
    return name;
  };
  const exchange = () => {
    const name = uniqueName('endpoint-x');
    exchanges.push(name);
    return name;
  };

  /** Answers every request on `requests` with `pong: <body>`, to the reply-to address, correlated. */
  const respondOn = async (requests: string) => {
    await admin.channel.consume(requests, (request: ConsumeMessage | null) => {
      if (!request) return;
      admin.channel.sendToQueue(
        request.properties.replyTo as string,
        Buffer.from(`pong: ${request.content.toString()}`),
        {
          correlationId: request.properties.correlationId,
          contentType: 'text/plain',
          headers: { 'x-served-by': 'responder' },
        },
      );
      admin.channel.ack(request);
    });
  };

  it('publishes persistently, waits for the confirm and answers an empty 202', async () => {
    const orders = await queue();
    connection = amqpConnection({ url: amqp.url });
    await using h = await createHarness(
      (engine) => {
        engine.addEndpoint(amqpEndpoint({ name: 'orders', connection, exchange: '', routingKey: orders }));
      },
      { realClock: true },
    );
    const result = await h.send([call('orders'), respond()], {
      json: { id: 7 },
      headers: { 'message-id': 'm-7', 'x-tenant': 'acme', 'content-length': '8' },
    });
    expect(result.ok).toBe(true);
    expect(result.message.status).toBe(202);
    expect(result.message.isEmpty).toBe(true);
    // Confirmed means the broker has it: it is in the queue the moment send resolved.
    const [published] = await admin.drain(orders);
    expect(published).toMatchObject({
      body: '{"id":7}',
      headers: { 'x-tenant': 'acme' },
      properties: { contentType: 'application/json', messageId: 'm-7', deliveryMode: 2 },
    });
    expect(published!.headers['content-length']).toBeUndefined();
  });

  it('computes the routing key from the message context and declares its exchange', async () => {
    const audit = exchange();
    const created = await queue();
    connection = amqpConnection({ url: amqp.url });
    await using h = await createHarness(
      (engine) => {
        engine.addEndpoint(
          amqpEndpoint({
            name: 'audit',
            connection,
            exchange: audit,
            declare: { type: 'topic' },
            routingKey: (ctx) => `audit.${String(ctx.vars.kind)}`,
          }),
        );
      },
      { realClock: true },
    );
    // The first send declares the exchange; bind after it exists.
    expect((await h.send([call('audit')], { text: 'warm-up' }, { vars: { kind: 'none' } })).ok).toBe(true);
    await admin.channel.bindQueue(created, audit, 'audit.created');
    await h.send([call('audit')], { text: 'created' }, { vars: { kind: 'created' } });
    await h.send([call('audit')], { text: 'deleted' }, { vars: { kind: 'deleted' } });
    expect((await admin.drain(created)).map((m) => m.body)).toEqual(['created']);
  });

  it('fails with MEDIARY_AMQP_UNROUTABLE when a mandatory message reaches no queue', async () => {
    const events = exchange();
    const bound = await queue();
    connection = amqpConnection({ url: amqp.url });
    await using h = await createHarness(
      (engine) => {
        engine.addEndpoint(
          amqpEndpoint({
            name: 'events',
            connection,
            exchange: events,
            declare: { type: 'direct' },
            routingKey: (ctx) => String(ctx.vars.key),
            mandatory: true,
          }),
        );
      },
      { realClock: true },
    );
    const nowhere = await h.send([call('events')], { text: 'lost' }, { vars: { key: 'nobody' } });
    expect(nowhere.ok).toBe(false);
    expect(!nowhere.ok && nowhere.error).toMatchObject({ code: 'MEDIARY_AMQP_UNROUTABLE', retryable: false });
    await admin.channel.bindQueue(bound, events, 'somebody');
    const delivered = await h.send([call('events')], { text: 'kept' }, { vars: { key: 'somebody' } });
    expect(delivered.ok).toBe(true);
    expect((await admin.drain(bound)).map((m) => m.body)).toEqual(['kept']);
  });

  it('waits for the correlated reply over direct reply-to', async () => {
    const requests = await queue();
    await respondOn(requests);
    connection = amqpConnection({ url: amqp.url });
    await using h = await createHarness(
      (engine) => {
        engine.addEndpoint(
          amqpEndpoint({
            name: 'rpc',
            connection,
            exchange: '',
            routingKey: requests,
            replyTo: 'direct-reply-to',
          }),
        );
      },
      { realClock: true },
    );
    const replies = await Promise.all(
      ['a', 'b', 'c'].map((body) => h.send([call('rpc'), respond()], { text: body })),
    );
    expect(await Promise.all(replies.map((r) => r.message.text()))).toEqual([
      'pong: a',
      'pong: b',
      'pong: c',
    ]);
    expect(replies[0]!.message.headers.get('x-served-by')).toBe('responder');
    expect(replies[0]!.message.contentType).toBe('text/plain');
  });

  it('waits for the correlated reply on a reply queue of its own', async () => {
    const requests = await queue();
    const replyQueue = uniqueName('replies');
    await respondOn(requests);
    connection = amqpConnection({ url: amqp.url });
    await using h = await createHarness(
      (engine) => {
        engine.addEndpoint(
          amqpEndpoint({ name: 'rpc', connection, exchange: '', routingKey: requests, replyTo: replyQueue }),
        );
      },
      { realClock: true },
    );
    const reply = await h.send([call('rpc'), respond()], { text: 'ping' });
    expect(await reply.message.text()).toBe('pong: ping');
    await connection.close();
    // Exclusive and auto-deleted: it goes with the connection.
    await eventually(async () => expect(await admin.exists(replyQueue)).toBe(false));
  });

  /** A harness whose endpoint `rpc` asks, by direct reply-to, a queue that nobody answers. */
  const silentRpc = async (options: { replyTimeoutMs?: number } = {}) => {
    const silent = await queue();
    connection = amqpConnection({ url: amqp.url });
    const harness = await createHarness((engine) => {
      engine.addEndpoint(
        amqpEndpoint({
          name: 'rpc',
          connection,
          exchange: '',
          routingKey: silent,
          replyTo: 'direct-reply-to',
          ...options,
        }),
      );
    });
    return { harness, silent };
  };

  it('gives up waiting for a reply after replyTimeoutMs on the engine clock, retryably', async () => {
    const { harness, silent } = await silentRpc({ replyTimeoutMs: 5000 });
    await using h = harness;
    const pending = h.send([call('rpc')], { text: 'anyone?' });
    // The request reaches the queue for real; only the wait for the answer is on the fake clock.
    await eventually(async () => expect(await admin.ready(silent)).toBe(1));
    await h.clock.tick(4999);
    await h.clock.tick(1);
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ code: 'MEDIARY_AMQP_REPLY_TIMEOUT', retryable: true });
  });

  it('stops waiting for a reply, and drops its reply timer, as soon as the message is aborted', async () => {
    const { harness, silent } = await silentRpc();
    await using h = harness;
    const idle = h.clock.pending;
    const controller = new AbortController();
    const pending = h.engine.dispatch(call('rpc'), createMessage({ text: 'anyone?' }), {
      signal: controller.signal,
    });
    await eventually(async () => expect(await admin.ready(silent)).toBe(1));
    // Published and confirmed: what is left on the clock is the wait for the reply.
    await eventually(() => expect(h.clock.pending).toBe(idle + 1));
    controller.abort(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'rpc', timeoutMs: 1 }));
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
    expect(h.clock.pending).toBe(idle);
  });

  it('refuses mandatory without publisher confirms', () => {
    connection = amqpConnection({ url: amqp.url });
    expect(() =>
      amqpEndpoint({ name: 'x', connection, exchange: '', routingKey: 'q', mandatory: true, confirm: false }),
    ).toThrow(expect.objectContaining({ code: 'MEDIARY_AMQP_INVALID_OPTIONS' }));
  });
});
