import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../clock.js';
import { jsonata } from '../expression.js';
import { throwError } from '../mediators/basic.js';
import { choice, filter } from '../mediators/routing.js';
import { split } from './split.js';

describe('split', () => {
  it('runs nothing and yields an empty array for an empty input', async () => {
    await using h = await createHarness();
    let runs = 0;
    const result = await h.send([split({ steps: [() => void runs++] })], { json: [] });
    expect(result.ok).toBe(true);
    expect(await result.message.json()).toEqual([]);
    expect(runs).toBe(0);
  });

  it("collects each item's final body in input order", async () => {
    await using h = await createHarness();
    const double = split({
      steps: [
        async (ctx) => {
          ctx.message.setJson(((await ctx.message.json()) as number) * 2);
        },
      ],
    });
    const result = await h.send([double], { json: [1, 2, 3] });
    expect(await result.message.json()).toEqual([2, 4, 6]);
  });

  it('keeps the input order and never exceeds the concurrency limit when parallel', async () => {
    await using h = await createHarness();
    let active = 0;
    let maxActive = 0;
    const finished: number[] = [];
    const slow = split({
      parallel: 3,
      steps: [
        async (ctx) => {
          const n = (await ctx.message.json()) as number;
          active++;
          maxActive = Math.max(maxActive, active);
          // Later items finish first, so completion order differs from input order.
          await sleep(ctx.engine.clock, (10 - n) * 100, ctx.signal);
          active--;
          finished.push(n);
          ctx.message.setJson({ n, index: ctx.vars.splitIndex, size: ctx.vars.splitSize });
        },
      ],
    });
    const pending = h.send([slow], { json: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    await h.clock.tick(10_000);
    const result = await pending;
    expect(maxActive).toBe(3);
    expect(finished).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await result.message.json()).toEqual(
      Array.from({ length: 10 }, (_, n) => ({ n, index: n, size: 10 })),
    );
  });

  it('gives each item its own message, header copy and variables', async () => {
    await using h = await createHarness();
    const seen: unknown[] = [];
    const result = await h.send(
      [
        (ctx) => {
          ctx.vars.shared = 'parent';
        },
        split({
          collect: false,
          steps: [
            (ctx) => {
              seen.push([ctx.vars.shared, ctx.vars.mine, ctx.message.headers.get('x-trace')]);
              ctx.vars.mine = ctx.vars.splitIndex;
              ctx.vars.shared = 'item';
              ctx.message.headers.set('x-trace', 'changed');
            },
          ],
        }),
      ],
      { json: ['a', 'b'], headers: { 'x-trace': 't1' } },
    );
    expect(seen).toEqual([
      ['parent', undefined, 't1'],
      ['parent', undefined, 't1'],
    ]);
    expect(result.context.vars.shared).toBe('parent');
    expect(result.context.vars.mine).toBeUndefined();
    expect(result.message.headers.get('x-trace')).toBe('t1');
    expect(await result.message.json()).toEqual(['a', 'b']);
  });

  it('fails with the index of the failing item, keeping its status', async () => {
    await using h = await createHarness();
    const ran: number[] = [];
    const result = await h.send(
      [
        split({
          steps: [
            async (ctx) => {
              ran.push(ctx.vars.splitIndex as number);
            },
            choice({
              cases: [
                {
                  when: jsonata('payload = "bad"'),
                  steps: [throwError({ message: 'bad item', status: 400 })],
                },
              ],
            }),
          ],
        }),
      ],
      { json: ['ok', 'bad', 'never'] },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('MEDIARY_SPLIT_ITEM_FAILED');
    expect(result.error.details.index).toBe(1);
    expect(result.error.status).toBe(400);
    expect(ran).toEqual([0, 1]);
  });

  it('goes on past failing items with continueOnError and lists them in vars.splitErrors', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        split({
          continueOnError: true,
          steps: [
            choice({
              cases: [
                { when: jsonata('payload < 0'), steps: [throwError({ message: 'negative', status: 400 })] },
              ],
            }),
          ],
        }),
      ],
      { json: [1, -1, 2, -2] },
    );
    expect(result.ok).toBe(true);
    expect(await result.message.json()).toEqual([1, 2]);
    expect(result.context.vars.splitErrors).toEqual([
      { index: 1, code: 'MEDIARY_RAISED', message: 'negative' },
      { index: 3, code: 'MEDIARY_RAISED', message: 'negative' },
    ]);
  });

  it('splits what an expression selects, collects into a variable and leaves out dropped items', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        split({
          items: jsonata('payload.orders'),
          collect: { var: 'kept' },
          steps: [filter(jsonata('payload.qty > 1'))],
        }),
      ],
      { json: { orders: [{ qty: 1 }, { qty: 2 }, { qty: 3 }] } },
    );
    expect(result.context.vars.kept).toEqual([{ qty: 2 }, { qty: 3 }]);
    expect(await result.message.json()).toEqual({ orders: [{ qty: 1 }, { qty: 2 }, { qty: 3 }] });
  });

  it('fails with MEDIARY_SPLIT_NOT_ARRAY when the body is not an array', async () => {
    await using h = await createHarness();
    const result = await h.send([split({ steps: [] })], { json: { not: 'an array' } });
    expect(!result.ok && result.error.code).toBe('MEDIARY_SPLIT_NOT_ARRAY');
    expect(!result.ok && result.error.status).toBe(400);
  });
});
