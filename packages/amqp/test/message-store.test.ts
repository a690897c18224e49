import { createFakeClock, serviceGate, uniqueName } from '@mediary/testing';
// Core keeps its conformance suite out of its entry point (it imports vitest); there is no subpath export.
import { describeMessageStore, sampleStoredMessage, useSharedService } from '@mediary/testing/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AmqpMessageStore, amqpConnection, amqpMessageStore } from '../src/index.js';
import { type Admin, openAdmin } from './support.js';

const amqp = await serviceGate('amqp');

describe.skipIf(!amqp.available)('amqp message store', () => {
  useSharedService('amqp');
  let admin: Admin;
  const created: string[] = [];
  beforeAll(async () => {
    admin = await openAdmin(amqp.url);
  });
  afterAll(async () => {
    await admin?.deleteQueues(...created);
    await admin?.close();
  });

  const clock = createFakeClock();
  /** A store on a fresh durable queue, on the fake clock (lease expiry and release delays). */
  const createStore = (options: { release?: 'requeue' | 'republish'; queue?: string } = {}) => {
    const queue = options.queue ?? uniqueName('store');
    if (!created.includes(queue)) created.push(queue);
    const connection = amqpConnection({ url: amqp.url, name: queue });
    return amqpMessageStore({
      connection,
      queue,
      clock,
      ...(options.release ? { release: options.release } : {}),
    });
  };

  describeMessageStore('amqp (release: requeue)', async () => createStore(), {
    advance: (ms) => clock.tick(ms),
  });

  it('keeps an enqueued message across store instances and connections (the queue is durable)', async () => {
    const queue = uniqueName('store');
    const first = createStore({ queue });
    const sent = sampleStoredMessage({ headers: { 'x-order': '7' }, vars: { total: 12.5 } });
    await first.enqueue(sent);
    await first.close();
    const second = createStore({ queue });
    try {
      const lease = await second.lease();
      expect(lease!.message).toMatchObject({
        id: sent.id,
        headers: { 'x-order': '7' },
        vars: { total: 12.5 },
      });
      await second.ack(lease!);
      expect(await second.size()).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('gives a leased message back to the queue when the store closes without settling it', async () => {
    const queue = uniqueName('store');
    const first = createStore({ queue });
    const sent = sampleStoredMessage();
    await first.enqueue(sent);
    expect((await first.lease())!.message.id).toBe(sent.id);
    await first.close();
    const second = createStore({ queue });
    try {
      expect((await second.lease())!.message.id).toBe(sent.id);
    } finally {
      await second.purge();
      await second.close();
    }
  });

  it('fails with MEDIARY_STORE_CLOSED once closed', async () => {
    const store = createStore();
    await store.close();
    await expect(store.enqueue(sampleStoredMessage())).rejects.toMatchObject({
      code: 'MEDIARY_STORE_CLOSED',
    });
  });

  describe('with release: republish', () => {
    let store: AmqpMessageStore;
    beforeAll(() => {
      store = createStore({ release: 'republish' });
    });
    afterAll(async () => {
      await store.purge();
      await store.close();
    });

    it('persists the attempt count and last error in the message, at the tail of the queue', async () => {
      const first = sampleStoredMessage();
      const second = sampleStoredMessage();
      await store.enqueue(first);
      await store.enqueue(second);
      const lease = await store.lease();
      await store.release(lease!, { error: { code: 'MEDIARY_TEST', message: 'backend down' } });
      const next = await store.lease();
      expect(next!.message.id).toBe(second.id);
      const again = await store.lease();
      expect(again!.message).toMatchObject({
        id: first.id,
        attempts: 1,
        lastError: { code: 'MEDIARY_TEST', message: 'backend down' },
      });
      await store.ack(next!);
      await store.ack(again!);
      expect(await store.size()).toBe(0);
    });

    it('counts attempts across store instances, because they travel in the message', async () => {
      const sent = sampleStoredMessage();
      await store.enqueue(sent);
      const lease = await store.lease();
      await store.release(lease!);
      const other = createStore({ release: 'republish', queue: store.queue });
      try {
        const again = await other.lease();
        expect(again!.message).toMatchObject({ id: sent.id, attempts: 1 });
        await other.ack(again!);
      } finally {
        await other.close();
      }
    });
  });
});
