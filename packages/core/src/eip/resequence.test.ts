import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { resequence } from './resequence.js';

function setup(options: { timeoutMs: number; start?: number; capacity?: number }) {
  const released: number[] = [];
  const step = resequence({
    sequenceNumber: (ctx: MessageContext) => Number(ctx.message.headers.get('x-seq')),
    steps: [
      async (ctx) => {
        released.push((await ctx.message.json()) as number);
      },
    ],
    ...options,
  });
  const send = (h: { send: (steps: [typeof step], init: object) => Promise<unknown> }, n: number) =>
    h.send([step], { json: n, headers: { 'x-seq': String(n) } });
  return { released, send };
}

describe('resequence', () => {
  it('releases messages in sequence order', async () => {
    await using h = await createHarness();
    const { released, send } = setup({ timeoutMs: 1000, start: 1 });
    for (const n of [3, 1, 4, 2, 5]) await send(h, n);
    expect(released).toEqual([1, 2, 3, 4, 5]);
    expect(h.clock.pending).toBe(0);
  });

  it('skips a gap once the oldest waiting message waited timeoutMs, then goes on in order', async () => {
    await using h = await createHarness();
    const { released, send } = setup({ timeoutMs: 1000, start: 1 });
    await send(h, 1);
    await send(h, 3);
    await h.clock.tick(500);
    await send(h, 4);
    await h.clock.tick(499);
    expect(released).toEqual([1]);
    await h.clock.tick(1);
    expect(released).toEqual([1, 3, 4]);
    // 2 arrives too late: it was given up on.
    await send(h, 2);
    await send(h, 5);
    expect(released).toEqual([1, 3, 4, 5]);
  });

  it('ends every incoming flow with drop', async () => {
    await using h = await createHarness();
    const { send } = setup({ timeoutMs: 1000, start: 1 });
    expect(await send(h, 1)).toMatchObject({ ok: true, outcome: 'drop' });
  });

  it('starts from the first number seen when no start is given', async () => {
    await using h = await createHarness();
    const { released, send } = setup({ timeoutMs: 1000 });
    await send(h, 10);
    await send(h, 12);
    await send(h, 11);
    expect(released).toEqual([10, 11, 12]);
  });

  it('skips the gap at once when more messages wait than its capacity', async () => {
    await using h = await createHarness();
    const { released, send } = setup({ timeoutMs: 60_000, start: 1, capacity: 2 });
    await send(h, 2);
    await send(h, 3);
    expect(released).toEqual([]);
    await send(h, 4);
    expect(released).toEqual([2, 3, 4]);
  });

  it('releases every waiting message in order when the engine stops', async () => {
    const h = await createHarness();
    const { released, send } = setup({ timeoutMs: 60_000, start: 1 });
    await send(h, 5);
    await send(h, 3);
    await h.close();
    expect(released).toEqual([3, 5]);
    expect(h.clock.pending).toBe(0);
  });

  it('fails with MEDIARY_RESEQUENCE_NUMBER_INVALID when the number is not an integer', async () => {
    await using h = await createHarness();
    const { send } = setup({ timeoutMs: 1000 });
    expect(await send(h, Number.NaN)).toMatchObject({
      ok: false,
      error: { code: 'MEDIARY_RESEQUENCE_NUMBER_INVALID' },
    });
  });
});
