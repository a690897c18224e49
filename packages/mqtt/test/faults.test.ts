/**
 * Fault tests: the connection between Mediary and Mosquitto is cut (a TCP proxy in between drops every
 * socket) or refused for a while, as a network failure or a broker restart would do, while QoS 1 messages
 * are consumed and forwarded. With persistent sessions every message must arrive; duplicates are allowed
 * (at-least-once), losses are not.
 */
import {
  call,
  coreErrors,
  createEngine,
  createMessage,
  type Engine,
  type MessageContext,
  silentLogger,
} from '@mediary/core';
import { eventually, pause, serviceGate, uniqueName } from '@mediary/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type MqttConnection, mqttConnection, mqttEndpoint, mqttSource } from '../src/index.js';
import { collect, type MqttProxy, plainClient, removeSessions, startProxy } from './support.js';

const mqtt = await serviceGate('mqtt');

describe.skipIf(!mqtt.available)('MQTT faults', () => {
  let proxy: MqttProxy | undefined;
  const engines: Engine[] = [];
  const connections: MqttConnection[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop({ timeoutMs: 1000 });
    for (const connection of connections.splice(0)) await connection.close();
    await removeSessions(
      mqtt.url,
      connections.map((c) => c.clientId),
    );
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await proxy?.close();
    proxy = undefined;
  });

  const engineThroughProxy = async (setup: (engine: Engine, connection: MqttConnection) => void) => {
    proxy = await startProxy(mqtt.url);
    const connection = mqttConnection({
      url: proxy.url,
      clientId: uniqueName('fault'),
      clean: false,
      reconnectPeriodMs: 50,
      maxReconnectPeriodMs: 400,
    });
    connections.push(connection);
    cleanups.push(() => removeSessions(mqtt.url, [connection.clientId]));
    const engine = createEngine({ logger: silentLogger });
    engines.push(engine);
    const events: string[] = [];
    engine.bus.on('mqtt:disconnected', () => events.push('disconnected'));
    engine.bus.on('mqtt:reconnected', ({ sessionPresent }) => events.push(`reconnected:${sessionPresent}`));
    engine.bus.on('source:error', ({ error }) => events.push(error.code));
    setup(engine, connection);
    await engine.start();
    return { engine, events };
  };

  const publishAll = async (topic: string, total: number) => {
    const client = await plainClient(mqtt.url);
    for (let i = 0; i < total; i++) await client.publishAsync(topic, `m${i}`, { qos: 1 });
    await client.endAsync();
  };

  it('consumes every QoS 1 message although the connection is cut twice meanwhile', async () => {
    const topic = uniqueName('cut');
    const seen = new Set<string>();
    let runs = 0;
    const { events } = await engineThroughProxy((engine, connection) =>
      engine.addSource(
        mqttSource({
          connection,
          topic,
          qos: 1,
          route: [
            async (ctx: MessageContext) => {
              runs++;
              seen.add(await ctx.message.text());
              await pause(5);
            },
          ],
        }),
      ),
    );
    const total = 200;
    // Queued in the persistent session while the consumer works through them one at a time.
    await publishAll(topic, total);
    await eventually(() => expect(seen.size).toBeGreaterThan(30), { timeoutMs: 10_000 });
    expect(seen.size).toBeLessThan(total);
    proxy!.cut();
    await eventually(() => expect(events).toContain('reconnected:true'), { timeoutMs: 10_000 });
    await eventually(() => expect(seen.size).toBeGreaterThan(100), { timeoutMs: 20_000 });
    expect(seen.size).toBeLessThan(total);
    proxy!.cut();
    await eventually(() => expect(seen.size).toBe(total), { timeoutMs: 30_000 });
    expect(events).toContain('disconnected');
    expect(events).toContain('MEDIARY_MQTT_CONNECTION_LOST');
    expect(runs).toBeGreaterThanOrEqual(total);
  }, 90_000);

  it('forwards every message to another topic while the broker is unreachable for a while', async () => {
    const topic = uniqueName('fwd');
    const out = await collect(mqtt.url, `${topic}/out`);
    cleanups.push(() => out.close());
    const { events } = await engineThroughProxy((engine, connection) => {
      engine.addEndpoint(
        mqttEndpoint({ name: 'out', connection, topic: `${topic}/out`, qos: 1, publishTimeoutMs: 2000 }),
      );
      engine.addSource(mqttSource({ connection, topic, qos: 1, route: [call('out')] }));
    });
    const total = 150;
    await publishAll(topic, total);
    await eventually(() => expect(out.messages.length).toBeGreaterThan(20), { timeoutMs: 10_000 });
    expect(new Set(out.messages.map((m) => m.body)).size).toBeLessThan(total);
    // The broker is "down": connections are refused for a second at least, and until several attempts
    // to reconnect were refused and reported (back-off goes on trying), then it is back.
    proxy!.refuse();
    await pause(1000);
    await eventually(
      () => expect(events.filter((e) => e === 'MEDIARY_MQTT_CONNECT_FAILED').length).toBeGreaterThan(1),
      { timeoutMs: 10_000 },
    );
    // One loss per client (the consuming and the publishing one); every refused attempt after it is a
    // failed connect, not the loss reported again.
    expect(events.filter((e) => e === 'MEDIARY_MQTT_CONNECTION_LOST').length).toBeLessThanOrEqual(2);
    proxy!.heal();
    await eventually(() => expect(new Set(out.messages.map((m) => m.body)).size).toBe(total), {
      timeoutMs: 30_000,
    });
    expect(events).toContain('disconnected');
    expect(events.some((e) => e.startsWith('reconnected'))).toBe(true);
  }, 90_000);

  it('ends a publish still waiting for its acknowledgement as soon as the message is aborted', async () => {
    const topic = uniqueName('held');
    const out = await collect(mqtt.url, topic);
    cleanups.push(out.close);
    const { engine } = await engineThroughProxy((e, connection) =>
      e.addEndpoint(mqttEndpoint({ name: 'out', connection, topic, qos: 1, publishTimeoutMs: 20_000 })),
    );
    // Connected first, so that only the PUBACK is held back.
    const warmUp = await engine.dispatch(call('out'), createMessage({ text: 'first' }));
    expect(warmUp.ok).toBe(true);
    proxy!.stall();
    const controller = new AbortController();
    const started = performance.now();
    const pending = engine.dispatch(call('out'), createMessage({ text: 'held' }), {
      signal: controller.signal,
    });
    // The broker has the message; its acknowledgement is what the publish waits for.
    await eventually(() => expect(out.messages.map((m) => m.body)).toContain('held'));
    controller.abort(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'out', timeoutMs: 1 }));
    const exchange = await pending;
    expect(!exchange.ok && exchange.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
    // Not the 20 s publish timeout: the abort ended the wait.
    expect(performance.now() - started).toBeLessThan(10_000);
    proxy!.resume();
  });
});
