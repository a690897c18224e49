/**
 * The conformance suite every message store runs: FIFO order, lease invisibility, lease expiry,
 * acknowledgement, release with attempt counting, round-tripping of headers and variables, browse, size,
 * purge, and concurrent leases that never hand out one message twice. The in-memory store runs it in its
 * tests; a RabbitMQ, PostgreSQL or Redis store runs the same one.
 *
 * Imports vitest: use it from `@mediary/testing/conformance` in test files only.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { MessageStore, StoredMessage } from '@mediary/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface MessageStoreConformanceOptions {
  /**
   * Moves the store's time forward: a fake clock's `tick` for stores on the engine clock, a real wait for
   * stores whose time is the server's.
   */
  readonly advance: (ms: number) => Promise<void>;
  /** Lease length the expiry tests use. Default 1000. */
  readonly leaseMs?: number;
  /** Whether the store supports lease expiry and delayed release. Both default true. */
  readonly leaseExpiry?: boolean;
  readonly releaseDelay?: boolean;
  /** Cleans up after each test. Default: purge, then close. */
  readonly cleanup?: (store: MessageStore) => Promise<void>;
}

/** A stored message for tests: a fresh id, a JSON body, zero attempts. */
export function sampleStoredMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: randomUUID(),
    body: Buffer.from(JSON.stringify({ n: 0 })),
    contentType: 'application/json',
    headers: {},
    vars: {},
    attempts: 0,
    enqueuedAt: 0,
    ...overrides,
  };
}

/**
 * Declares the conformance tests for a store implementation.
 *
 * @example
 * const clock = createFakeClock();
 * describeMessageStore('memory', async () => createMemoryStore('q', { clock }), { advance: (ms) => clock.tick(ms) });
 */
export function describeMessageStore(
  name: string,
  factory: () => Promise<MessageStore>,
  options: MessageStoreConformanceOptions,
): void {
  const leaseMs = options.leaseMs ?? 1000;
  describe(`message store conformance: ${name}`, () => {
    let store: MessageStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      if (options.cleanup) await options.cleanup(store);
      else {
        await store.purge();
        await store.close?.();
      }
    });

    const enqueueNumbers = async (count: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let n = 0; n < count; n++) {
        ids.push(await store.enqueue(sampleStoredMessage({ body: Buffer.from(JSON.stringify({ n })) })));
      }
      return ids;
    };

    it('leases messages in the order they were enqueued', async () => {
      const ids = await enqueueNumbers(3);
      const leased: string[] = [];
      for (let i = 0; i < 3; i++) {
        const lease = await store.lease();
        leased.push(lease!.message.id);
        await store.ack(lease!);
      }
      expect(leased).toEqual(ids);
      expect(await store.lease()).toBeUndefined();
    });

    it('hides a leased message from other consumers until it is settled', async () => {
      const [first, second] = await enqueueNumbers(2);
      const a = await store.lease();
      const b = await store.lease();
      expect(a!.message.id).toBe(first);
      expect(b!.message.id).toBe(second);
      expect(await store.lease()).toBeUndefined();
      expect(await store.size()).toBe(2);
    });

    it('removes a message when its lease is acknowledged', async () => {
      await enqueueNumbers(1);
      const lease = await store.lease();
      await store.ack(lease!);
      expect(await store.size()).toBe(0);
      expect(await store.lease()).toBeUndefined();
    });

    it('refuses to acknowledge a lease twice', async () => {
      await enqueueNumbers(1);
      const lease = await store.lease();
      await store.ack(lease!);
      await expect(store.ack(lease!)).rejects.toMatchObject({ code: 'MEDIARY_STORE_LEASE_LOST' });
    });

    it('counts an attempt on release and delivers the released message first again', async () => {
      const [first] = await enqueueNumbers(2);
      const lease = await store.lease();
      await store.release(lease!, { error: { code: 'MEDIARY_TEST', message: 'backend down' } });
      const again = await store.lease();
      expect(again!.message.id).toBe(first);
      expect(again!.message.attempts).toBe(1);
      expect(again!.message.lastError).toEqual({ code: 'MEDIARY_TEST', message: 'backend down' });
      await store.release(again!);
      expect((await store.lease())!.message.attempts).toBe(2);
    });

    it('round-trips the body bytes, content type, headers and variables', async () => {
      const body = Uint8Array.from({ length: 256 }, (_, i) => i);
      const vars = { patient: { name: 'Jane', tags: ['a', 'b'] }, fee: 7000, paid: false, none: null };
      const headers = { 'x-correlation-id': 'c-1', 'x-note': 'héllo wörld' };
      await store.enqueue(
        sampleStoredMessage({ body, contentType: 'application/octet-stream', headers, vars }),
      );
      const lease = await store.lease();
      expect(Buffer.from(lease!.message.body).equals(Buffer.from(body))).toBe(true);
      expect(lease!.message.contentType).toBe('application/octet-stream');
      expect(lease!.message.headers).toEqual(headers);
      expect(lease!.message.vars).toEqual(vars);
      expect(lease!.message.attempts).toBe(0);
    });

    it('browses in order without leasing, counts with size and empties with purge', async () => {
      const ids = await enqueueNumbers(4);
      expect((await store.browse()).map((m) => m.id)).toEqual(ids);
      expect((await store.browse(2)).map((m) => m.id)).toEqual(ids.slice(0, 2));
      expect(await store.size()).toBe(4);
      const lease = await store.lease();
      expect(lease!.message.id).toBe(ids[0]);
      expect(await store.purge()).toBe(4);
      expect(await store.size()).toBe(0);
      expect(await store.browse()).toEqual([]);
      expect(await store.lease()).toBeUndefined();
    });

    it('never hands the same message to two concurrent leases', async () => {
      await enqueueNumbers(20);
      const leases = await Promise.all(Array.from({ length: 30 }, () => store.lease()));
      const ids = leases.filter((l) => l !== undefined).map((l) => l.message.id);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
    });

    if (options.leaseExpiry !== false) {
      it('delivers a message again once its lease expires', async () => {
        const [first] = await enqueueNumbers(1);
        const lease = await store.lease({ leaseMs });
        expect(await store.lease({ leaseMs })).toBeUndefined();
        await options.advance(leaseMs + 1);
        const again = await store.lease({ leaseMs });
        expect(again!.message.id).toBe(first);
        await expect(store.ack(lease!)).rejects.toMatchObject({ code: 'MEDIARY_STORE_LEASE_LOST' });
        await store.ack(again!);
        expect(await store.size()).toBe(0);
      });
    }

    if (options.releaseDelay !== false) {
      it('keeps a message released with a delay invisible until the delay passed', async () => {
        const [first] = await enqueueNumbers(1);
        const lease = await store.lease({ leaseMs });
        await store.release(lease!, { delayMs: leaseMs });
        expect(await store.lease({ leaseMs })).toBeUndefined();
        await options.advance(leaseMs + 1);
        expect((await store.lease({ leaseMs }))!.message.id).toBe(first);
      });
    }
  });
}
