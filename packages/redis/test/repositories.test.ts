import { type AggregationEntry, aggregate, idempotent, type MessageContext } from '@mediary/core';
import { createHarness, serviceGate, uniqueName } from '@mediary/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisAggregationRepository,
  type RedisIdempotentRepository,
  redisAggregationRepository,
  redisErrors,
  redisIdempotentRepository,
} from '../src/index.js';

const redis = await serviceGate('redis');

const entry = (value: unknown, receivedAt: number, vars: Record<string, unknown> = {}): AggregationEntry => ({
  value,
  contentType: 'application/json',
  headers: { 'x-at': String(receivedAt) },
  vars,
  correlationId: `c-${receivedAt}`,
  receivedAt,
});

describe.skipIf(!redis.available)('redis repositories', () => {
  const prefix = uniqueName('mediary-test');
  let client: ReturnType<typeof createClient>;
  let otherClient: ReturnType<typeof createClient>;
  const opened: Array<{ close(): Promise<void> }> = [];

  const connect = async () => {
    const c = createClient({ url: redis.url });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const aggregation = (name = uniqueName('agg'), on = client): RedisAggregationRepository => {
    const repo = redisAggregationRepository({ client: on, prefix: `${prefix}:${name}:` });
    opened.push(repo);
    return repo;
  };
  const seen = (name = uniqueName('idem'), on = client): RedisIdempotentRepository => {
    const repo = redisIdempotentRepository({ client: on, prefix: `${prefix}:${name}:` });
    opened.push(repo);
    return repo;
  };

  beforeAll(async () => {
    client = await connect();
    otherClient = await connect();
  });
  afterAll(async () => {
    for (const repo of opened) await repo.close();
    const left: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) left.push(...keys);
    if (left.length > 0) await client.del(left);
    await Promise.all([client.close(), otherClient.close()]);
  });

  describe('aggregation repository', () => {
    it('appends entries in order and returns the whole group each time', async () => {
      const repo = aggregation();
      const first = await repo.add('order-1', entry({ sku: 'a' }, 100, { line: 1 }));
      expect(first).toEqual({
        key: 'order-1',
        entries: [entry({ sku: 'a' }, 100, { line: 1 })],
        createdAt: 100,
        updatedAt: 100,
      });
      const second = await repo.add('order-1', entry('text value', 250));
      expect(second.entries.map((e) => e.value)).toEqual([{ sku: 'a' }, 'text value']);
      expect([second.createdAt, second.updatedAt]).toEqual([100, 250]);
      expect(await repo.get('order-1')).toEqual(second);
    });

    it('lists open groups oldest first, forgets removed ones and keeps prefixes apart', async () => {
      const repo = aggregation();
      const other = aggregation();
      await repo.add('b', entry(null, 1));
      await repo.add('a', entry(null, 2));
      await repo.add('b', entry(null, 3));
      await other.add('c', entry(null, 4));
      expect(await repo.keys()).toEqual(['b', 'a']);
      await repo.remove('b');
      expect(await repo.get('b')).toBeUndefined();
      expect(await repo.keys()).toEqual(['a']);
      expect(await other.keys()).toEqual(['c']);
    });

    it('keeps every entry when two processes add to one group at once', async () => {
      const name = uniqueName('shared');
      const a = aggregation(name, client);
      const b = aggregation(name, otherClient);
      await Promise.all(
        Array.from({ length: 40 }, (_, n) => (n % 2 ? a : b).add('group', entry(n, 1000 + n))),
      );
      const group = await a.get('group');
      expect(group!.entries.map((e) => e.value as number).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 40 }, (_, n) => n),
      );
    });

    it('refuses an entry that JSON cannot hold', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const error = await aggregation()
        .add('k', entry(cyclic, 1))
        .catch((e: unknown) => e);
      expect(redisErrors.NOT_SERIALISABLE.is(error)).toBe(true);
    });

    it('completes a group fed by two engines sharing the repository', async () => {
      const name = uniqueName('engines');
      const completed: unknown[] = [];
      const make = (on: typeof client) =>
        aggregate({
          correlate: (ctx: MessageContext) => ctx.message.headers.get('x-order') ?? 'none',
          complete: { size: 3 },
          completeOnStop: false,
          repository: aggregation(name, on),
          onComplete: [
            async (ctx: MessageContext) => {
              completed.push(await ctx.message.json());
            },
          ],
        });
      await using one = await createHarness();
      await using two = await createHarness();
      const [a, b] = [make(client), make(otherClient)];
      await one.send([a], { json: 1, headers: { 'x-order': 'o-7' } });
      await two.send([b], { json: 2, headers: { 'x-order': 'o-7' } });
      expect(completed).toEqual([]);
      await one.send([a], { json: 3, headers: { 'x-order': 'o-7' } });
      expect(completed).toEqual([[1, 2, 3]]);
    });
  });

  describe('idempotent repository', () => {
    it('records a key once and reports it as seen within the window', async () => {
      const repo = seen();
      expect(await repo.add('m-1', 60_000)).toBe(true);
      expect(await repo.add('m-1', 60_000)).toBe(false);
      expect(await repo.contains('m-1')).toBe(true);
      expect(await repo.contains('m-2')).toBe(false);
      await repo.remove('m-1');
      expect(await repo.contains('m-1')).toBe(false);
      expect(await repo.add('m-1', 60_000)).toBe(true);
    });

    it('lets Redis expire a key once its window passed', async () => {
      const repo = seen();
      expect(await repo.add('m-1', 100)).toBe(true);
      const ttl = await client.pTTL(`${repo.prefix}m-1`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(100);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await repo.contains('m-1')).toBe(false);
      expect(await repo.add('m-1', 60_000)).toBe(true);
    });

    it('tells exactly one of many concurrent callers on two clients that a key is new', async () => {
      const name = uniqueName('race');
      const a = seen(name, client);
      const b = seen(name, otherClient);
      for (const key of ['k-1', 'k-2', 'k-3']) {
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, n) => (n % 2 ? a : b).add(key, 60_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      }
    });

    it('drops a duplicate sent to a second engine through the idempotent mediator', async () => {
      const name = uniqueName('engines');
      const handled: string[] = [];
      const make = (on: typeof client) =>
        idempotent({
          key: (ctx: MessageContext) => ctx.message.headers.get('x-message-id') ?? '',
          repository: seen(name, on),
          steps: [
            async (ctx: MessageContext) => {
              handled.push(await ctx.message.text());
            },
          ],
        });
      await using one = await createHarness();
      await using two = await createHarness();
      const first = await one.send([make(client)], { text: 'first', headers: { 'x-message-id': 'm-9' } });
      const copy = await two.send([make(otherClient)], { text: 'copy', headers: { 'x-message-id': 'm-9' } });
      expect(first.ok).toBe(true);
      expect(copy.ok && copy.outcome).toBe('drop');
      expect(handled).toEqual(['first']);
    });

    it('opens and closes a client of its own from a URL', async () => {
      const repo = redisIdempotentRepository({ url: redis.url, prefix: `${prefix}:own:` });
      expect(await repo.add('k', 60_000)).toBe(true);
      await repo.close();
      await expect(repo.contains('k')).rejects.toMatchObject({ code: 'MEDIARY_REDIS_CLOSED' });
    });

    it('rejects a window that is not a positive number', async () => {
      await expect(seen().add('k', Number.NaN)).rejects.toMatchObject({
        code: 'MEDIARY_REDIS_INVALID_OPTIONS',
      });
    });
  });
});
