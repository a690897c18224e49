import { randomUUID } from 'node:crypto';
import { type Lease, type MessageStore, storeErrors } from '@mediary/core';
import { serviceGate, uniqueName } from '@mediary/testing';
import { describeMessageStore, sampleStoredMessage } from '@mediary/testing/conformance';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresMessageStore,
  type PostgresMessageStoreOptions,
  postgresErrors,
  postgresMessageStore,
} from '../src/index.js';
import { dropTables, enqueueThenKill, GUARD_WAIT_MS, holdRestartGuard } from './support.js';

const postgres = await serviceGate('postgres');
const LEASE_MS = 300;

/** The store's time is the server's: waiting is the only way to move it (plus a margin for the round trip). */
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms + 30));

describe.skipIf(!postgres.available)('postgres message store', () => {
  const table = uniqueName('mq').replaceAll('-', '_');
  let pool: pg.Pool;
  let releaseGuard: () => Promise<void>;
  const opened: MessageStore[] = [];

  /** A store on the shared pool, or on a pool of its own when given a connection string. */
  const open = (
    options: Partial<Omit<PostgresMessageStoreOptions, 'pool' | 'connectionString'>> & {
      connectionString?: string;
    } = {},
  ): PostgresMessageStore => {
    const { connectionString, ...rest } = options;
    const connection = connectionString === undefined ? { pool } : { connectionString };
    const store = postgresMessageStore({
      ...connection,
      table,
      name: uniqueName('queue'),
      leaseMs: LEASE_MS,
      ...rest,
    });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    releaseGuard = await holdRestartGuard(postgres.url);
    pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
    pool.on('error', () => {});
  }, GUARD_WAIT_MS);
  afterAll(async () => {
    for (const store of opened) await store.close?.();
    await dropTables(pool, table);
    await pool.end();
    await releaseGuard();
  });

  describeMessageStore('postgres', async () => open(), { advance: wait, leaseMs: LEASE_MS });

  it('never delivers one message to two stores on independent pools leasing at once', async () => {
    const name = uniqueName('shared');
    const a = open({ connectionString: postgres.url, name });
    const b = open({ connectionString: postgres.url, name });
    const ids: string[] = [];
    for (let n = 0; n < 200; n++) ids.push(await a.enqueue(sampleStoredMessage({ vars: { n } })));
    const held = new Set<string>();
    const delivered: string[] = [];
    const worker = async (store: PostgresMessageStore) => {
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
    const name = uniqueName('order');
    const a = open({ name });
    const b = open({ name });
    const ids: string[] = [];
    for (let n = 0; n < 10; n++)
      ids.push(await (n % 2 ? a : b).enqueue(sampleStoredMessage({ vars: { n } })));
    const leased: string[] = [];
    for (let n = 0; n < 10; n++) {
      const lease = await (n % 3 ? a : b).lease();
      leased.push(lease!.message.id);
    }
    expect(leased).toEqual(ids);
  });

  it('round-trips attempts, last error, enqueue time and unicode headers and nested variables', async () => {
    const store = open();
    const message = sampleStoredMessage({
      body: Buffer.from('<a>ü</a>'),
      contentType: 'application/xml; charset=utf-8',
      headers: { 'x-emoji': '🚀', 'x-empty': '' },
      vars: { deep: { list: [1, 'two', { three: [null, true] }] }, text: 'a\u0000b', big: 2 ** 52 },
      attempts: 2,
      enqueuedAt: 1_767_225_600_123,
      lastError: { code: 'MEDIARY_TEST', message: 'earlier failure' },
    });
    await store.enqueue(message);
    const [browsed] = await store.browse();
    const lease = await store.lease();
    for (const got of [browsed!, lease!.message]) {
      expect({ ...got, body: Buffer.from(got.body).toString() }).toEqual({
        ...message,
        body: '<a>ü</a>',
      });
    }
  });

  it('preserves the key order of stored variables', async () => {
    const store = open();
    await store.enqueue(sampleStoredMessage({ vars: { order: { zeta: 1, alpha: 2, mid: 3 } } }));
    const lease = await store.lease();
    expect(JSON.stringify(lease!.message.vars)).toBe('{"order":{"zeta":1,"alpha":2,"mid":3}}');
  });

  it('counts an expired lease as an attempt and keeps the message at the head', async () => {
    const store = open();
    const first = await store.enqueue(sampleStoredMessage());
    await store.enqueue(sampleStoredMessage());
    const lease = await store.lease({ leaseMs: 100 });
    expect(lease!.expiresAt).toBeGreaterThan(Date.now() - 1000);
    await wait(100);
    const again = await store.lease();
    expect(again!.message.id).toBe(first);
    expect(again!.message.attempts).toBe(1);
    await expect(store.release(lease!)).rejects.toMatchObject({ code: 'MEDIARY_STORE_LEASE_LOST' });
  });

  it('refuses a second message with the same id', async () => {
    const store = open();
    const message = sampleStoredMessage();
    await store.enqueue(message);
    const error = await store.enqueue(message).catch((e: unknown) => e);
    expect(storeErrors.DUPLICATE_ID.is(error)).toBe(true);
    expect(await store.size()).toBe(1);
  });

  it('keeps queues sharing a table apart', async () => {
    const a = open();
    const b = open();
    await a.enqueue(sampleStoredMessage());
    expect(await b.size()).toBe(0);
    expect(await b.lease()).toBeUndefined();
    expect(await b.purge()).toBe(0);
    expect(await a.size()).toBe(1);
  });

  it('fails with MEDIARY_STORE_CLOSED after close and leaves a pool it was given open', async () => {
    const store = open();
    await store.close();
    await expect(store.size()).rejects.toMatchObject({ code: 'MEDIARY_STORE_CLOSED', retryable: true });
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('reports a missing table as a query failure when it may not create it', async () => {
    const store = open({ table: uniqueName('missing').replaceAll('-', '_'), ensureSchema: false });
    const error = await store.size().catch((e: unknown) => e);
    expect(postgresErrors.QUERY_FAILED.is(error)).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('creates its table in a schema of its own', async () => {
    const schema = uniqueName('s').replaceAll('-', '_');
    const store = open({ schema, table: 'messages' });
    try {
      await store.enqueue(sampleStoredMessage());
      expect(await store.size()).toBe(1);
    } finally {
      await pool.query(`DROP SCHEMA ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  });

  it('fails with a retryable MEDIARY_POSTGRES_UNAVAILABLE when the database cannot be reached', async () => {
    const store = open({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectTimeoutMs: 300,
    });
    const started = Date.now();
    const error = await store.lease().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MEDIARY_POSTGRES_UNAVAILABLE', retryable: true, status: 503 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('rejects options it cannot use', () => {
    expect(() => postgresMessageStore({ pool, table: 'x'.repeat(64) })).toThrow(/63 bytes/);
    expect(() => postgresMessageStore({ pool, table, leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() =>
      postgresMessageStore({ pool, connectionString: postgres.url, table } as unknown as Parameters<
        typeof postgresMessageStore
      >[0]),
    ).toThrow(/exactly one/);
  });

  it('keeps every accepted message when the enqueuing process is killed with SIGKILL', async () => {
    const name = uniqueName('killed');
    const accepted = await enqueueThenKill([postgres.url, table, name], 50);
    const store = open({ name });
    const held = new Set((await store.browse(10_000)).map((m) => m.id));
    for (const id of accepted) expect(held.has(id)).toBe(true);
    // Whatever was in flight when the process died is either fully there or absent: no half rows.
    for (const message of await store.browse(10_000)) expect(message.headers['x-n']).toBeDefined();
  });

  it('lets a lease taken before a pool is closed be acknowledged through another pool', async () => {
    const name = uniqueName('handover');
    const a = open({ connectionString: postgres.url, name });
    await a.enqueue(sampleStoredMessage({ id: randomUUID() }));
    const lease: Lease | undefined = await a.lease({ leaseMs: 60_000 });
    await a.close();
    const b = open({ name });
    await b.ack(lease!);
    expect(await b.size()).toBe(0);
  });
});
