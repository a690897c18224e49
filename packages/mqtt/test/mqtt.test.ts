import {
  call,
  createEngine,
  createMessage,
  type Engine,
  type MessageContext,
  respond,
  silentLogger,
} from '@mediary/core';
import { eventually, pause, serviceGate, uniqueName } from '@mediary/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MqttConnection,
  type MqttConnectionOptions,
  mqttConnection,
  mqttEndpoint,
  mqttErrors,
  mqttSource,
} from '../src/index.js';
import { collect, plainClient, removeSessions } from './support.js';

const mqtt = await serviceGate('mqtt');

describe.skipIf(!mqtt.available)('MQTT source and endpoint', () => {
  const engines: Engine[] = [];
  const connections: MqttConnection[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop({ timeoutMs: 1000 });
    for (const connection of connections.splice(0)) await connection.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const connect = (options: Partial<MqttConnectionOptions> = {}) => {
    const connection = mqttConnection({
      url: mqtt.url,
      clientId: uniqueName('mq'),
      reconnectPeriodMs: 50,
      ...options,
    });
    connections.push(connection);
    if (options.clean === false) cleanups.push(() => removeSessions(mqtt.url, [connection.clientId]));
    return connection;
  };
  const engineWith = async (setup: (engine: Engine) => void) => {
    const engine = createEngine({ logger: silentLogger });
    engines.push(engine);
    setup(engine);
    await engine.start();
    return engine;
  };
  const publish = async (
    topic: string,
    body: string,
    options: Parameters<Awaited<ReturnType<typeof plainClient>>['publishAsync']>[2] = { qos: 1 },
  ) => {
    const client = await plainClient(mqtt.url);
    await client.publishAsync(topic, body, options);
    await client.endAsync();
  };

  it('receives the messages of a wildcard filter with their topic, QoS and retain flag', async () => {
    const base = uniqueName('sensors');
    const seen: Array<{ topic: unknown; qos: unknown; body: string }> = [];
    await engineWith((e) =>
      e.addSource(
        mqttSource({
          connection: connect(),
          topic: `${base}/+/temperature`,
          qos: 1,
          route: [
            async (ctx: MessageContext) => {
              seen.push({
                topic: ctx.transport.props.topic,
                qos: ctx.transport.props.qos,
                body: await ctx.message.text(),
              });
            },
          ],
        }),
      ),
    );
    await publish(`${base}/kitchen/temperature`, '21.5');
    await publish(`${base}/kitchen/humidity`, '40');
    await publish(`${base}/hall/temperature`, '19', { qos: 0 });
    await eventually(() => expect(seen).toHaveLength(2));
    expect(seen).toContainEqual({ topic: `${base}/kitchen/temperature`, qos: 1, body: '21.5' });
    expect(seen).toContainEqual({ topic: `${base}/hall/temperature`, qos: 0, body: '19' });
  });

  it('keeps a retained message for a subscriber that comes later', async () => {
    const topic = uniqueName('status');
    cleanups.push(() => publish(topic, '', { qos: 1, retain: true }));
    const publisher = await engineWith((e) => {
      e.addEndpoint(mqttEndpoint({ name: 'status', connection: connect(), topic, qos: 1, retain: true }));
      e.addRoute({ id: 'status', steps: [call('status')] });
    });
    const sent = await publisher.dispatch('status', createMessage({ text: 'online' }));
    expect(sent.ok && sent.message.status).toBe(202);
    const seen: Array<{ body: string; retain: unknown }> = [];
    await engineWith((e) =>
      e.addSource(
        mqttSource({
          connection: connect(),
          topic,
          route: [
            async (ctx: MessageContext) => {
              seen.push({ body: await ctx.message.text(), retain: ctx.transport.props.retain });
            },
          ],
        }),
      ),
    );
    await eventually(() => expect(seen).toEqual([{ body: 'online', retain: true }]));
  });

  it('gets the messages published while it was offline after it reconnects to its persistent session', async () => {
    const topic = uniqueName('offline');
    const clientId = uniqueName('persistent');
    const bodies: string[] = [];
    const route = [
      async (ctx: MessageContext) => {
        bodies.push(await ctx.message.text());
      },
    ];
    const first = await engineWith((e) =>
      e.addSource(mqttSource({ connection: connect({ clientId, clean: false }), topic, qos: 1, route })),
    );
    await first.stop();
    for (const body of ['a', 'b', 'c']) await publish(topic, body);
    expect(bodies).toEqual([]);
    await engineWith((e) =>
      e.addSource(mqttSource({ connection: connect({ clientId, clean: false }), topic, qos: 1, route })),
    );
    await eventually(() => expect(bodies).toEqual(['a', 'b', 'c']));
  });

  it('loses what was published while away with a clean session', async () => {
    const topic = uniqueName('clean');
    const clientId = uniqueName('clean');
    const bodies: string[] = [];
    const route = [
      async (ctx: MessageContext) => {
        bodies.push(await ctx.message.text());
      },
    ];
    const first = await engineWith((e) =>
      e.addSource(mqttSource({ connection: connect({ clientId }), topic, route })),
    );
    await first.stop();
    await publish(topic, 'while away');
    await engineWith((e) => e.addSource(mqttSource({ connection: connect({ clientId }), topic, route })));
    await publish(topic, 'after');
    await eventually(() => expect(bodies).toEqual(['after']));
  });

  it('maps headers, content type, correlation data and response topic through MQTT 5 properties', async () => {
    const topic = uniqueName('props');
    const seen: Array<Record<string, string>> = [];
    const connection = connect();
    const engine = await engineWith((e) => {
      e.addSource(
        mqttSource({
          connection,
          topic,
          route: [
            (ctx: MessageContext) => {
              seen.push(ctx.message.headers.toObject());
            },
          ],
        }),
      );
      e.addEndpoint(mqttEndpoint({ name: 'out', connection: connect(), topic }));
      e.addRoute({ id: 'send', steps: [call('out')] });
    });
    await engine.dispatch(
      'send',
      createMessage({
        json: { a: 1 },
        headers: {
          'x-tenant': 'acme',
          'correlation-id': 'c-42',
          'reply-to': 'answers/1',
          host: 'not-copied',
        },
      }),
    );
    await eventually(() =>
      expect(seen).toEqual([
        {
          'x-tenant': 'acme',
          'correlation-id': 'c-42',
          'reply-to': 'answers/1',
          'content-type': 'application/json',
        },
      ]),
    );
  });

  it('publishes the reply of a responding route to the response topic with the correlation data', async () => {
    const topic = uniqueName('requests');
    const replies = await collect(mqtt.url, `${topic}/replies`);
    cleanups.push(() => replies.close());
    await engineWith((e) =>
      e.addSource(
        mqttSource({
          connection: connect(),
          topic,
          route: [
            async (ctx: MessageContext) => {
              ctx.message.setJson({ echo: await ctx.message.text() });
            },
            respond(),
          ],
        }),
      ),
    );
    const requester = await plainClient(mqtt.url);
    const correlations: string[] = [];
    requester.on('message', (_t, _p, packet) =>
      correlations.push(packet.properties?.correlationData?.toString() ?? ''),
    );
    await requester.subscribeAsync(`${topic}/replies`, { qos: 1 });
    await requester.publishAsync(topic, 'ping', {
      qos: 1,
      properties: { responseTopic: `${topic}/replies`, correlationData: Buffer.from('req-1') },
    });
    await eventually(() => expect(replies.messages.map((m) => m.body)).toEqual(['{"echo":"ping"}']));
    await eventually(() => expect(correlations).toEqual(['req-1']));
    await requester.endAsync();
  });

  it('forwards from one topic to another over the same connection without waiting on itself', async () => {
    const topic = uniqueName('in');
    const out = await collect(mqtt.url, `${topic}/out`);
    cleanups.push(() => out.close());
    const connection = connect({ clean: false });
    await engineWith((e) => {
      e.addEndpoint(
        mqttEndpoint({ name: 'forward', connection, topic: `${topic}/out`, qos: 1, publishTimeoutMs: 2000 }),
      );
      e.addSource(mqttSource({ connection, topic, qos: 1, route: [call('forward')] }));
    });
    for (let i = 0; i < 5; i++) await publish(topic, `m${i}`);
    await eventually(() => expect(out.messages.map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']));
  });

  it('shares a topic between two engines through a shared subscription', async () => {
    const topic = uniqueName('jobs');
    const byEngine = [0, 0];
    const bodies: string[] = [];
    for (const index of [0, 1]) {
      await engineWith((e) =>
        e.addSource(
          mqttSource({
            connection: connect({ clean: false }),
            topic: `$share/workers/${topic}`,
            qos: 1,
            route: [
              async (ctx: MessageContext) => {
                byEngine[index]!++;
                bodies.push(await ctx.message.text());
              },
            ],
          }),
        ),
      );
    }
    const client = await plainClient(mqtt.url);
    for (let i = 0; i < 100; i++) await client.publishAsync(topic, `m${i}`, { qos: 1 });
    await client.endAsync();
    await eventually(() => expect(bodies).toHaveLength(100));
    expect(new Set(bodies).size).toBe(100);
    expect(byEngine[0]).toBeGreaterThan(0);
    expect(byEngine[1]).toBeGreaterThan(0);
  });

  it('drops a failing QoS 0 message and reports it, as QoS 0 cannot be redelivered', async () => {
    const topic = uniqueName('qos0');
    const errors: string[] = [];
    let runs = 0;
    const engine = await engineWith((e) =>
      e.addSource(
        mqttSource({
          connection: connect(),
          topic,
          qos: 0,
          route: [
            () => {
              runs++;
              throw new Error('no');
            },
          ],
        }),
      ),
    );
    engine.bus.on('source:error', ({ error }) => errors.push(error.code));
    await publish(topic, 'x', { qos: 0 });
    await eventually(() => expect(errors).toEqual([mqttErrors.MESSAGE_DROPPED.code]));
    await pause(200);
    expect(runs).toBe(1);
  });

  it('dead-letters a poison message after maxDeliveries redeliveries over reconnects', async () => {
    const topic = uniqueName('poison');
    const dead = await collect(mqtt.url, `${topic}/dead`);
    cleanups.push(() => dead.close());
    const deliveries: unknown[] = [];
    const errors: string[] = [];
    const engine = await engineWith((e) =>
      e.addSource(
        mqttSource({
          connection: connect({ clean: false }),
          topic,
          qos: 1,
          maxDeliveries: 3,
          deadLetterTopic: `${topic}/dead`,
          route: [
            (ctx: MessageContext) => {
              deliveries.push(ctx.transport.props.deliveries);
              throw new Error('always');
            },
          ],
        }),
      ),
    );
    engine.bus.on('source:error', ({ error }) => errors.push(error.code));
    await publish(topic, 'poison');
    await eventually(() => expect(dead.messages.map((m) => m.body)).toEqual(['poison']));
    expect(deliveries).toEqual([1, 2, 3]);
    expect(errors).toContain(mqttErrors.POISON_MESSAGE.code);
  });

  it('acknowledges a message of a subscription no source owns after a while, reporting it, and goes on', async () => {
    const stale = uniqueName('stale');
    const live = uniqueName('live');
    const clientId = uniqueName('orphans');
    // A persistent session that subscribed to a topic in an earlier life, and a message waiting there.
    const earlier = await plainClient(mqtt.url, {
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    await earlier.subscribeAsync(stale, { qos: 1 });
    await earlier.endAsync();
    await publish(stale, 'nobody wants me');
    const errors: string[] = [];
    const bodies: string[] = [];
    const engine = createEngine({ logger: silentLogger });
    engines.push(engine);
    engine.bus.on('source:error', ({ error }) => errors.push(error.code));
    engine.addSource(
      mqttSource({
        connection: connect({ clientId, clean: false, unroutedTimeoutMs: 200 }),
        topic: live,
        route: [
          async (ctx: MessageContext) => {
            bodies.push(await ctx.message.text());
          },
        ],
      }),
    );
    const starting = engine.start();
    await eventually(() => expect(errors).toEqual([mqttErrors.UNROUTED.code]));
    await starting;
    await publish(live, 'for the live source');
    await eventually(() => expect(bodies).toEqual(['for the live source']));
  });

  it('refuses options that cannot work', () => {
    const clean = connect();
    expect(() => mqttSource({ connection: clean, topic: 'a', route: [], onFailure: 'redeliver' })).toThrow(
      /persistent session/,
    );
    expect(() => mqttSource({ connection: clean, topic: 'a/#/b', route: [] })).toThrow(
      /# must be a whole level/,
    );
    expect(() => mqttSource({ connection: clean, topic: 'a', route: [], onFailure: 'dead-letter' })).toThrow(
      /deadLetterTopic/,
    );
    expect(() => mqttEndpoint({ connection: clean, topic: 'a/+' })).toThrow(/wildcards/);
  });
});
