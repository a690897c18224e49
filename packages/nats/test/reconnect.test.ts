import { createEngine, silentLogger } from '@mediary/core';
import { createFakeClock, eventually, pause, serviceGate, uniqueName } from '@mediary/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type NatsConnection, natsConnection, natsErrors } from '../src/index.js';
import { type CuttableProxy, startProxy } from './support.js';

const nats = await serviceGate('nats');

describe.skipIf(!nats.available)('NATS connection back-off', () => {
  let proxy: CuttableProxy | undefined;
  let connection: NatsConnection | undefined;

  afterEach(async () => {
    await connection?.close();
    await proxy?.close();
  });

  it('keeps trying a server it could not reach at first, on the engine clock, and reports each failure', async () => {
    proxy = await startProxy(nats.url);
    proxy.refuse();
    const clock = createFakeClock();
    const engine = createEngine({ clock, logger: silentLogger });
    const failures: string[] = [];
    const returns: number[] = [];
    engine.bus.on('source:error', ({ error }) => failures.push(error.code));
    engine.bus.on('nats:reconnected', ({ downtimeMs }) => returns.push(downtimeMs));
    connection = natsConnection({
      servers: proxy.url,
      name: uniqueName('backoff'),
      reconnectTimeWaitMs: 100,
      maxReconnectTimeWaitMs: 400,
      connectTimeoutMs: 500,
    });
    connection.attach(engine);
    connection.acquire();
    await eventually(() => expect(failures).toEqual([natsErrors.CONNECT_FAILED.code]));
    await pause(300);
    expect(failures).toHaveLength(1);
    await clock.tick(100);
    await eventually(() => expect(failures).toHaveLength(2));
    proxy.heal();
    await clock.tick(200);
    await eventually(() => expect(connection?.state).toBe('open'));
    expect(returns).toEqual([300]);
  });
});
