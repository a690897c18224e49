import { createFakeClock } from '@mediary/testing';
import { describeMessageStore, sampleStoredMessage } from '@mediary/testing/conformance';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';

const clock = createFakeClock();
describeMessageStore('memory', async () => createMemoryStore('conformance', { clock }), {
  advance: (ms) => clock.tick(ms),
});

describe('memory store', () => {
  it('copies what it is given, so the caller can reuse its buffers', async () => {
    const store = createMemoryStore('q');
    const body = Buffer.from('abc');
    const vars = { nested: { a: 1 } };
    await store.enqueue(sampleStoredMessage({ body, vars }));
    body.write('xyz');
    vars.nested.a = 2;
    const lease = await store.lease();
    expect(Buffer.from(lease!.message.body).toString()).toBe('abc');
    expect(lease!.message.vars).toEqual({ nested: { a: 1 } });
  });

  it('counts an expired lease as a failed attempt', async () => {
    const fake = createFakeClock();
    const store = createMemoryStore('q', { clock: fake, leaseMs: 100 });
    await store.enqueue(sampleStoredMessage());
    await store.lease();
    await fake.tick(100);
    expect((await store.lease())!.message.attempts).toBe(1);
  });

  it('refuses messages beyond maxSize, duplicate ids, and anything after close', async () => {
    const store = createMemoryStore('q', { maxSize: 1 });
    const message = sampleStoredMessage();
    await store.enqueue(message);
    await expect(store.enqueue(message)).rejects.toMatchObject({ code: 'MEDIARY_STORE_DUPLICATE_ID' });
    await expect(store.enqueue(sampleStoredMessage())).rejects.toMatchObject({ code: 'MEDIARY_STORE_FULL' });
    await store.close();
    await expect(store.lease()).rejects.toMatchObject({ code: 'MEDIARY_STORE_CLOSED' });
  });

  it('stays in order across many acknowledgements', async () => {
    const store = createMemoryStore('q');
    for (let n = 0; n < 5000; n++) await store.enqueue(sampleStoredMessage({ id: `m${n}` }));
    for (let n = 0; n < 4000; n++) {
      const lease = await store.lease();
      expect(lease!.message.id).toBe(`m${n}`);
      await store.ack(lease!);
    }
    expect(await store.size()).toBe(1000);
    expect((await store.browse(1))[0]!.id).toBe('m4000');
  });
});

describe('copying stored variables', () => {
  it('keeps a __proto__ key as data and never touches a prototype', async () => {
    const store = createMemoryStore('q');
    const vars = JSON.parse('{"__proto__": {"polluted": true}, "safe": [1, {"a": 2}]}') as Record<
      string,
      unknown
    >;
    await store.enqueue(sampleStoredMessage({ vars }));
    const leased = (await store.lease())!.message.vars;
    expect(Object.getPrototypeOf(leased)).toBe(Object.prototype);
    expect(Object.keys(leased)).toEqual(['__proto__', 'safe']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(leased.safe).toEqual([1, { a: 2 }]);
  });
});
