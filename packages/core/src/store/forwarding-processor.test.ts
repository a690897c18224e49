import { createHarness, type Harness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { coreErrors, defineErrors, type MediaryError } from '../errors.js';
import { type ForwardingProcessorOptions, forwardingProcessor } from './forwarding-processor.js';
import { createMemoryStore, type MemoryMessageStore } from './memory-store.js';
import type { MessageProcessor } from './processor.js';
import { registerStore } from './registry.js';
import { store } from './store-mediator.js';

interface Setup {
  readonly h: Harness;
  readonly orders: MemoryMessageStore;
  readonly dlq: MemoryMessageStore;
  readonly processor: MessageProcessor;
  readonly errors: MediaryError[];
}

/** Three orders stored through the store mediator before the engine (and the processor) starts. */
async function setup(options: Partial<ForwardingProcessorOptions> = {}): Promise<Setup> {
  let orders!: MemoryMessageStore;
  let dlq!: MemoryMessageStore;
  let processor!: MessageProcessor;
  const h = await createHarness((engine) => {
    orders = createMemoryStore('orders', { clock: engine.clock });
    dlq = createMemoryStore('orders-dlq', { clock: engine.clock });
    registerStore(engine, orders);
    registerStore(engine, dlq);
    processor = forwardingProcessor({
      store: 'orders',
      endpoint: 'backend',
      intervalMs: 1000,
      maxAttempts: 3,
      ...options,
    });
    engine.addSource(processor);
  });
  const errors: MediaryError[] = [];
  h.engine.bus.on('source:error', (e) => errors.push(e.error));
  for (const n of [1, 2, 3])
    await h.send([store('orders')], { json: { n }, headers: { 'x-order': String(n) } });
  return { h, orders, dlq, processor, errors };
}

const bodies = (h: Harness) => h.mock('backend').calls.map((c) => (c.body as { n: number }).n);
const unavailable = () => coreErrors.ENDPOINT_FAILED({ endpoint: 'backend', reason: 'connection refused' });

describe('forwardingProcessor', () => {
  it('delivers every message exactly once and in order when the backend fails twice then succeeds', async () => {
    const { h, orders, processor } = await setup({ maxAttempts: 5 });
    await using _ = h;
    h.mock('backend').replyOnce({ status: 503 }).failOnce(unavailable()).reply({ status: 200 });
    await h.engine.start();
    await h.clock.tick(0);
    expect(bodies(h)).toEqual([1]);
    await h.clock.tick(1000);
    expect(bodies(h)).toEqual([1, 1]);
    await h.clock.tick(1000);
    expect(bodies(h)).toEqual([1, 1, 1, 2, 3]);
    expect(await orders.size()).toBe(0);
    expect(processor.stats).toMatchObject({ delivered: 3, failedAttempts: 2, deadLettered: 0 });
    await h.clock.tick(10_000);
    expect(bodies(h)).toEqual([1, 1, 1, 2, 3]);
  });

  it('moves each message to the dead letter store after maxAttempts against a backend that always fails', async () => {
    const { h, orders, dlq, processor } = await setup({ deadLetterStore: 'orders-dlq' });
    await using _ = h;
    h.mock('backend').reply({ status: 500 });
    await h.engine.start();
    await h.clock.tick(0);
    await h.clock.tick(10_000);
    expect(bodies(h)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(await orders.size()).toBe(0);
    const dead = await dlq.browse();
    expect(dead.map((m) => JSON.parse(Buffer.from(m.body).toString()))).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
    expect(dead[0]).toMatchObject({
      attempts: 3,
      headers: { 'x-order': '1' },
      lastError: { code: 'MEDIARY_FORWARD_REJECTED' },
    });
    expect(processor.stats.deadLettered).toBe(3);
  });

  it('does not retry a 4xx reply: the message goes straight to the dead letter store', async () => {
    const { h, dlq } = await setup({ deadLetterStore: 'orders-dlq', maxAttempts: 5 });
    await using _ = h;
    h.mock('backend').replyOnce({ status: 400 }).reply({ status: 202 });
    await h.engine.start();
    await h.clock.tick(0);
    expect(bodies(h)).toEqual([1, 2, 3]);
    expect((await dlq.browse()).map((m) => m.attempts)).toEqual([1]);
  });

  it('does not retry a 4xx that an endpoint reports as an error carrying the status', async () => {
    const { h, dlq } = await setup({ deadLetterStore: 'orders-dlq', maxAttempts: 5 });
    await using _ = h;
    const rejected = defineErrors({
      STATUS: { code: 'MEDIARY_TEST_BACKEND_STATUS', message: 'answered {status}', status: 404 },
    }).STATUS({ status: 404 });
    h.mock('backend').failOnce(rejected).reply({ status: 202 });
    await h.engine.start();
    await h.clock.tick(0);
    expect(bodies(h)).toEqual([1, 2, 3]);
    expect((await dlq.browse()).map((m) => m.attempts)).toEqual([1]);
  });

  it('deactivates after maxAttempts without a dead letter store and resumes in order when activated', async () => {
    const { h, orders, processor, errors } = await setup();
    await using _ = h;
    h.mock('backend').reply({ status: 503 });
    await h.engine.start();
    await h.clock.tick(0);
    await h.clock.tick(5000);
    expect(bodies(h)).toEqual([1, 1, 1]);
    expect(processor.state).toBe('deactivated');
    expect(errors.map((e) => e.code)).toEqual(['MEDIARY_PROCESSOR_DEACTIVATED']);
    expect(await orders.size()).toBe(3);
    h.mock('backend').reset().reply({ status: 200 });
    await processor.activate();
    await h.clock.tick(0);
    expect(bodies(h)).toEqual([1, 2, 3]);
    expect(processor.state).toBe('running');
  });

  it('hands each reply to the reply steps and each failure to the fault steps', async () => {
    const replies: unknown[] = [];
    const faults: unknown[] = [];
    const { h } = await setup({
      maxAttempts: 2,
      replySteps: [async (ctx: MessageContext) => void replies.push(await ctx.message.json())],
      faultSteps: [(ctx: MessageContext) => void faults.push(ctx.vars.forwardError)],
    });
    await using _ = h;
    h.mock('backend')
      .replyOnce({ status: 502 })
      .reply(async (call) => ({ json: { ok: call.body } }));
    await h.engine.start();
    await h.clock.tick(0);
    await h.clock.tick(1000);
    expect(replies).toEqual([{ ok: { n: 1 } }, { ok: { n: 2 } }, { ok: { n: 3 } }]);
    expect(faults).toEqual([
      {
        code: 'MEDIARY_FORWARD_REJECTED',
        message: 'Endpoint backend answered with status 502',
        status: 502,
        attempt: 1,
      },
    ]);
  });

  it('stops taking messages when the engine stops', async () => {
    const { h, orders } = await setup();
    h.mock('backend').reply({ status: 503 });
    await h.engine.start();
    await h.clock.tick(0);
    await h.engine.stop();
    await h.clock.tick(10_000);
    expect(bodies(h)).toEqual([1]);
    expect(await orders.size()).toBe(3);
    await h.close();
  });

  it('reports a store failure on the bus and keeps going, delivering at least once', async () => {
    const { h, orders, processor, errors } = await setup({ leaseMs: 500 });
    await using _ = h;
    h.mock('backend').reply({ status: 200 });
    const ack = orders.ack.bind(orders);
    let failures = 1;
    orders.ack = async (lease) => {
      if (failures-- > 0) throw new Error('store connection lost');
      return ack(lease);
    };
    await h.engine.start();
    await h.clock.tick(0);
    expect(errors.map((e) => e.code)).toEqual(['MEDIARY_INTERNAL']);
    expect(processor.state).toBe('running');
    await h.clock.tick(1000);
    expect(bodies(h)).toEqual([1, 1, 2, 3]);
    expect(await orders.size()).toBe(0);
  });

  it('puts a message cut short by the engine stop back into the store instead of dead-lettering it', async () => {
    const { h, orders, dlq } = await setup({ maxAttempts: 1, deadLetterStore: 'orders-dlq' });
    h.mock('backend').delay(60_000).reply({ status: 200 });
    await h.engine.start();
    await h.clock.tick(0);
    h.mock('backend').expectCalled(1);
    await h.engine.stop({ timeoutMs: 10 });
    expect(await orders.size()).toBe(3);
    expect((await orders.browse()).map((m) => m.headers['x-order'])).toEqual(['1', '2', '3']);
    expect(await dlq.size()).toBe(0);
    await h.close();
  });

  it("refuses onMaxAttempts 'dead-letter' without a dead letter store", () => {
    expect(() =>
      forwardingProcessor({
        store: 'q',
        endpoint: 'e',
        intervalMs: 1,
        maxAttempts: 1,
        onMaxAttempts: 'dead-letter',
      }),
    ).toThrow(expect.objectContaining({ code: 'MEDIARY_PROCESSOR_CONFIG_INVALID' }));
  });
});
