import { storeErrors } from '@mediary/core';
import { serviceGate, uniqueName } from '@mediary/testing';
import { describeMessageStore, sampleStoredMessage } from '@mediary/testing/conformance';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisMessageStore,
  type RedisMessageStoreOptions,
  redisErrors,
  redisMessageStore,
} from '../src/index.js';

const redis = await serviceGate('redis');
const LEASE_MS = 300;

/** The store's time is the server's: waiting is the only way to move it (plus a margin for the round trip). */
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms + 30));

describe.skipIf(!redis.available)('redis message store', () => {
  const prefix = uniqueName('mediary-test');
  let client: ReturnType<typeof createClient>;
  const opened: RedisMessageStore[] = [];

  /** A store on the shared client, or on a client of its own when given a URL. */
  const open = (
    options: Partial<Omit<RedisMessageStoreOptions, 'client' | 'url'>> & { url?: string } = {},
  ): RedisMessageStore => {
    const { url, ...rest } = options;
    const connection = url === undefined ? { client } : { url };
    const store = redisMessageStore({
      ...connection,
      key: `${prefix}:${uniqueName('q')}`,
      leaseMs: LEASE_MS,
      ...rest,
    });
    opened.push(store);
    return store;
  };

  const keysLeft = async () => {
    const found: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) found.push(...keys);
    return found;
  };

  beforeAll(async () => {
    client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(async () => {
    for (const store of opened) {
      await store.purge().catch(() => {});
      await store.close();
    }
    const left = await keysLeft();
    if (left.length > 0) await client.del(left);
    await client.close();
  });

  describeMessageStore('redis', async () => open(), { advance: wait, leaseMs: LEASE_MS });

  it('never delivers one message to two stores on independent clients leasing at once', async () => {
    const key = `${prefix}:shared`;
    const a = open({ url: redis.url, key });
    const b = open({ url: redis.url, key });
    const ids: string[] = [];
    for (let n = 0; n < 200; n++) ids.push(await a.enqueue(sampleStoredMessage({ vars: { n } })));
    const held = new Set<string>();
    const delivered: string[] = [];
    const worker = async (store: RedisMessageStore) => {
      for (;;) {
        const lease = await store.lease({ leaseMs: 60_000 });
        if (!lease) return;
        // Two holders of one message at the same moment would show up here.
        expect(held.has(lease.message.id)).toBe(false);
        held.add(lease.message.id);
        delivered.push(lease.message.id);
        await new Promise((resolve) => setImmediate(resolve));
        held.delete(lease.message.id);
        await store.ack(lease);
      }
    };
    await Promise.all([worker(a), worker(a), worker(a), worker(b), worker(b), worker(b)]);
    expect(delivered).toHaveLength(200);
    expect(new Set(delivered)).toEqual(new Set(ids));
    expect(await a.size()).toBe(0);
  });

  it('leases in enqueue order across stores, whichever store enqueued', async () => {
    const key = `${prefix}:order`;
    const a = open({ key, consumer: 'a' });
    const b = open({ key, consumer: 'b' });
    const ids: string[] = [];
    for (let n = 0; n < 10; n++)
      ids.push(await (n % 2 ? a : b).enqueue(sampleStoredMessage({ vars: { n } })));
    const leased: string[] = [];
    for (let n = 0; n < 10; n++) leased.push((await (n % 3 ? a : b).lease())!.message.id);
    expect(leased).toEqual(ids);
  });

  it('gives a crashed consumer’s message to another consumer once its lease ran out, counting the attempt', async () => {
    const key = `${prefix}:crash`;
    const crashed = open({ key, consumer: 'crashed' });
    const survivor = open({ key, consumer: 'survivor' });
    const first = await crashed.enqueue(sampleStoredMessage());
    const second = await crashed.enqueue(sampleStoredMessage());
    const lost = await crashed.lease({ leaseMs: 150 });
    expect(lost!.message.id).toBe(first);
    // The survivor gets the next new message meanwhile, not the leased one.
    const next = await survivor.lease({ leaseMs: 60_000 });
    expect(next!.message.id).toBe(second);
    expect(await survivor.lease()).toBeUndefined();
    await wait(150);
    const reclaimed = await survivor.lease();
    expect(reclaimed!.message.id).toBe(first);
    expect(reclaimed!.message.attempts).toBe(1);
    const pending = (await client.sendCommand(['XPENDING', key, 'mediary', '-', '+', '10'])) as unknown[][];
    expect(pending.map((p) => p[1])).toEqual(['survivor', 'survivor']);
    await expect(crashed.ack(lost!)).rejects.toMatchObject({ code: 'MEDIARY_STORE_LEASE_LOST' });
  });

  it('round-trips attempts, last error, enqueue time, raw bytes and the key order of variables', async () => {
    const store = open();
    const body = Buffer.from([0, 255, 13, 10, 0x80, 0xc3, 0x28, 0]);
    const message = sampleStoredMessage({
      body,
      contentType: 'application/octet-stream',
      headers: { 'x-emoji': '🚀', 'x-empty': '' },
      vars: { order: { zeta: 1, alpha: 2 }, text: 'a\u0000b', list: [null, true, 1.5] },
      attempts: 2,
      enqueuedAt: 1_767_225_600_123,
      lastError: { code: 'MEDIARY_TEST', message: 'earlier failure' },
    });
    await store.enqueue(message);
    const [browsed] = await store.browse();
    const lease = await store.lease();
    for (const got of [browsed!, lease!.message]) {
      expect(Buffer.from(got.body).equals(body)).toBe(true);
      expect({ ...got, body: null }).toEqual({ ...message, body: null });
      expect(JSON.stringify(got.vars)).toBe(JSON.stringify(message.vars));
    }
  });

  it('shows attempts in browse as a lease would see them', async () => {
    const store = open();
    await store.enqueue(sampleStoredMessage());
    const lease = await store.lease();
    expect((await store.browse())[0]!.attempts).toBe(0);
    await store.release(lease!, { delayMs: 60_000, error: { code: 'MEDIARY_TEST', message: 'no' } });
    const [released] = await store.browse();
    expect(released!.attempts).toBe(1);
    expect(released!.lastError).toEqual({ code: 'MEDIARY_TEST', message: 'no' });
  });

  it('refuses a second message with the same id until the first is acknowledged', async () => {
    const store = open();
    const message = sampleStoredMessage();
    await store.enqueue(message);
    const error = await store.enqueue(message).catch((e: unknown) => e);
    expect(storeErrors.DUPLICATE_ID.is(error)).toBe(true);
    expect(await store.size()).toBe(1);
    await store.ack((await store.lease())!);
    await store.enqueue(message);
    expect(await store.size()).toBe(1);
  });

  it('refuses a lease token that another store handed out', async () => {
    const a = open();
    const b = open();
    await a.enqueue(sampleStoredMessage());
    await b.enqueue(sampleStoredMessage());
    const lease = await a.lease();
    await expect(b.ack(lease!)).rejects.toMatchObject({ code: 'MEDIARY_STORE_LEASE_LOST' });
    await expect(b.ack({ ...lease!, token: 'garbage' })).rejects.toMatchObject({
      code: 'MEDIARY_STORE_LEASE_LOST',
    });
    expect(await b.size()).toBe(1);
  });

  it('reconnects after Redis drops its connection, failing only with retryable errors meanwhile', async () => {
    const store = open({ url: redis.url });
    const id = await store.enqueue(sampleStoredMessage());
    const clientId = await store.client.sendCommand(['CLIENT', 'ID']);
    await client.sendCommand(['CLIENT', 'KILL', 'ID', String(clientId)]);
    // Reads are safe to repeat: wait for the store to answer again.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        expect(await store.size()).toBe(1);
        break;
      } catch (error) {
        expect(error).toMatchObject({ code: 'MEDIARY_REDIS_UNAVAILABLE', retryable: true });
        if (Date.now() > deadline) throw error;
        await wait(20);
      }
    }
    const lease = await store.lease();
    expect(lease!.message.id).toBe(id);
    await store.ack(lease!);
    expect(await store.size()).toBe(0);
  });

  it('runs its scripts again after Redis forgot them', async () => {
    const store = open();
    await store.enqueue(sampleStoredMessage());
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await store.lease()).toBeDefined();
  });

  it('forgets its consumer on close unless it still holds leases', async () => {
    const key = `${prefix}:consumers`;
    const done = open({ key, consumer: 'done' });
    const holding = open({ key, consumer: 'holding' });
    await done.enqueue(sampleStoredMessage());
    await done.enqueue(sampleStoredMessage());
    await holding.lease();
    await done.ack((await done.lease())!);
    await done.close();
    await holding.close();
    const consumers = (await client.sendCommand(['XINFO', 'CONSUMERS', key, 'mediary'])) as unknown[][];
    expect(consumers.map((c) => c[1])).toEqual(['holding']);
  });

  it('fails with MEDIARY_STORE_CLOSED after close and leaves a client it was given open', async () => {
    const store = open();
    await store.close();
    await expect(store.size()).rejects.toMatchObject({ code: 'MEDIARY_STORE_CLOSED', retryable: true });
    expect(await client.ping()).toBe('PONG');
  });

  it('fails with a retryable MEDIARY_REDIS_UNAVAILABLE when Redis cannot be reached in time', async () => {
    const store = open({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    const error = await store.lease().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MEDIARY_REDIS_UNAVAILABLE', retryable: true, status: 503 });
  });

  it('reports a stream entry it did not write as corrupt', async () => {
    const store = open();
    await client.xAdd(store.key, '*', { foreign: 'entry' });
    const error = await store.lease().catch((e: unknown) => e);
    expect(redisErrors.CORRUPT_ENTRY.is(error)).toBe(true);
  });

  it('rejects options it cannot use', () => {
    expect(() => redisMessageStore({ client, key: '' })).toThrow(/key/);
    expect(() => redisMessageStore({ client, key: 'k', leaseMs: -1 })).toThrow(/leaseMs/);
    expect(() =>
      redisMessageStore({ client, url: redis.url, key: 'k' } as unknown as RedisMessageStoreOptions),
    ).toThrow(/exactly one/);
  });

  it('leaves no keys behind once purged', async () => {
    const store = open();
    await store.enqueue(sampleStoredMessage());
    const lease = await store.lease();
    await store.release(lease!, { error: { code: 'MEDIARY_TEST', message: 'x' } });
    expect(await store.purge()).toBe(1);
    const [stream, ...side] = [store.key, `${store.key}:leases`, `${store.key}:errors`, `${store.key}:ids`];
    expect(await client.exists([stream!, ...side])).toBe(0);
  });
});
