import { createEngine, silentLogger } from '@mediary/core';
import { createFakeClock, eventually, pause, serviceGate, uniqueName } from '@mediary/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type MqttConnection, mqttConnection } from '../src/index.js';
import { type MqttProxy, startProxy } from './support.js';

const mqtt = await serviceGate('mqtt');

describe.skipIf(!mqtt.available)('MQTT reconnect back-off', () => {
  let proxy: MqttProxy | undefined;
  let connection: MqttConnection | undefined;

  afterEach(async () => {
    await connection?.close();
    await proxy?.close();
  });

  it('retries an unreachable broker with doubling delays on the engine clock, then reports the return', async () => {
    proxy = await startProxy(mqtt.url);
    proxy.refuse();
    const clock = createFakeClock();
    const engine = createEngine({ clock, logger: silentLogger });
    const delays: number[] = [];
    const returns: number[] = [];
    engine.bus.on('mqtt:disconnected', ({ reconnectInMs }) => delays.push(reconnectInMs));
    engine.bus.on('mqtt:reconnected', ({ attempts }) => returns.push(attempts));
    connection = mqttConnection({
      url: proxy.url,
      clientId: uniqueName('backoff'),
      reconnectPeriodMs: 100,
      maxReconnectPeriodMs: 400,
    });
    connection.attach(engine);
    connection.register({ filter: uniqueName('t'), qos: 1, deliver: (d) => d.settle() });
    connection.acquire();
    await eventually(() => expect(delays).toEqual([100]));
    // Nothing happens until the engine's clock says so.
    await pause(300);
    expect(delays).toEqual([100]);
    await clock.tick(100);
    await eventually(() => expect(delays).toEqual([100, 200]));
    await clock.tick(200);
    await eventually(() => expect(delays).toEqual([100, 200, 400]));
    await clock.tick(400);
    await eventually(() => expect(delays).toEqual([100, 200, 400, 400]));
    proxy.heal();
    await clock.tick(400);
    await eventually(() => expect(connection?.state).toBe('open'));
    expect(returns).toEqual([4]);
  });
});
