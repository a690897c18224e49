import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { coreErrors } from '../errors.js';
import { setBody, setVar } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { createMemoryStore } from '../store/memory-store.js';
import { registerStore } from '../store/registry.js';
import { deadLetterChannel, redeliveryDelay } from './dead-letter-channel.js';

const down = () => coreErrors.ENDPOINT_FAILED({ endpoint: 'payments', reason: 'connection refused' });

describe('deadLetterChannel', () => {
  it('redelivers with back-off on the fake clock, then dead-letters the original message', async () => {
    await using h = await createHarness();
    const attemptsAt: number[] = [];
    const start = h.clock.now();
    h.mock('payments').fail(() => {
      attemptsAt.push(h.clock.now() - start);
      return down();
    });
    const deadLetters: Array<{ body: unknown; error: unknown; header: unknown }> = [];
    const channel = deadLetterChannel({
      steps: [setBody({ rewritten: true }), call('payments')],
      redelivery: { maxAttempts: 4, delayMs: 100, multiplier: 2 },
      deadLetter: [
        async (ctx: MessageContext) => {
          deadLetters.push({
            body: await ctx.message.json(),
            error: ctx.vars.deadLetterError,
            header: ctx.message.headers.get('x-order'),
          });
        },
      ],
    });
    const pending = h.send([channel], { json: { order: 42 }, headers: { 'x-order': '42' } });
    await h.clock.tick(99);
    expect(attemptsAt).toEqual([0]);
    await h.clock.tick(1);
    expect(attemptsAt).toEqual([0, 100]);
    await h.clock.tick(199);
    expect(attemptsAt).toEqual([0, 100]);
    await h.clock.tick(1);
    await h.clock.tick(400);
    expect(attemptsAt).toEqual([0, 100, 300, 700]);
    const result = await pending;
    expect(result.ok && result.outcome).toBe('drop');
    expect(deadLetters).toEqual([
      {
        body: { order: 42 },
        header: '42',
        error: {
          code: 'MEDIARY_ENDPOINT_FAILED',
          message: 'Endpoint payments failed: connection refused',
          attempts: 4,
        },
      },
    ]);
    // Every redelivery started again from the original message.
    expect(h.mock('payments').calls.map((c) => c.body)).toEqual(Array(4).fill({ rewritten: true }));
  });

  it('sends an error the policy does not retry straight to the dead letter', async () => {
    await using h = await createHarness();
    h.mock('payments').fail(coreErrors.VALIDATION_FAILED({ reason: 'bad card' }));
    let error: unknown;
    const channel = deadLetterChannel({
      steps: [call('payments')],
      redelivery: { maxAttempts: 5, delayMs: 1000 },
      deadLetter: [
        (ctx) => {
          error = ctx.vars.deadLetterError;
        },
      ],
    });
    await h.send([channel], { json: {} });
    h.mock('payments').expectCalled(1);
    expect(error).toMatchObject({ code: 'MEDIARY_VALIDATION_FAILED', attempts: 1 });
  });

  it('continues normally when a redelivery succeeds', async () => {
    await using h = await createHarness();
    h.mock('payments')
      .failOnce(down())
      .reply({ json: { paid: true } });
    const channel = deadLetterChannel({
      steps: [call('payments')],
      redelivery: { maxAttempts: 3, delayMs: 50 },
      deadLetter: [setVar('deadLettered', true)],
    });
    const pending = h.send([channel, setVar('after', true)], { json: {} });
    await h.clock.tick(50);
    const result = await pending;
    expect(result.ok && result.outcome).toBeUndefined();
    expect(await result.message.json()).toEqual({ paid: true });
    expect(result.context.vars.deadLettered).toBeUndefined();
    expect(result.context.vars.after).toBe(true);
  });

  it('dead-letters into a message store registered on the engine by name', async () => {
    await using h = await createHarness();
    const dlq = registerStore(h.engine, createMemoryStore('payments-dlq', { clock: h.clock }));
    h.mock('payments').fail(down());
    const channel = deadLetterChannel({
      steps: [call('payments')],
      redelivery: { maxAttempts: 1, delayMs: 0 },
      deadLetter: 'payments-dlq',
    });
    await h.send([setVar('customer', 'c-9'), channel], { json: { amount: 5 } });
    const [stored] = await dlq.browse();
    expect(JSON.parse(Buffer.from(stored!.body).toString())).toEqual({ amount: 5 });
    expect(stored!.vars).toMatchObject({
      customer: 'c-9',
      deadLetterError: { code: 'MEDIARY_ENDPOINT_FAILED', attempts: 1 },
    });
  });

  it('fails with MEDIARY_DEAD_LETTER_FAILED when the dead letter itself fails', async () => {
    await using h = await createHarness();
    h.mock('payments').fail(down());
    h.mock('dlq').fail(new Error('dlq down'));
    const channel = deadLetterChannel({
      steps: [call('payments')],
      redelivery: { maxAttempts: 1, delayMs: 0 },
      deadLetter: 'dlq',
    });
    const result = await h.send([channel], { json: {} });
    expect(!result.ok && result.error.code).toBe('MEDIARY_DEAD_LETTER_FAILED');
  });

  it('grows the redelivery delay by the multiplier up to the cap', () => {
    const policy = { maxAttempts: 10, delayMs: 100, multiplier: 3, maxDelayMs: 1000 };
    expect([1, 2, 3, 4].map((n) => redeliveryDelay(policy, n))).toEqual([100, 300, 900, 1000]);
    const jittered = redeliveryDelay({ ...policy, jitter: 0.5 }, 1);
    expect(jittered).toBeGreaterThanOrEqual(50);
    expect(jittered).toBeLessThanOrEqual(150);
  });
});
