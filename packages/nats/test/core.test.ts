import {
  call,
  coreErrors,
  createEngine,
  createMessage,
  type Engine,
  type MessageContext,
  respond,
  silentLogger,
} from '@mediary/core';
import { eventually, serviceGate, uniqueName } from '@mediary/testing';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NatsConnection, natsConnection, natsEndpoint, natsErrors, natsSource } from '../src/index.js';
import { type Admin, openAdmin } from './support.js';

const nats = await serviceGate('nats');

describe.skipIf(!nats.available)('core NATS source and endpoint', () => {
  let admin: Admin;
  const engines: Engine[] = [];
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    admin = await openAdmin(nats.url);
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop({ timeoutMs: 1000 });
    for (const connection of connections.splice(0)) await connection.close();
  });
  afterAll(async () => {
    await admin?.close();
  });

  const connect = () => {
    const connection = natsConnection({
      servers: nats.url,
      name: uniqueName('core'),
      reconnectTimeWaitMs: 50,
    });
    connections.push(connection);
    return connection;
  };
  const engineWith = async (setup: (engine: Engine) => void) => {
    const engine = createEngine({ logger: silentLogger });
    engines.push(engine);
    setup(engine);
    await engine.start();
    return engine;
  };

  it('runs a message of a wildcard subject through the route with its body, headers and subject', async () => {
    const subject = uniqueName('core').replace(/-/g, '_');
    const seen: Array<{ subject: unknown; body: string; trace: string | undefined; transport: string }> = [];
    await engineWith((engine) =>
      engine.addSource(
        natsSource({
          connection: connect(),
          subject: `${subject}.*`,
          route: [
            async (ctx: MessageContext) => {
              seen.push({
                subject: ctx.transport.props.subject,
                body: await ctx.message.text(),
                trace: ctx.message.headers.get('x-trace'),
                transport: ctx.transport.name,
              });
            },
          ],
        }),
      ),
    );
    const h = natsHeaders();
    h.set('X-Trace', 't-1');
    admin.client.publish(`${subject}.created`, 'order 1', { headers: h });
    await eventually(() =>
      expect(seen).toEqual([
        { subject: `${subject}.created`, body: 'order 1', trace: 't-1', transport: 'nats' },
      ]),
    );
  });

  it('answers a request with the message the route responded with', async () => {
    const subject = uniqueName('svc').replace(/-/g, '_');
    const connection = connect();
    const engine = await engineWith((e) => {
      e.addSource(
        natsSource({
          connection,
          subject,
          route: [
            async (ctx: MessageContext) => {
              const { n } = await ctx.message.json<{ n: number }>();
              ctx.message.setJson({ doubled: n * 2 });
              ctx.message.headers.set('x-served-by', 'mediary');
            },
            respond(),
          ],
        }),
      );
      e.addEndpoint(natsEndpoint({ name: 'doubler', connection, subject, request: true, timeoutMs: 2000 }));
      e.addRoute({ id: 'ask', steps: [call('doubler')] });
    });
    const exchange = await engine.dispatch('ask', createMessage({ json: { n: 21 } }));
    expect(exchange.ok).toBe(true);
    expect(await exchange.message.json()).toEqual({ doubled: 42 });
    expect(exchange.message.headers.get('x-served-by')).toBe('mediary');
    expect(exchange.message.contentType).toBe('application/json');
  });

  it('answers a request whose route failed with a NATS service error that the endpoint raises', async () => {
    const subject = uniqueName('svc').replace(/-/g, '_');
    const connection = connect();
    const engine = await engineWith((e) => {
      e.addSource(
        natsSource({
          connection,
          subject,
          route: [
            () => {
              throw new Error('backend down');
            },
          ],
        }),
      );
      e.addEndpoint(natsEndpoint({ name: 'failing', connection, subject, request: true, timeoutMs: 2000 }));
      e.addRoute({ id: 'ask', steps: [call('failing')] });
    });
    const reply = await admin.client.request(subject, 'x', { timeout: 2000 });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('500');
    const exchange = await engine.dispatch('ask', createMessage({ text: 'x' }));
    expect(exchange.ok).toBe(false);
    if (!exchange.ok) {
      expect(exchange.error.code).toBe(natsErrors.REPLY_ERROR.code);
      expect(exchange.error.message).toContain('500');
    }
  });

  it('fails a request nobody listens to with a retryable no-responders error', async () => {
    const engine = await engineWith((e) => {
      e.addEndpoint(
        natsEndpoint({ name: 'nobody', connection: connect(), subject: uniqueName('void'), request: true }),
      );
      e.addRoute({ id: 'ask', steps: [call('nobody')] });
    });
    const exchange = await engine.dispatch('ask', createMessage({ text: 'anyone?' }));
    expect(exchange.ok).toBe(false);
    if (!exchange.ok) {
      expect(exchange.error.code).toBe(natsErrors.NO_RESPONDERS.code);
      expect(exchange.error.retryable).toBe(true);
    }
  });

  it('stops waiting for a reply as soon as the message is aborted', async () => {
    const subject = uniqueName('silent').replace(/-/g, '_');
    let asked = 0;
    // A responder that takes requests and never answers.
    const silent = admin.client.subscribe(subject, {
      callback: () => {
        asked++;
      },
    });
    await admin.client.flush();
    try {
      const engine = await engineWith((e) =>
        e.addEndpoint(
          natsEndpoint({ name: 'slow', connection: connect(), subject, request: true, timeoutMs: 20_000 }),
        ),
      );
      const controller = new AbortController();
      const started = performance.now();
      const pending = engine.dispatch(call('slow'), createMessage({ text: 'anyone?' }), {
        signal: controller.signal,
      });
      await eventually(() => expect(asked).toBe(1));
      controller.abort(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'slow', timeoutMs: 1 }));
      const exchange = await pending;
      expect(!exchange.ok && exchange.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
      // Not the 20 s request timeout: the abort ended the wait.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      silent.unsubscribe();
    }
  });

  it('shares the messages of a queue group between two engines, each message going to one of them', async () => {
    const subject = uniqueName('work').replace(/-/g, '_');
    const counts = [0, 0];
    const bodies: string[] = [];
    for (const index of [0, 1]) {
      await engineWith((engine) =>
        engine.addSource(
          natsSource({
            connection: connect(),
            subject,
            queueGroup: 'workers',
            route: [
              async (ctx: MessageContext) => {
                counts[index]!++;
                bodies.push(await ctx.message.text());
              },
            ],
          }),
        ),
      );
    }
    for (let i = 0; i < 200; i++) admin.client.publish(subject, `m${i}`);
    await admin.client.flush();
    await eventually(() => expect(bodies).toHaveLength(200));
    expect(new Set(bodies).size).toBe(200);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
  });

  it('publishes with headers and the content type through the endpoint', async () => {
    const subject = uniqueName('out').replace(/-/g, '_');
    const received: Array<{ body: string; type: string | undefined; id: string | undefined }> = [];
    const sub = admin.client.subscribe(subject, {
      callback: (_e, msg) => {
        received.push({
          body: msg.string(),
          type: msg.headers?.get('content-type'),
          id: msg.headers?.get('x-id'),
        });
      },
    });
    await admin.client.flush();
    const engine = await engineWith((e) => {
      e.addEndpoint(natsEndpoint({ name: 'out', connection: connect(), subject }));
      e.addRoute({ id: 'send', steps: [call('out')] });
    });
    const exchange = await engine.dispatch(
      'send',
      createMessage({ json: { a: 1 }, headers: { 'x-id': '7' } }),
    );
    expect(exchange.ok && exchange.message.status).toBe(202);
    await eventually(() =>
      expect(received).toEqual([{ body: '{"a":1}', type: 'application/json', id: '7' }]),
    );
    sub.unsubscribe();
  });

  it('refuses an endpoint subject with wildcards', () => {
    expect(() => natsEndpoint({ connection: connect(), subject: 'orders.>' })).toThrow(/wildcards/);
  });
});
