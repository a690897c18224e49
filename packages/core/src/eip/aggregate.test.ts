import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { createEngine } from '../engine.js';
import { silentLogger } from '../logger.js';
import { createMessage } from '../message.js';
import { type AggregateOptions, aggregate } from './aggregate.js';
import { createMemoryAggregationRepository } from './aggregation-repository.js';

interface Completed {
  readonly body: unknown;
  readonly key: unknown;
  readonly size: unknown;
  readonly reason: unknown;
}

function recorder() {
  const completed: Completed[] = [];
  const step = async (ctx: MessageContext) => {
    completed.push({
      body: await ctx.message.json(),
      key: ctx.vars.aggregateKey,
      size: ctx.vars.aggregateSize,
      reason: ctx.vars.aggregateReason,
    });
  };
  return { completed, onComplete: [step] };
}

const byOrder = (ctx: MessageContext) => ctx.message.headers.get('x-order') ?? 'none';

function aggregator(options: Partial<AggregateOptions> & Pick<AggregateOptions, 'complete' | 'onComplete'>) {
  return aggregate({ correlate: byOrder, ...options });
}

describe('aggregate', () => {
  it('completes a group by size and ends every incoming flow with drop', async () => {
    await using h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({
      complete: { size: 3 },
      combine: (values) => ({ total: (values as number[]).reduce((a, b) => a + b, 0) }),
      onComplete,
    });
    const outcomes: unknown[] = [];
    for (const n of [1, 2])
      outcomes.push((await h.send([agg], { json: n, headers: { 'x-order': 'o1' } })).ok);
    expect(completed).toEqual([]);
    const last = await h.send([agg], { json: 3, headers: { 'x-order': 'o1' } });
    expect(last.ok && last.outcome).toBe('drop');
    expect(completed).toEqual([{ body: { total: 6 }, key: 'o1', size: 3, reason: 'size' }]);
  });

  it('keeps groups with different keys apart and combines with JSONata', async () => {
    await using h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({ complete: { size: 2 }, combine: '$sum(payload)', onComplete });
    await h.send([agg], { json: 1, headers: { 'x-order': 'a' } });
    await h.send([agg], { json: 10, headers: { 'x-order': 'b' } });
    await h.send([agg], { json: 20, headers: { 'x-order': 'b' } });
    await h.send([agg], { json: 2, headers: { 'x-order': 'a' } });
    expect(completed.map((c) => [c.key, c.body])).toEqual([
      ['b', 30],
      ['a', 3],
    ]);
  });

  it('completes a partial group after the inactivity timeout on the engine clock', async () => {
    await using h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({ complete: { size: 5, timeoutMs: 1000 }, onComplete });
    await h.send([agg], { json: 'a', headers: { 'x-order': 'o1' } });
    await h.clock.tick(600);
    await h.send([agg], { json: 'b', headers: { 'x-order': 'o1' } });
    await h.clock.tick(999);
    expect(completed).toEqual([]);
    await h.clock.tick(1);
    expect(completed).toEqual([{ body: ['a', 'b'], key: 'o1', size: 2, reason: 'timeout' }]);
    expect(h.clock.pending).toBe(0);
  });

  it('completes by a predicate over the group', async () => {
    await using h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({
      complete: { predicate: (group) => group.entries.some((e) => e.value === 'last') },
      onComplete,
    });
    for (const v of ['x', 'y', 'last']) await h.send([agg], { json: v, headers: { 'x-order': 'p' } });
    expect(completed).toEqual([{ body: ['x', 'y', 'last'], key: 'p', size: 3, reason: 'predicate' }]);
  });

  it('completes every open group when the engine stops', async () => {
    const h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({ complete: { size: 10, timeoutMs: 60_000 }, onComplete });
    await h.send([agg], { json: 1, headers: { 'x-order': 'a' } });
    await h.send([agg], { json: 2, headers: { 'x-order': 'a' } });
    await h.send([agg], { json: 3, headers: { 'x-order': 'b' } });
    await h.close();
    expect(completed.sort((x, y) => String(x.key).localeCompare(String(y.key)))).toEqual([
      { body: [1, 2], key: 'a', size: 2, reason: 'stop' },
      { body: [3], key: 'b', size: 1, reason: 'stop' },
    ]);
    expect(h.clock.pending).toBe(0);
  });

  it('starts a new group for a late message by default', async () => {
    await using h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({ complete: { size: 2 }, onComplete });
    for (const n of [1, 2, 3, 4]) await h.send([agg], { json: n, headers: { 'x-order': 'o' } });
    expect(completed.map((c) => c.body)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("drops a late message with lateMessages 'drop'", async () => {
    const h = await createHarness();
    const { completed, onComplete } = recorder();
    const agg = aggregator({ complete: { size: 2 }, lateMessages: 'drop', onComplete });
    for (const n of [1, 2]) await h.send([agg], { json: n, headers: { 'x-order': 'o' } });
    const late = await h.send([agg], { json: 3, headers: { 'x-order': 'o' } });
    expect(late.ok && late.outcome).toBe('drop');
    await h.send([agg], { json: 9, headers: { 'x-order': 'other' } });
    await h.close();
    // The late message joined no group: only the first group and the other key's group complete.
    expect(completed.map((c) => [c.key, c.body])).toEqual([
      ['o', [1, 2]],
      ['other', [9]],
    ]);
  });

  it("fails a late message with MEDIARY_AGGREGATE_LATE under lateMessages 'fail'", async () => {
    await using h = await createHarness();
    const { onComplete } = recorder();
    const agg = aggregator({ complete: { size: 1 }, lateMessages: 'fail', onComplete });
    expect((await h.send([agg], { json: 1, headers: { 'x-order': 'o' } })).ok).toBe(true);
    const late = await h.send([agg], { json: 2, headers: { 'x-order': 'o' } });
    expect(!late.ok && late.error.code).toBe('MEDIARY_AGGREGATE_LATE');
    expect(!late.ok && late.error.status).toBe(409);
  });

  it('does not fail the completing message when onComplete fails, and reports it on the bus', async () => {
    await using h = await createHarness();
    const failures: string[] = [];
    h.engine.bus.on('message:failed', (e) => failures.push(`${e.routeId} ${e.error.code}`));
    const agg = aggregator({
      complete: { size: 1 },
      onComplete: [
        () => {
          throw new Error('boom');
        },
      ],
    });
    const result = await h.send([agg], { json: 1, headers: { 'x-order': 'o' } });
    expect(result.ok && result.outcome).toBe('drop');
    expect(failures).toEqual(['test:aggregate MEDIARY_INTERNAL']);
  });

  it('keeps the groups of two engines apart', async () => {
    const { completed, onComplete } = recorder();
    const agg = aggregator({ complete: { size: 2 }, onComplete });
    const a = createEngine({ logger: silentLogger });
    const b = createEngine({ logger: silentLogger });
    await a.dispatch(agg, createMessage({ json: 'a1', headers: { 'x-order': 'k' } }));
    await b.dispatch(agg, createMessage({ json: 'b1', headers: { 'x-order': 'k' } }));
    expect(completed).toEqual([]);
    await a.dispatch(agg, createMessage({ json: 'a2', headers: { 'x-order': 'k' } }));
    expect(completed.map((c) => c.body)).toEqual([['a1', 'a2']]);
    await a.stop();
    await b.stop();
    expect(completed.map((c) => c.body)).toEqual([['a1', 'a2'], ['b1']]);
  });

  it('keeps open groups in the given repository', async () => {
    await using h = await createHarness();
    const repository = createMemoryAggregationRepository();
    const { onComplete } = recorder();
    const agg = aggregator({ complete: { size: 3 }, repository, onComplete, completeOnStop: false });
    await h.send([agg], { json: { a: 1 }, headers: { 'x-order': 'k1' } });
    await h.send([agg], { json: { b: 2 }, headers: { 'x-order': 'k2' } });
    expect((await repository.keys()).sort()).toEqual(['k1', 'k2']);
    const group = await repository.get('k1');
    expect(group?.entries.map((e) => e.value)).toEqual([{ a: 1 }]);
    expect(group?.entries[0]?.headers['x-order']).toBe('k1');
  });

  it('refuses options without any completion condition', () => {
    expect(() => aggregate({ correlate: 'all', complete: {}, onComplete: [] })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_EIP_CONFIG_INVALID' }),
    );
  });
});
