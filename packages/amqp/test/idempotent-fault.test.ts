/**
 * Exactly-once side effects over at-least-once delivery: RabbitMQ is stopped and started (`rabbitmqctl
 * stop_app` / `start_app`) while deliveries are in flight, so the broker redelivers the ones whose
 * acknowledgement never reached it, and the route guards its side effect with core's `idempotent` consumer
 * (`mode: 'on-completion'`, keyed by the AMQP `message-id`). Every published message must be processed,
 * and the side effect must have run exactly once per message although some were delivered twice.
 *
 * Like `fault.test.ts`, the file takes the broker exclusively (`takeService('amqp')`) and always starts it
 * again (`start_app` in `finally` and `afterAll`).
 */
import {
  call,
  createEngine,
  createMemoryIdempotentRepository,
  createMessage,
  type Engine,
  idempotent,
  type MessageContext,
  sequence,
  silentLogger,
} from '@mediary/core';
import { eventually, serviceGate, uniqueName } from '@mediary/testing';
import { takeService, type Unlock } from '@mediary/testing/conformance';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amqpConnection, amqpEndpoint, amqpSource } from '../src/index.js';
import { heldMessages, openAdmin, rabbitmqctl, rabbitmqctlAvailable } from './support.js';

const amqp = await serviceGate('amqp');
const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(amqp.url).hostname);
const controllable = amqp.available && local && (await rabbitmqctlAvailable());
if (amqp.available && !controllable) {
  const message = `the amqp fault tests need rabbitmqctl for a local broker (${new URL(amqp.url).host})`;
  if (process.env.MEDIARY_REQUIRE_SERVICES === '1') throw new Error(`required service missing: ${message}`);
  console.warn(`SKIPPED: ${message}`);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes sure the broker runs (idempotent: `start_app` on a running node does nothing). */
async function brokerUp(): Promise<void> {
  await rabbitmqctl('start_app');
  await rabbitmqctl('await_startup', '--timeout', '30');
}

describe.skipIf(!controllable)('faults: idempotent consumer over broker redeliveries', () => {
  let unlock: Unlock | undefined;
  const queues: string[] = [];
  const engines: Engine[] = [];

  beforeAll(async () => {
    unlock = await takeService('amqp', 150_000);
  }, 160_000);
  afterEach(async () => {
    await brokerUp();
    await Promise.allSettled(engines.splice(0).map((e) => e.stop({ timeoutMs: 1000 })));
    const admin = await openAdmin(amqp.url);
    await admin.deleteQueues(...queues.splice(0));
    await admin.close();
  });
  afterAll(async () => {
    try {
      await brokerUp();
    } finally {
      unlock?.();
    }
  });

  it('runs the side effect exactly once per message when RabbitMQ restarts with deliveries in flight', async () => {
    const queue = uniqueName('idem-fault');
    queues.push(queue);
    const admin = await openAdmin(amqp.url);
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.close();

    const connection = amqpConnection({
      url: amqp.url,
      name: 'idempotent-fault',
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    const engine = createEngine({ name: 'idempotent-fault', logger: silentLogger });
    engines.push(engine);
    engine.addEndpoint(
      amqpEndpoint({ name: 'out', connection, exchange: '', routingKey: queue, publishTimeoutMs: 2000 }),
    );

    /** Every delivery the route saw, in order, before the idempotent consumer. */
    const deliveries: string[] = [];
    /** Deliveries the broker flagged as redelivered. */
    let redelivered = 0;
    /** The guarded side effect: one entry per run. */
    const effects: string[] = [];
    // While the broker goes down, deliveries wait here, so some are surely in flight — processed but not
    // yet acknowledged — when their channel dies; the broker then delivers them again after the restart.
    let hold: Promise<void> | undefined;
    const source = amqpSource({
      connection,
      queue,
      prefetch: 10,
      declare: false,
      route: [
        async (ctx: MessageContext) => {
          deliveries.push(ctx.message.headers.get('message-id') ?? '');
          if (ctx.transport.props.redelivered === true) redelivered++;
        },
        idempotent({
          key: (ctx) => ctx.message.headers.get('message-id') ?? '',
          repository: createMemoryIdempotentRepository({ clock: engine.clock }),
          mode: 'on-completion',
          steps: [
            async (ctx: MessageContext) => {
              await hold;
              await delay(2);
              effects.push(await ctx.message.text());
            },
          ],
        }),
      ],
    });
    engine.addSource(source);
    await engine.start();

    const total = 300;
    const send = sequence([call('out')]);
    const deadline = Date.now() + 25_000;
    let retries = 0;
    const publish = async (id: string) => {
      for (;;) {
        const message = createMessage({ text: id, headers: { 'message-id': id } });
        const result = await engine.dispatch(send, message);
        if (result.ok) return;
        if (!result.error.retryable || Date.now() > deadline) throw result.error;
        retries++;
        await delay(50);
      }
    };
    const restart = async () => {
      let release: () => void = () => undefined;
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      try {
        await eventually(() => expect(source.inFlight).toBeGreaterThanOrEqual(3), { timeoutMs: 10_000 });
        await rabbitmqctl('stop_app');
      } finally {
        // The held deliveries now finish their side effect on a dead channel: acknowledging them fails.
        hold = undefined;
        release();
      }
      await delay(300);
      await brokerUp();
    };

    let restarting: Promise<void> | undefined;
    try {
      for (let i = 0; i < total; i++) {
        await publish(`m-${i}`);
        if (i === 100) restarting = restart();
        await delay(3);
      }
      await restarting;
    } finally {
      await restarting?.catch(() => undefined);
      await brokerUp();
    }

    await eventually(() => expect(new Set(effects).size).toBe(total), { timeoutMs: 20_000 });
    await eventually(async () => expect(await heldMessages(queue)).toBe(0), { timeoutMs: 10_000 });

    const stats = source.stats;
    const extra = deliveries.length - new Set(deliveries).size;
    console.info(
      `idempotent over a broker restart: ${total} published (${retries} publish retries), ` +
        `${deliveries.length} deliveries (${extra} repeated, ${redelivered} flagged redelivered, ` +
        `${stats.unsettled} unsettled at the restart), ${effects.length} side effects`,
    );
    // The broker did deliver some messages again: the acknowledgements of the held ones were lost.
    expect(stats.unsettled).toBeGreaterThanOrEqual(1);
    expect(extra).toBeGreaterThanOrEqual(1);
    expect(redelivered).toBeGreaterThanOrEqual(1);
    // …and still every message's side effect ran, exactly once.
    expect(new Set(effects)).toEqual(new Set(Array.from({ length: total }, (_, i) => `m-${i}`)));
    expect(effects).toHaveLength(total);
    await engine.stop();
  }, 60_000);
});
