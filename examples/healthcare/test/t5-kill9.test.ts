/**
 * T5's durability promise, from outside: with a persistent `STORE_URL`, a reservation answered `202`
 * survives a `kill -9` of the example and reaches the hospital after the restart.
 *
 * `src/main.ts` runs as a child process, pointed at a hospital port where nothing listens yet, so every
 * accepted reservation stays in the store. The process is killed with SIGKILL (no drain, no close), the
 * hospital comes up on that port (a recording stand-in, so each delivery's body can be counted), the
 * example starts again on the same store, and every reservation must arrive. Duplicates are counted.
 *
 * The second variant kills it mid-delivery: the hospital is up but slow (300–500 ms a reservation), and the
 * kill lands while one reservation is at the hospital, reserved but not yet answered. After the restart that
 * one is delivered again (at least once), under the same `Idempotency-Key`; the hospital, running the
 * bundled mock's reservation logic, answers it without reserving twice.
 *
 * Needs PostgreSQL (`DATABASE_URL`) and RabbitMQ (`AMQP_URL`); each suite skips with a visible line when
 * its service is not there. Tables and queues are unique per run and removed afterwards.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { amqpConnection } from '@mediary/amqp';
import { postgresMessageStore } from '@mediary/postgres';
import { eventually, serviceGate } from '@mediary/testing';
import { useSharedService } from '@mediary/testing/conformance';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createHospitalService } from '../src/hospital-service.js';
import type { ForwardingStats } from '../src/store-and-forward.js';
import { type MainProcess, startMain } from './main-process.js';
import { freePort, patient, reservation, startFakeBackend } from './support.js';

const N = 20;
const TEST_TIMEOUT_MS = 55_000;

const [postgres, amqp] = await Promise.all([serviceGate('postgres'), serviceGate('amqp')]);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** `mediary_t5_<pid>_<random>`: valid as a table and as a queue name, unique per run. */
function uniqueStoreName(): string {
  return `mediary_t5_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

function main(env: Record<string, string>): MainProcess {
  const started = startMain(env);
  cleanup.push(() => started.kill());
  return started;
}

async function stats(base: string): Promise<ForwardingStats> {
  const reply = await request(`${base}/healthcare/async/stats`);
  expect(reply.statusCode).toBe(200);
  return (await reply.body.json()) as ForwardingStats;
}

/** A hospital that takes every reservation and remembers each body's patient name, repeats included. */
async function recordingHospital(port: number): Promise<{ received: string[] }> {
  const received: string[] = [];
  let appointments = 0;
  const backend = await startFakeBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { patient: { name: string } };
      received.push(body.patient.name);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ appointmentNumber: ++appointments, confirmed: false }));
    });
  }, port);
  cleanup.push(() => backend.close());
  return { received };
}

/**
 * Accepts N reservations with the hospital down, kills the example with SIGKILL, brings the hospital up,
 * restarts the example on the same store, and checks that all N arrive, each once.
 */
async function survivesKill9(store: Record<string, string>): Promise<void> {
  const hospitalPort = await freePort();
  const env = {
    ...store,
    HOSPITAL_URL: `http://127.0.0.1:${hospitalPort}`,
    FORWARD_INTERVAL_MS: '200',
    // Enough attempts that nothing is dead-lettered while the hospital is down.
    FORWARD_MAX_ATTEMPTS: '1000',
    // Also bounds the lease (timeout + 5 s) a PostgreSQL row keeps if the kill lands mid-attempt.
    BACKEND_TIMEOUT_MS: '2000',
    MEDIARY_LOG_LEVEL: 'error',
  };

  const firstPort = await freePort();
  const first = main({ ...env, HTTP_PORT: String(firstPort) });
  await first.waitFor('healthcare: ready');
  const firstBase = `http://127.0.0.1:${firstPort}`;
  const names = Array.from({ length: N }, (_, i) => `kill9 patient ${i}`);
  const ids = await Promise.all(
    names.map(async (name) => {
      const reply = await request(`${firstBase}/healthcare/async/categories/surgery/reserve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...reservation, patient: { ...patient, name } }),
      });
      const text = await reply.body.text();
      expect(reply.statusCode, text).toBe(202);
      return (JSON.parse(text) as { id: string }).id;
    }),
  );
  expect(new Set(ids).size).toBe(N);
  // The hospital is down: everything is still in the store, and attempts are failing.
  await eventually(async () => expect((await stats(firstBase)).failedAttempts).toBeGreaterThan(0));
  expect(await stats(firstBase)).toMatchObject({ pending: N, delivered: 0, deadLettered: 0 });

  await first.kill();
  expect((await first.exit).signal).toBe('SIGKILL');

  const hospital = await recordingHospital(hospitalPort);
  const secondPort = await freePort();
  const second = main({ ...env, HTTP_PORT: String(secondPort) });
  await second.waitFor('healthcare: ready');
  const secondBase = `http://127.0.0.1:${secondPort}`;

  await eventually(() => expect(new Set(hospital.received).size).toBe(N), { timeoutMs: 30_000 });
  await eventually(async () => expect(await stats(secondBase)).toMatchObject({ pending: 0 }));
  const delivered = await stats(secondBase);
  const duplicates = hospital.received.filter((name, i) => hospital.received.indexOf(name) !== i);
  console.info(
    `kill -9 with ${store.STORE_URL?.split(':')[0]}: ${N} accepted, ${new Set(hospital.received).size} delivered after the restart, ${duplicates.length} duplicate(s)`,
  );
  expect([...new Set(hospital.received)].sort()).toEqual([...names].sort());
  // Nothing reached the hospital before the kill, so nothing can have been delivered twice.
  expect(duplicates).toEqual([]);
  expect(delivered).toMatchObject({ pending: 0, deadLettered: 0, delivered: N });

  second.child.kill('SIGTERM');
  expect(await second.exit).toEqual({ code: 0, signal: null });
}

/** What the slow hospital saw: every delivery's key in arrival order, and what its reservation logic did. */
interface SlowHospital {
  readonly url: string;
  readonly keys: readonly string[];
  /** Reservations the bundled mock's logic actually made. */
  reservations(): number;
  /** Deliveries it answered from an earlier reply of the same key. */
  duplicatesSuppressed(): number;
  /** Calls `hook` when the next delivery arrives, before it is answered. */
  onNextDelivery(hook: () => void): void;
}

/**
 * A hospital that runs the bundled mock's reservation logic (`Idempotency-Key` honoured) the moment a
 * delivery arrives, then takes 300–500 ms to answer, so a kill can land between the reservation and its reply.
 */
async function slowHospital(): Promise<SlowHospital> {
  const service = createHospitalService();
  const keys: string[] = [];
  let hook: (() => void) | undefined;
  const backend = await startFakeBackend((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      const idempotencyKey = typeof key === 'string' ? key : undefined;
      keys.push(idempotencyKey ?? '(none)');
      const path = new URL(req.url ?? '/', 'http://hospital').pathname;
      const reply = service.handle(req.method ?? 'GET', path, Buffer.concat(chunks), { idempotencyKey });
      const fire = hook;
      hook = undefined;
      fire?.();
      setTimeout(
        () => {
          if (res.destroyed) return;
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(reply.body));
        },
        300 + Math.floor(Math.random() * 200),
      );
    });
  });
  cleanup.push(() => backend.close());
  return {
    url: backend.url,
    keys,
    reservations: () => service.reservations,
    duplicatesSuppressed: () => service.duplicatesSuppressed,
    onNextDelivery(next) {
      hook = next;
    },
  };
}

/**
 * Accepts N reservations with a slow hospital up, kills the example with SIGKILL while a delivery is at the
 * hospital, restarts it on the same store, and checks that all N keys arrive and each reserves once.
 */
async function survivesKill9MidDelivery(store: Record<string, string>): Promise<void> {
  const hospital = await slowHospital();
  const env = {
    ...store,
    HOSPITAL_URL: hospital.url,
    FORWARD_INTERVAL_MS: '200',
    FORWARD_MAX_ATTEMPTS: '1000',
    // Bounds the lease (timeout + 5 s) the row being delivered keeps in PostgreSQL after the kill.
    BACKEND_TIMEOUT_MS: '2000',
    MEDIARY_LOG_LEVEL: 'error',
  };

  const firstPort = await freePort();
  const first = main({ ...env, HTTP_PORT: String(firstPort) });
  await first.waitFor('healthcare: ready');
  const firstBase = `http://127.0.0.1:${firstPort}`;
  const ids = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const reply = await request(`${firstBase}/healthcare/async/categories/surgery/reserve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...reservation, patient: { ...patient, name: `mid-delivery patient ${i}` } }),
      });
      const text = await reply.body.text();
      expect(reply.statusCode, text).toBe(202);
      return (JSON.parse(text) as { id: string }).id;
    }),
  );
  expect(new Set(ids).size).toBe(N);

  // Some reservations are through; the kill lands as the next one reaches the hospital, before its reply.
  await eventually(() => expect(new Set(hospital.keys).size).toBeGreaterThanOrEqual(3), {
    timeoutMs: 10_000,
  });
  const killed = new Promise<number>((resolve) => {
    hospital.onNextDelivery(() => {
      first.child.kill('SIGKILL');
      resolve(new Set(hospital.keys).size);
    });
  });
  const seenAtKill = await killed;
  expect((await first.exit).signal).toBe('SIGKILL');
  expect(seenAtKill).toBeLessThan(N);

  const secondPort = await freePort();
  const second = main({ ...env, HTTP_PORT: String(secondPort) });
  await second.waitFor('healthcare: ready');
  const secondBase = `http://127.0.0.1:${secondPort}`;
  await eventually(() => expect(new Set(hospital.keys).size).toBe(N), { timeoutMs: 30_000 });
  await eventually(async () => expect(await stats(secondBase)).toMatchObject({ pending: 0 }), {
    timeoutMs: 10_000,
  });

  const deliveries = hospital.keys.length;
  const distinct = new Set(hospital.keys).size;
  const duplicateDeliveries = deliveries - distinct;
  const duplicateReservations = hospital.reservations() - distinct;
  console.log(
    `kill -9 mid-delivery with ${store.STORE_URL?.split(':')[0]}: ${N} accepted, killed with ${seenAtKill} seen, deliveries=${deliveries}, distinct keys=${distinct}, duplicate deliveries=${duplicateDeliveries}, duplicates that reached the reservation logic with idempotency on=${duplicateReservations}`,
  );
  // Every delivery carried the id its 202 answered, and every accepted reservation arrived.
  expect([...new Set(hospital.keys)].sort()).toEqual([...ids].sort());
  // The kill caught one reservation at the hospital: it came again after the restart, under the same key…
  expect(duplicateDeliveries).toBeGreaterThanOrEqual(1);
  expect(hospital.duplicatesSuppressed()).toBe(duplicateDeliveries);
  // …and was answered without reserving twice.
  expect(duplicateReservations).toBe(0);
  expect(await stats(secondBase)).toMatchObject({ pending: 0, deadLettered: 0 });

  second.child.kill('SIGTERM');
  expect(await second.exit).toEqual({ code: 0, signal: null });
}

async function postgresStore(): Promise<Record<string, string>> {
  const table = uniqueStoreName();
  cleanup.push(async () => {
    const admin = postgresMessageStore({ connectionString: postgres.url, table });
    try {
      await admin.pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_dead_letter"`);
    } finally {
      await admin.close();
    }
  });
  return { STORE_URL: postgres.url, STORE_TABLE: table };
}

async function amqpStore(): Promise<Record<string, string>> {
  const queue = uniqueStoreName();
  cleanup.push(async () => {
    const connection = amqpConnection({ url: amqp.url, name: 'mediary-t5-cleanup' });
    connection.acquire();
    try {
      const channel = await (await connection.whenOpen(5000)).createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteQueue(`${queue}.dead-letter`);
      await channel.close();
    } finally {
      await connection.release();
    }
  });
  return { STORE_URL: amqp.url, STORE_QUEUE: queue };
}

describe.skipIf(!postgres.available)('T5 with STORE_URL=postgres://…', () => {
  // Fault tests elsewhere restart PostgreSQL and stop RabbitMQ; they wait for this file, and it for them.
  useSharedService('postgres');
  it(
    'delivers every reservation accepted before a kill -9 once the example is back',
    async () => {
      await survivesKill9(await postgresStore());
    },
    TEST_TIMEOUT_MS,
  );
  it(
    'delivers every reservation once more at most after a kill -9 mid-delivery, reserving each once',
    async () => {
      await survivesKill9MidDelivery(await postgresStore());
    },
    TEST_TIMEOUT_MS,
  );
});

describe.skipIf(!amqp.available)('T5 with STORE_URL=amqp://…', () => {
  useSharedService('amqp');
  it(
    'delivers every reservation accepted before a kill -9 once the example is back',
    async () => {
      await survivesKill9(await amqpStore());
    },
    TEST_TIMEOUT_MS,
  );
  it(
    'delivers every reservation once more at most after a kill -9 mid-delivery, reserving each once',
    async () => {
      await survivesKill9MidDelivery(await amqpStore());
    },
    TEST_TIMEOUT_MS,
  );
});
