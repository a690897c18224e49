import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { functionEndpoint, wrapEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { timeout } from './index.js';

describe('timeout', () => {
  it('fails a call slower than the deadline with ENDPOINT_TIMEOUT and aborts the signal the endpoint got', async () => {
    await using h = await createHarness();
    let seen: AbortSignal | undefined;
    const slow = functionEndpoint('slow', async (message, ctx) => {
      seen = ctx.signal;
      await new Promise((resolve) => ctx.engine.clock.setTimeout(() => resolve(undefined), 5000));
      return message;
    });
    const pending = h.send([call(wrapEndpoint(slow, timeout(1000))), respond()]);
    await h.clock.tick(999);
    expect(seen?.aborted).toBe(false);
    await h.clock.tick(1);
    const result = await pending;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
    expect(result.error.status).toBe(504);
    expect(result.error.retryable).toBe(true);
    expect(result.error.message).toBe('Endpoint slow did not answer within 1000 ms');
    expect(seen?.aborted).toBe(true);
    expect(coreErrors.ENDPOINT_TIMEOUT.is(seen?.reason)).toBe(true);
  });

  it('passes a reply that arrives in time and clears its timer', async () => {
    await using h = await createHarness();
    h.mock('fees')
      .delay(500)
      .reply({ json: { fee: 7000 } });
    const pending = h.send([call(timeout(1000)(h.mock('fees'))), respond()]);
    await h.clock.tick(500);
    const result = await pending;
    expect(result.ok && (await result.message.json())).toEqual({ fee: 7000 });
    expect(h.clock.pending).toBe(0);
  });

  it('fails at the deadline even when the endpoint ignores its signal', async () => {
    await using h = await createHarness();
    const deaf = functionEndpoint('deaf', () => new Promise<undefined>(() => {}));
    const pending = h.send([call(timeout(250)(deaf))]);
    await h.clock.tick(250);
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
  });

  it('turns a synchronous throw of the endpoint into the call failing', async () => {
    await using h = await createHarness();
    const broken = {
      name: 'broken',
      send: (): Promise<never> => {
        throw coreErrors.ENDPOINT_FAILED({ endpoint: 'broken', reason: 'sync' });
      },
    };
    const result = await h.send([call(timeout(100)(broken))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_FAILED');
    expect(h.clock.pending).toBe(0);
  });

  it('gives the endpoint a copy of the context that differs only in its signal', async () => {
    await using h = await createHarness();
    let outer: MessageContext | undefined;
    let inner: MessageContext | undefined;
    const spy = functionEndpoint('spy', (message, ctx) => {
      inner = ctx;
      return message;
    });
    await h.send([
      (ctx) => {
        outer = ctx;
      },
      call(timeout(100)(spy)),
    ]);
    expect(inner).not.toBe(outer);
    expect(inner?.signal).not.toBe(outer?.signal);
    const { signal: _a, ...innerRest } = inner!;
    const { signal: _b, ...outerRest } = outer!;
    expect(Object.keys(innerRest).sort()).toEqual(Object.keys(outerRest).sort());
    for (const key of Object.keys(outerRest) as (keyof typeof outerRest)[]) {
      expect(innerRest[key]).toBe(outerRest[key]);
    }
  });

  it("fails with the message's own cancellation when the message is cancelled before the deadline", async () => {
    await using h = await createHarness();
    h.mock('slow').delay(5000);
    const controller = new AbortController();
    const pending = h.send([call(timeout(1000)(h.mock('slow')))], {}, { signal: controller.signal });
    await h.clock.tick(100);
    controller.abort('client went away');
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ABORTED');
    expect(!result.ok && result.error.message).toContain('client went away');
    expect(h.clock.pending).toBe(0);
  });

  it('keeps the wrapped endpoint name and forwards close', async () => {
    let closed = 0;
    const endpoint = {
      ...functionEndpoint('hospital', (m) => m),
      close: async () => {
        closed++;
      },
    };
    const wrapped = timeout(1000)(endpoint);
    expect(wrapped.name).toBe('hospital');
    await wrapped.close?.();
    expect(closed).toBe(1);
  });

  it('rejects a deadline that is not a positive number', () => {
    expect(() => timeout(0)).toThrow(expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' }));
    expect(() => timeout(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' }),
    );
  });
});
