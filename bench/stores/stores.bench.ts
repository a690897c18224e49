/**
 * In-process benchmark of the message stores: one message through enqueue → lease → ack, one after the
 * other, for the in-memory, PostgreSQL and Redis stores, each next to a plain baseline doing the least
 * that moves one message through the same backend, in the same run:
 *
 * - memory store ↔ a JavaScript array (`push` / `shift`);
 * - PostgreSQL store (3 statements: INSERT, UPDATE … FOR UPDATE SKIP LOCKED RETURNING, DELETE) ↔ raw `pg`
 *   on the same pool (2 statements: INSERT, then DELETE … WHERE seq = (SELECT … FOR UPDATE SKIP LOCKED)
 *   RETURNING — a consume-and-delete queue without leases);
 * - Redis store (3 Lua scripts: enqueue, lease, ack) ↔ raw `XADD` / `XREADGROUP COUNT 1` / `XACK` on the
 *   same client.
 *
 * The ratio says what leases, attempt counting, duplicate detection and FIFO-after-release cost over the
 * bare minimum. Needs PostgreSQL and Redis (`DATABASE_URL`, `REDIS_URL`; defaults as in the tests); tables
 * and keys get a random suffix and are removed at the end.
 *
 * Run (from the repository root):
 *
 *     node_modules/.bin/tsx bench/run-all.ts stores
 *
 * Environment: `BENCH_ROUNDS` (default 3) interleaved rounds, `BENCH_TIME_MS` (default 1000) per task and
 * round, `BENCH_BATCH` (default 50) messages per timed iteration. Figures are medians over the rounds of
 * each round's median. Writes `bench/results/stores.md`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createMemoryStore, type MessageStore, type StoredMessage } from '@mediary/core';
import { postgresMessageStore } from '@mediary/postgres';
import { redisMessageStore } from '@mediary/redis';
import { Bench } from 'tinybench';

const ROUNDS = positive('BENCH_ROUNDS', 3);
const TIME_MS = positive('BENCH_TIME_MS', 1000);
const BATCH = positive('BENCH_BATCH', 50);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const BODY = Buffer.from(
  JSON.stringify({
    orderId: 'o-1001',
    kind: 'express',
    amount: 42.5,
    items: [{ sku: 'a', qty: 1 }],
    note: 'x'.repeat(100),
  }),
);

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

function message(): StoredMessage {
  return {
    id: randomUUID(),
    body: BODY,
    contentType: 'application/json',
    headers: { 'x-correlation-id': 'c-1', 'x-tenant': 'acme' },
    vars: { orderId: 'o-1001', priority: 2 },
    attempts: 0,
    enqueuedAt: Date.now(),
  };
}

// ---- The stores ------------------------------------------------------------------------------------------

const memory = createMemoryStore('bench');
const postgres = postgresMessageStore({
  connectionString: DATABASE_URL,
  table: `bench_store_${SUFFIX}`,
  name: 'bench',
});
const redis = redisMessageStore({ url: REDIS_URL, key: `bench:store:${SUFFIX}`, consumer: 'bench' });

async function throughStore(store: MessageStore): Promise<void> {
  await store.enqueue(message());
  const lease = await store.lease();
  if (!lease) throw new Error(`store ${store.name} lost a message`);
  await store.ack(lease);
}

// ---- The baselines ---------------------------------------------------------------------------------------

const array: StoredMessage[] = [];
async function throughArray(): Promise<void> {
  array.push(message());
  if (!array.shift()) throw new Error('the array lost a message');
}

const RAW_TABLE = `"bench_raw_${SUFFIX}"`;
async function throughPg(): Promise<void> {
  const m = message();
  await postgres.pool.query(`INSERT INTO ${RAW_TABLE} (id, body, headers) VALUES ($1, $2, $3::json)`, [
    m.id,
    m.body,
    JSON.stringify(m.headers),
  ]);
  const { rowCount } = await postgres.pool.query(
    `DELETE FROM ${RAW_TABLE} WHERE seq = (SELECT seq FROM ${RAW_TABLE} ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, body, headers`,
  );
  if (rowCount !== 1) throw new Error('raw pg lost a message');
}

const RAW_STREAM = `bench:raw:${SUFFIX}`;
async function throughRedis(): Promise<void> {
  const m = message();
  await redis.client.sendCommand(['XADD', RAW_STREAM, '*', 'id', m.id, 'b', Buffer.from(m.body)]);
  const read = (await redis.client.sendCommand([
    'XREADGROUP',
    'GROUP',
    'g',
    'c',
    'COUNT',
    '1',
    'STREAMS',
    RAW_STREAM,
    '>',
  ])) as Array<[string, Array<[string, string[]]>]> | null;
  const id = read?.[0]?.[1][0]?.[0];
  if (!id) throw new Error('raw redis lost a message');
  await redis.client.sendCommand(['XACK', RAW_STREAM, 'g', id]);
}

async function setup(): Promise<void> {
  await postgres.ensureSchema();
  // The store opens its client on first use; the raw baseline shares it.
  await redis.size();
  await postgres.pool.query(
    `CREATE TABLE ${RAW_TABLE} (seq bigserial PRIMARY KEY, id text NOT NULL, body bytea NOT NULL, headers json NOT NULL)`,
  );
  await redis.client.sendCommand(['XGROUP', 'CREATE', RAW_STREAM, 'g', '$', 'MKSTREAM']);
}

async function teardown(): Promise<void> {
  await postgres.pool.query(`DROP TABLE IF EXISTS ${RAW_TABLE}`);
  await postgres.pool.query(`DROP TABLE IF EXISTS "bench_store_${SUFFIX}"`);
  await redis.purge();
  await redis.client.sendCommand(['DEL', RAW_STREAM]);
  await Promise.all([postgres.close(), redis.close(), memory.close()]);
}

// ---- Measurement ---------------------------------------------------------------------------------------

const CASES = [
  { name: 'memory store', run: () => throughStore(memory), baseline: 'array push/shift' },
  { name: 'array push/shift', run: throughArray },
  { name: 'postgres store', run: () => throughStore(postgres), baseline: 'raw pg INSERT/DELETE' },
  { name: 'raw pg INSERT/DELETE', run: throughPg },
  { name: 'redis store', run: () => throughStore(redis), baseline: 'raw XADD/XREADGROUP/XACK' },
  { name: 'raw XADD/XREADGROUP/XACK', run: throughRedis },
] as const;

async function batch(fn: () => Promise<void>): Promise<void> {
  for (let i = 0; i < BATCH; i++) await fn();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(): Promise<Map<string, number[]>> {
  const perRound = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({
      name: `round ${round + 1}`,
      time: TIME_MS,
      warmupTime: Math.min(250, TIME_MS),
    });
    // Alternate the order so neither side of a pair always runs on a warmer or a more tired process.
    const tasks = round % 2 ? [...CASES].reverse() : [...CASES];
    // An \`async\` function, not an arrow returning a promise: tinybench calls any other function once, un-
    // awaited, to find out whether it is async — a stray batch running alongside the first measured one.
    for (const c of tasks) {
      bench.add(c.name, async () => {
        await batch(c.run);
      });
    }
    await bench.run();
    const line: string[] = [];
    for (const c of CASES) {
      const result = bench.getTask(c.name)?.result;
      if (result?.state !== 'completed') {
        const cause = (result as { error?: unknown } | undefined)?.error;
        throw new Error(`task ${c.name} did not complete: ${result?.state}`, { cause });
      }
      const us = (result.latency.p50 * 1e3) / BATCH;
      perRound.get(c.name)!.push(us);
      line.push(`${c.name} ${us.toFixed(1)} µs`);
    }
    process.stdout.write(`round ${round + 1}/${ROUNDS}: ${line.join(', ')}\n`);
  }
  return perRound;
}

function report(perRound: Map<string, number[]>, load: number[]): string {
  const us = (name: string) => median(perRound.get(name)!);
  const rate = (micros: number) => Math.round(1e6 / micros).toLocaleString('en-US');
  const rows = CASES.map((c) => {
    const own = us(c.name);
    const ratio =
      'baseline' in c ? `${(own / us(c.baseline)).toFixed(2)} × ${c.baseline}` : '1.00 (baseline)';
    return `| ${c.name} | ${rate(own)} | ${own.toFixed(1)} | ${ratio} |`;
  });
  return [
    '# Message store benchmark',
    '',
    'One message at a time through enqueue → lease → ack (a baseline: the least that moves one message',
    'through the same backend), sequentially on one connection, PostgreSQL and Redis on 127.0.0.1. Medians',
    'of the per-round medians.',
    '',
    '| case | messages/s | µs per message | ratio |',
    '| --- | ---: | ---: | --- |',
    ...rows,
    '',
    `| round | ${CASES.map((c) => c.name).join(' | ')} |`,
    `| ---: | ${CASES.map(() => '---:').join(' | ')} |`,
    ...Array.from(
      { length: ROUNDS },
      (_, i) => `| ${i + 1} | ${CASES.map((c) => perRound.get(c.name)![i]!.toFixed(1)).join(' | ')} |`,
    ),
    '',
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, load average at start ${load.map((l) => l.toFixed(2)).join(' ')}, ` +
      `${ROUNDS} rounds × ${TIME_MS} ms per task, ${BATCH} messages per timed iteration, ${new Date().toISOString()}.`,
    '',
    'Run: `node_modules/.bin/tsx bench/run-all.ts stores`',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  await setup();
  try {
    for (const c of CASES) await c.run();
    const load = loadavg();
    const text = report(await measure(), load);
    const out = fileURLToPath(new URL('../results/stores.md', import.meta.url));
    mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
    writeFileSync(out, text);
    process.stdout.write(`\n${text}\nwritten to ${out}\n`);
  } finally {
    await teardown();
  }
}

await main();
