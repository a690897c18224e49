import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import { createMessage, type Message } from '../message.js';
import { type BranchResult, recipientList } from './index.js';

const down = (endpoint: string) => coreErrors.ENDPOINT_FAILED({ endpoint, reason: 'connection refused' });

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('recipientList', () => {
  it('sends a copy to every recipient in parallel and gathers the replies in list order', async () => {
    await using h = await createHarness();
    h.mock('audit')
      .delay(300)
      .reply({ json: { audited: true } });
    h.mock('billing')
      .delay(100)
      .reply({ json: { billed: 7000 } });
    const pending = h.send([recipientList(['audit', 'billing']), respond()], { json: { order: 1 } });
    await h.clock.tick(300); // both run at once: the slower one sets the pace
    const result = await pending;
    expect(result.ok && (await result.message.json())).toEqual([{ audited: true }, { billed: 7000 }]);
    expect(h.mock('audit').received()).toEqual({ order: 1 });
    expect(h.mock('billing').received()).toEqual({ order: 1 });
  });

  it('gives each recipient its own copy of the message', async () => {
    await using h = await createHarness();
    const sent: Message[] = [];
    let original: Message | undefined;
    const spy = (name: string) =>
      functionEndpoint(name, (message) => {
        sent.push(message);
        message.headers.set('x-touched-by', name);
        return { text: name };
      });
    await h.send(
      [
        (ctx) => {
          original = ctx.message;
        },
        recipientList([spy('a'), spy('b')], { into: { var: 'replies' } }),
      ],
      { json: { order: 1 }, headers: { 'x-trace': 't1' } },
    );
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toBe(sent[1]);
    expect(sent).not.toContain(original);
    expect(sent.map((m) => m.headers.get('x-touched-by'))).toEqual(['a', 'b']);
    expect(sent.map((m) => m.headers.get('x-trace'))).toEqual(['t1', 't1']);
    expect(original?.headers.get('x-touched-by')).toBeUndefined();
  });

  it('takes the recipients from an expression for each message', async () => {
    await using h = await createHarness();
    for (const region of ['eu', 'us', 'ap']) h.mock(`stock-${region}`).reply({ json: region });
    const step = recipientList(async (ctx) =>
      ((await ctx.message.json()) as { regions: string[] }).regions.map((r) => `stock-${r}`),
    );
    const result = await h.send([step, respond()], { json: { regions: ['us', 'eu'] } });
    expect(result.ok && (await result.message.json())).toEqual(['us', 'eu']);
    h.mock('stock-ap').expectNotCalled();
  });

  it('stores the gathered values in a variable with into, leaving the body alone', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ json: 1 });
    h.mock('b').reply({ text: 'two' });
    const result = await h.send([recipientList(['a', 'b'], { into: { var: 'acks' } }), respond()], {
      json: { keep: true },
    });
    expect(result.context.vars.acks).toEqual([1, 'two']);
    expect(result.ok && (await result.message.json())).toEqual({ keep: true });
  });

  it('hands every result, in list order, to an aggregate function', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ json: { n: 1 }, status: 201 });
    h.mock('b').reply({ status: 404, json: { missing: true } });
    let seen: readonly BranchResult[] = [];
    const step = recipientList(['a', 'b'], {
      aggregate: (results) => {
        seen = results;
        return { statuses: results.map((r) => (r.ok ? r.status : 0)) };
      },
    });
    const result = await h.send([step, respond()]);
    expect(result.ok && (await result.message.json())).toEqual({ statuses: [201, 404] });
    expect(seen.map((r) => r.name)).toEqual(['a', 'b']);
    expect(seen[0]?.ok && seen[0].value).toEqual({ n: 1 });
  });

  it("fails with a recipient's error once all recipients have finished, by default", async () => {
    await using h = await createHarness();
    h.mock('a').delay(500).reply({ text: 'a' });
    h.mock('b').fail(down('b'));
    const pending = h.send([recipientList(['a', 'b'])]);
    await h.clock.tick(500);
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_FAILED');
    h.mock('a').expectCalled(1);
  });

  it('only reports failures in the results with onError ignore', async () => {
    await using h = await createHarness();
    h.mock('a').reply({ json: 'a' });
    h.mock('b').fail(down('b'));
    const result = await h.send([recipientList(['a', 'b'], { onError: 'ignore' }), respond()]);
    expect(result.ok && (await result.message.json())).toEqual(['a']);
  });

  it('times out a slow recipient without holding up the others', async () => {
    await using h = await createHarness();
    h.mock('fast').reply({ json: 'fast' });
    h.mock('slow').delay(5000).reply({ json: 'slow' });
    let seen: readonly BranchResult[] = [];
    const step = recipientList(['slow', 'fast'], {
      timeoutMs: 1000,
      onError: 'ignore',
      aggregate: (results) => {
        seen = results;
        return undefined;
      },
    });
    const pending = h.send([step]);
    await h.clock.tick(1000);
    expect((await pending).ok).toBe(true);
    expect(seen[0]?.ok === false && seen[0].error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
    expect(seen[1]?.ok).toBe(true);
    expect(h.clock.pending).toBe(0);
  });

  it('sends every recipient the whole body of an unread stream', async () => {
    await using h = await createHarness();
    const seen: string[] = [];
    const reader = (name: string) =>
      functionEndpoint(name, async (message) => {
        const parts: Uint8Array[] = [];
        for await (const chunk of message.stream()) parts.push(chunk);
        seen.push(Buffer.concat(parts).toString());
        return { text: name };
      });
    const request = createMessage({ body: chunks('strea', 'med') });
    const result = await h.send([recipientList([reader('a'), reader('b'), reader('c')])], request);
    expect(result.ok).toBe(true);
    expect(seen).toEqual(['streamed', 'streamed', 'streamed']);
  });

  it('fails when the expression gives something other than endpoint references', async () => {
    await using h = await createHarness();
    const result = await h.send([recipientList(() => 'audit' as unknown as string[])]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_RECIPIENTS_INVALID');
    const mixed = await h.send([recipientList(() => ['audit', 42] as unknown as string[])]);
    expect(!mixed.ok && mixed.error.code).toBe('MEDIARY_RECIPIENTS_INVALID');
  });

  it('fails with the cancellation when the message is cancelled', async () => {
    await using h = await createHarness();
    h.mock('a').delay(1000);
    const controller = new AbortController();
    const pending = h.send([recipientList(['a'], { onError: 'ignore' })], {}, { signal: controller.signal });
    await h.clock.tick(10);
    controller.abort(coreErrors.ENGINE_STOPPING());
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENGINE_STOPPING');
  });

  it('carries its id for step replacement', () => {
    expect(recipientList(['a'], { id: 'notify' })).toMatchObject({ name: 'recipientList', id: 'notify' });
  });
});
