import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { createMessage } from '../message.js';
import { circuitBreaker, failover } from './index.js';

const down = (endpoint: string) => coreErrors.ENDPOINT_FAILED({ endpoint, reason: 'connection refused' });

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('failover', () => {
  it('answers from the first member that succeeds, in order', async () => {
    await using h = await createHarness();
    h.mock('primary').fail(down('primary'));
    h.mock('backup').reply({ json: { from: 'backup' } });
    h.mock('last').reply({ json: { from: 'last' } });
    const result = await h.send([call(failover(['primary', 'backup', 'last'])), respond()], {
      json: { a: 1 },
    });
    expect(result.ok && (await result.message.json())).toEqual({ from: 'backup' });
    h.mock('primary').expectCalled(1);
    h.mock('backup').expectCalled(1);
    h.mock('last').expectNotCalled();
    expect(h.mock('backup').received()).toEqual({ a: 1 });
  });

  it('throws an error that is not retryable at once, without trying the next member', async () => {
    await using h = await createHarness();
    h.mock('primary').fail(coreErrors.VALIDATION_FAILED({ reason: 'no such doctor' }));
    const result = await h.send([call(failover(['primary', 'backup']))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_VALIDATION_FAILED');
    h.mock('backup').expectNotCalled();
  });

  it('fails with NO_ENDPOINT_AVAILABLE, the last error as its cause, when every member fails', async () => {
    await using h = await createHarness();
    h.mock('a').fail(down('a'));
    h.mock('b').fail(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'b', timeoutMs: 10 }));
    const result = await h.send([call(failover(['a', 'b'], { name: 'hospital' }))]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('MEDIARY_NO_ENDPOINT_AVAILABLE');
    expect(result.error.status).toBe(503);
    expect(result.error.message).toBe('No endpoint of hospital could take the message');
    expect(coreErrors.ENDPOINT_TIMEOUT.is(result.error.cause)).toBe(true);
  });

  it('moves on for exactly the errors isFailure accepts', async () => {
    await using h = await createHarness();
    h.mock('a').fail(coreErrors.VALIDATION_FAILED({ reason: 'x' }));
    h.mock('b').reply({ text: 'b' });
    const endpoint = failover(['a', 'b'], { isFailure: () => true });
    const result = await h.send([call(endpoint), respond()]);
    expect(result.ok && (await result.message.text())).toBe('b');
  });

  it('skips a suspended member without calling it', async () => {
    await using h = await createHarness();
    const primary = circuitBreaker({ failureThreshold: 1, initialSuspendMs: 60_000 })(
      h.mock('primary').fail(down('primary')),
    );
    h.mock('backup').reply({ text: 'backup' });
    const group = failover([primary, 'backup']);
    await h.send([call(group)]);
    expect(primary.state).toBe('suspended');
    const result = await h.send([call(group), respond()]);
    expect(result.ok && (await result.message.text())).toBe('backup');
    h.mock('primary').expectCalled(1);
    h.mock('backup').expectCalled(2);
  });

  it('sends the next member the same body when the request was an unread stream', async () => {
    await using h = await createHarness();
    const seen: string[] = [];
    const reader = (name: string, fail: boolean) =>
      functionEndpoint(name, async (message) => {
        const parts: Uint8Array[] = [];
        for await (const chunk of message.stream()) parts.push(chunk);
        seen.push(`${name}:${Buffer.concat(parts).toString()}`);
        if (fail) throw down(name);
        return { text: 'ok' };
      });
    const request = createMessage({ body: chunks('pay', 'load') });
    const result = await h.send([call(failover([reader('a', true), reader('b', false)]))], request);
    expect(result.ok).toBe(true);
    expect(seen).toEqual(['a:payload', 'b:payload']);
  });

  it('does not try the next member when the message was cancelled', async () => {
    await using h = await createHarness();
    h.mock('a').delay(1000);
    const controller = new AbortController();
    const pending = h.send([call(failover(['a', 'b']))], {}, { signal: controller.signal });
    await h.clock.tick(10);
    controller.abort('client went away');
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ABORTED');
    h.mock('b').expectNotCalled();
  });

  it('is named after its members unless named, and closes the members it was given as values', async () => {
    let closed = 0;
    const owned = { ...functionEndpoint('owned', (m) => m), close: async () => void closed++ };
    const group = failover(['registered', owned]);
    expect(group.name).toBe('failover(registered,owned)');
    await group.close?.();
    expect(closed).toBe(1);
    expect(failover(['x']).close).toBeUndefined();
  });

  it('rejects an empty list', () => {
    expect(() => failover([])).toThrow(expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' }));
  });
});
