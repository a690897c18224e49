import { createHarness, type Harness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { type Endpoint, functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { loadBalance } from './index.js';

const down = (endpoint: string) => coreErrors.ENDPOINT_FAILED({ endpoint, reason: 'connection refused' });

/** Each named mock answers with its own name; returns who answered each of `n` calls. */
async function answers(h: Harness, group: Endpoint, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const result = await h.send([call(group), respond()]);
    out.push(result.ok ? await result.message.text() : `error:${result.error.code}`);
  }
  return out;
}

async function mocks(names: string[]) {
  const h = await createHarness();
  for (const name of names) h.mock(name).reply({ text: name });
  return h;
}

describe('loadBalance', () => {
  it('takes the members in turn with round-robin', async () => {
    await using h = await mocks(['a', 'b', 'c']);
    expect(await answers(h, loadBalance(['a', 'b', 'c']), 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('interleaves members by weight with smooth weighted round-robin', async () => {
    await using h = await mocks(['a', 'b', 'c']);
    const group = loadBalance(['a', 'b', 'c'], { strategy: 'weighted', weights: [5, 1, 1] });
    expect(await answers(h, group, 14)).toEqual([
      ...['a', 'a', 'b', 'a', 'c', 'a', 'a'],
      ...['a', 'a', 'b', 'a', 'c', 'a', 'a'],
    ]);
  });

  it('never picks a member of weight 0', async () => {
    await using h = await mocks(['a', 'b', 'c']);
    const group = loadBalance(['a', 'b', 'c'], { strategy: 'weighted', weights: [0, 2, 1] });
    expect(await answers(h, group, 6)).toEqual(['b', 'c', 'b', 'b', 'c', 'b']);
    h.mock('a').expectNotCalled();
  });

  it('fails over to the following members when the chosen one fails, by default', async () => {
    await using h = await mocks(['a', 'b', 'c']);
    h.mock('b').fail(down('b'));
    // Call 1 picks a; call 2 picks b, which fails, so c answers; call 3 picks c.
    expect(await answers(h, loadBalance(['a', 'b', 'c']), 3)).toEqual(['a', 'c', 'c']);
  });

  it('fails with NO_ENDPOINT_AVAILABLE when every member failed over to fails', async () => {
    await using h = await mocks(['a', 'b']);
    h.mock('a').fail(down('a'));
    h.mock('b').fail(down('b'));
    const result = await h.send([call(loadBalance(['a', 'b'], { name: 'fees' }))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_NO_ENDPOINT_AVAILABLE');
    expect(!result.ok && coreErrors.ENDPOINT_FAILED.is(result.error.cause)).toBe(true);
  });

  it("throws the chosen member's error as it is when failover is off", async () => {
    await using h = await mocks(['a', 'b']);
    h.mock('a').fail(down('a'));
    const result = await h.send([call(loadBalance(['a', 'b'], { failover: false }))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_FAILED');
    h.mock('b').expectNotCalled();
  });

  it('does not fail over after an error that is not retryable', async () => {
    await using h = await mocks(['a', 'b']);
    h.mock('a').fail(coreErrors.VALIDATION_FAILED({ reason: 'x' }));
    const result = await h.send([call(loadBalance(['a', 'b']))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_VALIDATION_FAILED');
    h.mock('b').expectNotCalled();
  });

  it('closes the members it was given as values', async () => {
    let closed = 0;
    const owned = { ...functionEndpoint('owned', (m) => m), close: async () => void closed++ };
    const group = loadBalance([owned, 'registered']);
    expect(group.name).toBe('loadBalance(owned,registered)');
    await group.close?.();
    expect(closed).toBe(1);
  });

  it('rejects weights that do not fit the members or the strategy', () => {
    const invalid = expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' });
    expect(() => loadBalance([])).toThrow(invalid);
    expect(() => loadBalance(['a', 'b'], { strategy: 'weighted', weights: [1] })).toThrow(invalid);
    expect(() => loadBalance(['a'], { strategy: 'weighted', weights: [0] })).toThrow(invalid);
    expect(() => loadBalance(['a'], { weights: [1] })).toThrow(invalid);
    expect(() => loadBalance(['a'], { strategy: 'weighted', weights: [-1] })).toThrow(invalid);
  });
});
