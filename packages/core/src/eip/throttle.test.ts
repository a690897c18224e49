import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../clock.js';
import type { MessageContext } from '../context.js';
import { throttle } from './throttle.js';

const byClient = (ctx: MessageContext) => ctx.message.headers.get('x-client') ?? 'anonymous';

describe('throttle', () => {
  it('rejects with MEDIARY_THROTTLED at the limit and lets messages through in the next window', async () => {
    await using h = await createHarness();
    const limited = [throttle({ rate: { limit: 2, periodMs: 1000 } })];
    expect((await h.send(limited)).ok).toBe(true);
    await h.clock.tick(400);
    expect((await h.send(limited)).ok).toBe(true);
    const third = await h.send(limited);
    expect(third.ok).toBe(false);
    if (third.ok) return;
    expect(third.error.code).toBe('MEDIARY_THROTTLED');
    expect(third.error.status).toBe(429);
    expect(third.error.retryable).toBe(true);
    expect(third.error.details.retryAfterMs).toBe(600);
    await h.clock.tick(600);
    expect((await h.send(limited)).ok).toBe(true);
  });

  it('counts each key separately', async () => {
    await using h = await createHarness();
    const limited = [throttle({ rate: { limit: 1, periodMs: 1000 }, key: byClient })];
    expect((await h.send(limited, { headers: { 'x-client': 'a' } })).ok).toBe(true);
    expect((await h.send(limited, { headers: { 'x-client': 'b' } })).ok).toBe(true);
    expect((await h.send(limited, { headers: { 'x-client': 'a' } })).ok).toBe(false);
  });

  it('delays messages over the limit until a slot frees up on the fake clock', async () => {
    await using h = await createHarness();
    const passedAt: number[] = [];
    const limited = [
      throttle({ rate: { limit: 1, periodMs: 1000 }, mode: 'delay' }),
      (ctx: MessageContext) => {
        passedAt.push(ctx.engine.clock.now() - start);
      },
    ];
    const start = h.clock.now();
    const results = Promise.all([h.send(limited), h.send(limited), h.send(limited)]);
    await h.clock.tick(2000);
    expect((await results).every((r) => r.ok)).toBe(true);
    expect(passedAt).toEqual([0, 1000, 2000]);
  });

  it('limits how many messages run inside the steps at once', async () => {
    await using h = await createHarness();
    let active = 0;
    let maxActive = 0;
    const limited = [
      throttle({
        concurrency: 2,
        mode: 'delay',
        steps: [
          async (ctx) => {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(ctx.engine.clock, 100);
            active--;
          },
        ],
      }),
    ];
    const results = Promise.all(Array.from({ length: 5 }, () => h.send(limited)));
    await h.clock.tick(300);
    expect((await results).every((r) => r.ok)).toBe(true);
    expect(maxActive).toBe(2);
  });

  it('rejects a message over the concurrency limit in reject mode', async () => {
    await using h = await createHarness();
    const limited = [throttle({ concurrency: 1, steps: [(ctx) => sleep(ctx.engine.clock, 100)] })];
    const first = h.send(limited);
    const second = await h.send(limited);
    expect(!second.ok && second.error.code).toBe('MEDIARY_THROTTLED');
    await h.clock.tick(100);
    expect((await first).ok).toBe(true);
    const third = h.send(limited);
    await h.clock.tick(100);
    expect((await third).ok).toBe(true);
  });

  it('fails a delayed message that waited longer than maxWaitMs', async () => {
    await using h = await createHarness();
    const limited = [throttle({ rate: { limit: 1, periodMs: 10_000 }, mode: 'delay', maxWaitMs: 500 })];
    expect((await h.send(limited)).ok).toBe(true);
    const waiting = h.send(limited);
    await h.clock.tick(500);
    const result = await waiting;
    expect(!result.ok && result.error.code).toBe('MEDIARY_THROTTLED');
  });

  it('refuses a concurrency limit without steps to count', () => {
    expect(() => throttle({ concurrency: 1 })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_EIP_CONFIG_INVALID' }),
    );
  });
});
