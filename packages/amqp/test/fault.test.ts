/**
 * Fault tests against the real broker: RabbitMQ is stopped and started (`rabbitmqctl stop_app` /
 * `start_app`) while an engine consumes and publishes, and one of two competing consumers is killed with
 * SIGKILL. Each test counts what was published and what was delivered: nothing may be lost; duplicates
 * are allowed only where at-least-once delivery allows them, and are counted and reported.
 *
 * The broker always runs again afterwards (`start_app` in `finally` and `afterAll`). The file takes the
 * broker exclusively (`takeService('amqp')`), and every other test file that uses RabbitMQ holds it shared
 * (`useSharedService('amqp')`), so none of them runs while it is down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  call,
  createEngine,
  createMessage,
  type Engine,
  type Logger,
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

/** Makes sure the broker runs (idempotent: `start_app` on a running node does nothing). */
async function brokerUp(): Promise<void> {
  await rabbitmqctl('start_app');
  await rabbitmqctl('await_startup', '--timeout', '30');
}

describe.skipIf(!controllable)('faults: broker restarts and killed consumers', () => {
  let unlock: Unlock | undefined;
  const queues: string[] = [];
  const engines: Engine[] = [];
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    unlock = await takeService('amqp', 150_000);
  }, 160_000);
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
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

  const declareQueue = async () => {
    const queue = uniqueName('fault');
    queues.push(queue);
    const admin = await openAdmin(amqp.url);
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.close();
    return queue;
  };

  it('loses nothing when RabbitMQ stops and starts while the engine consumes and publishes', async () => {
    const queue = await declareQueue();
    const lines: string[] = [];
    const events: string[] = [];
    const connection = amqpConnection({
      url: amqp.url,
      name: 'fault-restart',
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    const engine = createEngine({ name: 'restart', logger: recordingLogger(lines) });
    engines.push(engine);
    engine.bus.on('amqp:disconnected', () => events.push('disconnected'));
    engine.bus.on('amqp:reconnected', () => events.push('reconnected'));
    engine.addEndpoint(
      amqpEndpoint({ name: 'out', connection, exchange: '', routingKey: queue, publishTimeoutMs: 2000 }),
    );
    const deliveries = new Map<string, number>();
    engine.addSource(
      amqpSource({
        connection,
        queue,
        prefetch: 10,
        route: [
          async (ctx: MessageContext) => {
            await delay(2);
            const id = await ctx.message.text();
            deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
          },
        ],
      }),
    );
    await engine.start();

    const total = 300;
    const send = sequence([call('out')]);
    const deadline = Date.now() + 30_000;
    let retries = 0;
    const publish = async (id: string) => {
      for (;;) {
        const result = await engine.dispatch(send, createMessage({ text: id }));
        if (result.ok) return;
        if (!result.error.retryable || Date.now() > deadline) throw result.error;
        retries++;
        await delay(50);
      }
    };
    let restart: Promise<void> | undefined;
    try {
      for (let i = 0; i < total; i++) {
        await publish(`m-${i}`);
        // The restart runs while publishing goes on and while the consumer holds deliveries.
        if (i === 100)
          restart = rabbitmqctl('stop_app')
            .then(() => delay(500))
            .then(brokerUp);
        await delay(5);
      }
      await restart;
    } finally {
      await restart?.catch(() => undefined);
      await brokerUp();
    }

    await eventually(() => expect(deliveries.size).toBe(total), { timeoutMs: 20_000 });

    const delivered = [...deliveries.values()].reduce((sum, n) => sum + n, 0);
    const duplicates = delivered - total;
    console.info(
      `broker restart: ${total} published (${retries} publish retries), ${deliveries.size} distinct delivered, ` +
        `${duplicates} duplicate deliveries`,
    );
    expect(events).toContain('disconnected');
    expect(events).toContain('reconnected');
    expect(lines.some((line) => /^amqp connection lost, reconnecting in \d+ms$/.test(line))).toBe(true);
    expect(lines).toContain('amqp reconnected');
    // At-least-once: a redelivered in-flight window and re-sent interrupted publishes at most.
    expect(duplicates).toBeLessThanOrEqual(10 + retries);
    await engine.stop();
    await eventually(async () => expect(await heldMessages(queue)).toBe(0));
  });

  it('shares a queue between two engines and loses nothing when one is killed with SIGKILL', async () => {
    const queue = await declareQueue();
    const total = 600;
    const fixture = fileURLToPath(new URL('./fixtures/competing-consumer.ts', import.meta.url));
    child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@mediary/source', fixture, amqp.url, queue],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child?.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    const byChild: string[] = [];
    let childReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      childReady = resolve;
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') childReady();
      else byChild.push(line);
    });
    await Promise.race([ready, exited]);
    expect(exitCode, 'the child consumer exited before it was ready').toBeUndefined();

    const byParent: string[] = [];
    const engine = createEngine({ name: 'parent-consumer', logger: silentLogger });
    engines.push(engine);
    engine.addSource(
      amqpSource({
        connection: amqpConnection({ url: amqp.url, name: 'parent-consumer' }),
        queue,
        prefetch: 5,
        declare: false,
        route: [
          async (ctx: MessageContext) => {
            await delay(50);
            byParent.push(await ctx.message.text());
          },
        ],
      }),
    );
    await engine.start();

    const admin = await openAdmin(amqp.url);
    // Published while both consume; the kill lands mid-stream, with deliveries in flight on the child.
    const publishing = (async () => {
      for (let i = 0; i < total; i++) await admin.publish(queue, `m-${i}`);
    })();
    try {
      await eventually(() => {
        expect(byChild.length).toBeGreaterThanOrEqual(50);
        expect(byParent.length).toBeGreaterThanOrEqual(50);
      });
      child.kill('SIGKILL');
      await exited;
      await publishing;
    } finally {
      await publishing.catch(() => undefined);
      await admin.close();
    }
    const childAtKill = byChild.length;

    await eventually(() => expect(new Set([...byChild, ...byParent]).size).toBe(total), {
      timeoutMs: 20_000,
    });
    await eventually(async () => expect(await heldMessages(queue)).toBe(0));
    const duplicates = byChild.length + byParent.length - total;
    console.info(
      `competing consumers: ${total} published, child processed ${childAtKill} before SIGKILL, ` +
        `parent ${byParent.length}, ${duplicates} duplicate deliveries`,
    );
    // Only the killed consumer's unacknowledged window (prefetch 5) can be processed twice.
    expect(duplicates).toBeLessThanOrEqual(5);
    expect(duplicates).toBeGreaterThanOrEqual(0);
  });
});
