/**
 * T5 store and forward over real sockets: undici as the client, the bundled mock hospital as the backend,
 * the stores in memory, the real clock with a short retry interval.
 */
import { silentLogger } from '@mediary/core';
import { eventually } from '@mediary/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type HospitalBackend, startHospitalBackend } from '../src/hospital-backend.js';
import {
  createHealthcareIntegration,
  type HealthcareIntegration,
  type HealthcareOptions,
} from '../src/integration.js';
import type { ForwardingStats } from '../src/store-and-forward.js';
import { freePort, patient, reservation } from './support.js';

const running: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of running.splice(0).reverse()) await close();
});

async function hospitalOn(port = 0): Promise<HospitalBackend> {
  const hospital = await startHospitalBackend({ port });
  running.push(() => hospital.close());
  return hospital;
}

/** The integration on a free port, retrying every 20 ms; stopped after the test. */
async function serve(options: Omit<HealthcareOptions, 'port'>): Promise<HealthcareIntegration> {
  const integration = createHealthcareIntegration({
    port: 0,
    logger: silentLogger,
    forwardIntervalMs: 20,
    ...options,
  });
  await integration.engine.start();
  running.push(() => integration.engine.stop({ timeoutMs: 1000 }));
  return integration;
}

async function reserve(base: string, body: unknown): Promise<{ status: number; id: string }> {
  const reply = await request(`${base}/healthcare/async/categories/surgery/reserve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await reply.body.text();
  expect(reply.statusCode, text).toBe(202);
  const parsed = JSON.parse(text) as { status: string; id: string };
  expect(parsed.status).toBe('accepted');
  return { status: reply.statusCode, id: parsed.id };
}

async function stats(base: string): Promise<ForwardingStats> {
  const reply = await request(`${base}/healthcare/async/stats`);
  expect(reply.statusCode).toBe(200);
  return (await reply.body.json()) as ForwardingStats;
}

describe('T5 store and forward over sockets', () => {
  it('answers 202 at once and the reservation reaches the hospital later', async () => {
    const hospital = await hospitalOn();
    const { server } = await serve({ hospitalUrl: hospital.url });
    const before = hospital.reservations;

    await reserve(server.url, reservation);

    await eventually(() => expect(hospital.reservations).toBe(before + 1));
    expect(hospital.calls.map((c) => `${c.method} ${c.path}`)).toContain(
      'POST /grandoaks/categories/surgery/reserve',
    );
    await eventually(async () =>
      expect(await stats(server.url)).toMatchObject({ pending: 0, deadLettered: 0, delivered: 1 }),
    );
  });

  it('keeps reservations while the hospital is down and delivers them once it is back', async () => {
    const port = await freePort();
    const { server } = await serve({ hospitalUrl: `http://127.0.0.1:${port}`, forwardMaxAttempts: 1000 });

    for (const name of ['first', 'second', 'third']) {
      await reserve(server.url, { ...reservation, patient: { ...patient, name } });
    }
    // The hospital is down: attempts fail and are retried, nothing is lost or dead-lettered.
    await eventually(async () => expect((await stats(server.url)).failedAttempts).toBeGreaterThanOrEqual(3));
    expect(await stats(server.url)).toMatchObject({ pending: 3, deadLettered: 0, delivered: 0 });

    const hospital = await hospitalOn(port);
    await eventually(() => expect(hospital.reservations).toBe(3));
    await eventually(async () =>
      expect(await stats(server.url)).toMatchObject({ pending: 0, deadLettered: 0, delivered: 3 }),
    );
    // In order: the hospital numbers appointments as they come, and knows each patient's fee by number.
    const names: string[] = [];
    for (const n of [1, 2, 3]) {
      const fee = await request(`${hospital.url}/grandoaks/categories/appointments/${n}/fee`);
      names.push(((await fee.body.json()) as { patientName: string }).patientName);
    }
    expect(names).toEqual(['first', 'second', 'third']);
  });

  it('accounts for every one of 50 concurrent reservations: delivered or dead-lettered, none lost', async () => {
    const hospital = await hospitalOn();
    const { server, forwarding } = await serve({ hospitalUrl: hospital.url });
    const before = hospital.reservations;
    const N = 50;
    // Every fifth asks for a doctor the hospital does not have: a 400, so a dead letter at once.
    const refused = (i: number) => i % 5 === 0;
    const accepted = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        reserve(server.url, {
          ...reservation,
          doctor: refused(i) ? 'dr nobody' : reservation.doctor,
          patient: { ...patient, name: `patient ${i}` },
        }).then(({ id }) => ({ i, id })),
      ),
    );
    expect(new Set(accepted.map((a) => a.id)).size).toBe(N);

    await eventually(
      async () =>
        expect(await stats(server.url)).toMatchObject({ pending: 0, delivered: 40, deadLettered: 10 }),
      { timeoutMs: 20_000 },
    );
    expect(hospital.reservations - before).toBe(40);
    const dead = await forwarding.stores.deadLetters.browse(N);
    expect(dead.map((m) => m.id).sort()).toEqual(
      accepted
        .filter((a) => refused(a.i))
        .map((a) => a.id)
        .sort(),
    );
    expect(dead.every((m) => m.attempts === 1 && m.lastError?.code === 'MEDIARY_FORWARD_REJECTED')).toBe(
      true,
    );
  });
});
