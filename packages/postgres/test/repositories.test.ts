import { type AggregationEntry, aggregate, idempotent, type MessageContext } from '@mediary/core';
import { createHarness, serviceGate, uniqueName } from '@mediary/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresAggregationRepository,
  type PostgresIdempotentRepository,
  postgresAggregationRepository,
  postgresErrors,
  postgresIdempotentRepository,
} from '../src/index.js';
import { dropTables, GUARD_WAIT_MS, holdRestartGuard } from './support.js';

const postgres = await serviceGate('postgres');

const entry = (value: unknown, receivedAt: number, vars: Record<string, unknown> = {}): AggregationEntry => ({
  value,
  contentType: 'application/json',
  headers: { 'x-at': String(receivedAt) },
  vars,
  correlationId: `c-${receivedAt}`,
  receivedAt,
});

describe.skipIf(!postgres.available)('postgres repositories', () => {
  const aggregationTable = uniqueName('agg').replaceAll('-', '_');
  const idempotentTable = uniqueName('idem').replaceAll('-', '_');
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let releaseGuard: () => Promise<void>;

  const aggregation = (name = uniqueName('agg'), on = pool): PostgresAggregationRepository =>
    postgresAggregationRepository({ pool: on, table: aggregationTable, name });
  const seen = (name = uniqueName('idem'), on = pool): PostgresIdempotentRepository =>
    postgresIdempotentRepository({ pool: on, table: idempotentTable, name });

  beforeAll(async () => {
    releaseGuard = await holdRestartGuard(postgres.url);
    pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
    pool.on('error', () => {});
    otherPool = new pg.Pool({ connectionString: postgres.url, max: 8 });
    otherPool.on('error', () => {});
  }, GUARD_WAIT_MS);
  afterAll(async () => {
    await dropTables(pool, aggregationTable, idempotentTable);
    await Promise.all([pool.end(), otherPool.end()]);
    await releaseGuard();
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

    it('lists open groups oldest first, forgets removed ones and keeps names apart', async () => {
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
      const a = aggregation(name, pool);
      const b = aggregation(name, otherPool);
      await Promise.all(
        Array.from({ length: 40 }, (_, n) => (n % 2 ? a : b).add('group', entry(n, 1000 + n))),
      );
      const group = await a.get('group');
      expect(group!.entries.map((e) => e.value).sort((x, y) => (x as number) - (y as number))).toEqual(
        Array.from({ length: 40 }, (_, n) => n),
      );
    });

    it('refuses an entry that JSON cannot hold', async () => {
      const repo = aggregation();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const error = await repo.add('k', entry(cyclic, 1)).catch((e: unknown) => e);
      expect(postgresErrors.NOT_SERIALISABLE.is(error)).toBe(true);
    });

    it('completes a group fed by two engines sharing the repository', async () => {
      const name = uniqueName('engines');
      const completed: unknown[] = [];
      const make = (on: pg.Pool) =>
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
      const [a, b] = [make(pool), make(otherPool)];
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

    it('forgets a key once its window passed, on the server clock', async () => {
      const repo = seen();
      expect(await repo.add('m-1', 150)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await repo.contains('m-1')).toBe(false);
      expect(await repo.add('m-1', 60_000)).toBe(true);
      expect(await repo.add('m-1', 60_000)).toBe(false);
    });

    it('tells exactly one of many concurrent callers on two pools that a key is new', async () => {
      const name = uniqueName('race');
      const a = seen(name, pool);
      const b = seen(name, otherPool);
      for (const key of ['k-1', 'k-2', 'k-3']) {
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, n) => (n % 2 ? a : b).add(key, 60_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      }
    });

    it('sweeps expired keys every so many additions', async () => {
      const repo = postgresIdempotentRepository({
        pool,
        table: idempotentTable,
        name: uniqueName('sweep'),
        sweepEvery: 3,
      });
      await repo.add('old-1', 1);
      await repo.add('old-2', 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await repo.add('fresh', 60_000);
      const { rows } = await pool.query(
        `SELECT key FROM ${pg.escapeIdentifier(idempotentTable)} WHERE repository = $1`,
        [repo.name],
      );
      expect(rows).toEqual([{ key: 'fresh' }]);
      expect(await repo.deleteExpired()).toBe(0);
    });

    it('drops a duplicate sent to a second engine through the idempotent mediator', async () => {
      const name = uniqueName('engines');
      const handled: string[] = [];
      const make = (on: pg.Pool) =>
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
      const first = await one.send([make(pool)], { text: 'first', headers: { 'x-message-id': 'm-9' } });
      const copy = await two.send([make(otherPool)], { text: 'copy', headers: { 'x-message-id': 'm-9' } });
      expect(first.ok).toBe(true);
      expect(copy.ok && copy.outcome).toBe('drop');
      expect(handled).toEqual(['first']);
    });

    it('rejects a window that is not a positive number', async () => {
      await expect(seen().add('k', 0)).rejects.toMatchObject({ code: 'MEDIARY_POSTGRES_INVALID_OPTIONS' });
    });
  });
});
