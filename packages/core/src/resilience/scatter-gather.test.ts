import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import type { Message } from '../message.js';
import { type BranchResult, scatterGather } from './index.js';

const down = (endpoint: string) => coreErrors.ENDPOINT_FAILED({ endpoint, reason: 'connection refused' });

describe('scatterGather', () => {
  it('gathers results in branch order, not in the order they complete', async () => {
    await using h = await createHarness();
    h.mock('grandoaks')
      .delay(300)
      .reply({ json: { fee: 1 } });
    h.mock('clemency')
      .delay(100)
      .reply({ json: { fee: 2 } });
    h.mock('pinevalley')
      .delay(200)
      .reply({ json: { fee: 3 } });
    const step = scatterGather({
      branches: ['grandoaks', 'clemency', 'pinevalley'].map((name) => ({ name, endpoint: name })),
    });
    const pending = h.send([step, respond()]);
    await h.clock.tick(300);
    const result = await pending;
    expect(result.ok && (await result.message.json())).toEqual([{ fee: 1 }, { fee: 2 }, { fee: 3 }]);
  });

  it('describes each branch as ok with message, value and status, or as failed with its error', async () => {
    await using h = await createHarness();
    h.mock('json').reply({ json: { a: 1 }, status: 201 });
    h.mock('text').reply({ text: 'plain' });
    h.mock('broken').fail(down('broken'));
    let seen: readonly BranchResult[] = [];
    const step = scatterGather({
      branches: [
        { name: 'one', endpoint: 'json' },
        { name: 'two', endpoint: 'text' },
        { name: 'three', endpoint: 'broken' },
      ],
      aggregate: (results) => {
        seen = results;
        return undefined;
      },
    });
    await h.send([step]);
    const [one, two, three] = seen;
    expect(one).toMatchObject({ name: 'one', ok: true, value: { a: 1 }, status: 201 });
    expect(one?.ok && (await one.message.json())).toEqual({ a: 1 });
    expect(two).toMatchObject({ name: 'two', ok: true, value: 'plain', status: 200 });
    expect(three).toMatchObject({ name: 'three', ok: false });
    expect(three?.ok === false && three.error.code).toBe('MEDIARY_ENDPOINT_FAILED');
  });

  it('never lets a branch timeout or failure fail the others', async () => {
    await using h = await createHarness();
    h.mock('slow').delay(10_000).reply({ json: 'late' });
    h.mock('broken').fail(down('broken'));
    h.mock('fine').delay(500).reply({ json: 'fine' });
    const step = scatterGather({
      branches: [
        { name: 'slow', endpoint: 'slow' },
        { name: 'broken', endpoint: 'broken' },
        { name: 'fine', endpoint: 'fine' },
      ],
      timeoutMs: 1000,
      into: { var: 'results' },
      aggregate: (results) => results.map((r) => (r.ok ? r.value : r.error.code)),
    });
    const pending = h.send([step]);
    await h.clock.tick(1000);
    const result = await pending;
    expect(result.ok).toBe(true);
    expect(result.context.vars.results).toEqual([
      'MEDIARY_ENDPOINT_TIMEOUT',
      'MEDIARY_ENDPOINT_FAILED',
      'fine',
    ]);
    expect(h.clock.pending).toBe(0);
  });

  it('replaces the body with the values of the branches that answered below 400 by default', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ json: { hospital: 'a' } });
    h.mock('b').reply({ status: 404, json: { error: 'unknown appointment' } });
    h.mock('c').fail(down('c'));
    h.mock('d').reply({ json: { hospital: 'd' } });
    const step = scatterGather({ branches: ['a', 'b', 'c', 'd'].map((n) => ({ name: n, endpoint: n })) });
    const result = await h.send([step, respond()], { json: { appointment: 1 } });
    expect(result.ok && (await result.message.json())).toEqual([{ hospital: 'a' }, { hospital: 'd' }]);
    expect(result.ok && result.message.contentType).toBe('application/json');
  });

  it('gives each branch its own clone, so a branch that changes its message changes nobody else', async () => {
    await using h = await createHarness();
    const sent: Message[] = [];
    let original: Message | undefined;
    const meddler = (name: string) =>
      functionEndpoint(name, (message) => {
        sent.push(message);
        message.headers.set('x-branch', name);
        message.setJson({ changedBy: name });
        return { json: name };
      });
    await h.send(
      [
        (ctx) => {
          original = ctx.message;
        },
        scatterGather({
          branches: [
            { name: 'a', endpoint: meddler('a') },
            { name: 'b', endpoint: meddler('b') },
          ],
          into: { var: 'out' },
        }),
      ],
      { json: { untouched: true } },
    );
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toBe(sent[1]);
    expect(await sent[0]?.json()).toEqual({ changedBy: 'a' });
    expect(await sent[1]?.json()).toEqual({ changedBy: 'b' });
    expect(original?.headers.get('x-branch')).toBeUndefined();
    expect(await original?.json()).toEqual({ untouched: true });
  });

  it('builds a branch request from its body expression', async () => {
    await using h = await createHarness();
    h.mock('json');
    h.mock('text');
    await h.send(
      [
        scatterGather({
          branches: [
            { name: 'json', endpoint: 'json', body: async (ctx) => ({ wrapped: await ctx.message.json() }) },
            { name: 'text', endpoint: 'text', body: () => 'hello' },
          ],
          into: { var: 'ignored' },
        }),
      ],
      { json: { id: 7 }, headers: { 'x-trace': 't1' } },
    );
    expect(h.mock('json').received()).toEqual({ wrapped: { id: 7 } });
    expect(h.mock('json').calls[0]?.headers['x-trace']).toBe('t1');
    expect(h.mock('text').received()).toBe('hello');
  });

  it('shows branch variables to that branch only', async () => {
    await using h = await createHarness();
    const fee = h.mock('fee').reply((call) => ({ json: call.vars.hospitalId }));
    const result = await h.send(
      [
        scatterGather({
          branches: [
            { name: 'grandoaks', endpoint: 'fee', vars: { hospitalId: 'grandoaks' } },
            { name: 'clemency', endpoint: 'fee', vars: { hospitalId: 'clemency' } },
          ],
        }),
        respond(),
      ],
      {},
      { vars: { appointment: 3 } },
    );
    expect(result.ok && (await result.message.json())).toEqual(['grandoaks', 'clemency']);
    expect(fee.calls.map((c) => c.vars.appointment)).toEqual([3, 3]);
    expect(result.context.vars.hospitalId).toBeUndefined();
  });

  it('lets the aggregation return a message, which becomes the current message', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ text: 'from a', status: 202 });
    const step = scatterGather({
      branches: [{ name: 'a', endpoint: 'a' }],
      aggregate: (results) => (results[0]?.ok ? results[0].message : undefined),
    });
    const result = await h.send([step, respond()]);
    expect(result.ok && result.message.status).toBe(202);
    expect(result.ok && (await result.message.text())).toBe('from a');
  });

  it('fails when the aggregation throws', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ status: 404 });
    const step = scatterGather({
      branches: [{ name: 'a', endpoint: 'a' }],
      aggregate: (results) => {
        if (!results.some((r) => r.ok && r.status === 200)) throw coreErrors.RAISED({ message: 'none' });
        return results;
      },
    });
    const result = await h.send([step]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_RAISED');
  });

  it('records an unknown endpoint name as that branch failing', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ json: 'a' });
    const step = scatterGather({
      branches: [
        { name: 'a', endpoint: 'a' },
        { name: 'ghost', endpoint: 'nowhere' },
      ],
      into: { var: 'codes' },
      aggregate: (results) => results.map((r) => (r.ok ? 'ok' : r.error.code)),
    });
    const result = await h.send([step]);
    expect(result.context.vars.codes).toEqual(['ok', 'MEDIARY_ENDPOINT_NOT_FOUND']);
  });

  it('fails with the cancellation when the whole message is cancelled', async () => {
    await using h = await createHarness();
    h.mock('a').delay(1000);
    const controller = new AbortController();
    const step = scatterGather({ branches: [{ name: 'a', endpoint: 'a' }], timeoutMs: 5000 });
    const pending = h.send([step], {}, { signal: controller.signal });
    await h.clock.tick(10);
    controller.abort(coreErrors.ENGINE_STOPPING());
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENGINE_STOPPING');
    expect(h.clock.pending).toBe(0);
  });

  it('rejects no branches and duplicate branch names', () => {
    const invalid = expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' });
    expect(() => scatterGather({ branches: [] })).toThrow(invalid);
    expect(() =>
      scatterGather({
        branches: [
          { name: 'a', endpoint: 'x' },
          { name: 'a', endpoint: 'y' },
        ],
      }),
    ).toThrow(invalid);
    expect(() => scatterGather({ branches: [{ name: 'a', endpoint: 'x' }], timeoutMs: -1 })).toThrow(invalid);
  });
});
