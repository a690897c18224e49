/**
 * The healthcare routes over real sockets: undici as the client, the bundled mock hospital (or a misbehaving
 * stand-in) as the backend, every route and every error row of SCENARIOS.md that applies.
 */
import { Readable } from 'node:stream';
import { silentLogger } from '@mediary/core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HospitalBackend, startHospitalBackend } from '../src/hospital-backend.js';
import {
  createHealthcareIntegration,
  type HealthcareIntegration,
  type HealthcareOptions,
} from '../src/integration.js';
import {
  cutMidReply,
  expectErrorReply,
  flatReservation,
  garbageBackend,
  paidReservation,
  patient,
  reservation,
  startFakeBackend,
} from './support.js';

const running: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const resource of running.splice(0).reverse()) await resource.close();
});

/** Starts the integration on a free port against `hospitalUrl`; stopped after the test. */
async function serve(options: Omit<HealthcareOptions, 'port'>): Promise<HealthcareIntegration> {
  const integration = createHealthcareIntegration({ port: 0, logger: silentLogger, ...options });
  await integration.engine.start();
  running.push({ close: () => integration.engine.stop({ timeoutMs: 1000 }) });
  return integration;
}

async function send(
  base: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const reply = await request(`${base}${path}`, {
    method,
    headers: init.headers ?? (init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: reply.statusCode, headers: reply.headers, text: await reply.body.text() };
}

const json = (value: unknown) => ({ body: JSON.stringify(value) });

describe('healthcare over sockets, against the bundled mock hospital', () => {
  let hospital: HospitalBackend;
  let integration: HealthcareIntegration;
  let base: string;

  beforeAll(async () => {
    hospital = await startHospitalBackend();
    integration = createHealthcareIntegration({
      hospitalUrl: hospital.url,
      port: 0,
      logger: silentLogger,
      maxBodyBytes: 64 * 1024,
    });
    await integration.engine.start();
    base = integration.server.url;
  });

  afterAll(async () => {
    await integration?.engine.stop({ timeoutMs: 1000 });
    await hospital?.close();
  });

  const callsSince = (before: number) => hospital.calls.slice(before);

  it('T1 replies with the backend’s doctors for a category', async () => {
    const reply = await send(base, 'GET', '/healthcare/querydoctor/surgery');
    expect(reply.status).toBe(200);
    expect(String(reply.headers['content-type'])).toContain('application/json');
    const doctors = JSON.parse(reply.text) as Array<{ name: string; hospital: string; category: string }>;
    expect(doctors.length).toBeGreaterThan(0);
    expect(doctors.every((d) => d.category === 'surgery')).toBe(true);
  });

  it('T1 replies 200 with an empty list for a category without doctors', async () => {
    const reply = await send(base, 'GET', '/healthcare/querydoctor/astrology');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual([]);
  });

  it('T2 routes by hospital name and returns the reservation; numbers increase', async () => {
    const first = await send(base, 'POST', '/healthcare/categories/surgery/reserve', json(reservation));
    const second = await send(
      base,
      'POST',
      '/healthcare/categories/surgery/reserve',
      json({ ...reservation, doctor: 'seth mears', hospital: 'pine valley community hospital' }),
    );
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const a = JSON.parse(first.text) as { appointmentNumber: number; hospital: string; confirmed: boolean };
    const b = JSON.parse(second.text) as { appointmentNumber: number; hospital: string };
    expect(a).toMatchObject({ hospital: 'grand oak community hospital', confirmed: false, patient });
    expect(b.hospital).toBe('pine valley community hospital');
    expect(b.appointmentNumber).toBeGreaterThan(a.appointmentNumber);
  });

  it('T2 passes the backend’s 400 for an unavailable doctor through', async () => {
    const reply = await send(
      base,
      'POST',
      '/healthcare/categories/surgery/reserve',
      json({ ...reservation, doctor: 'dr nobody' }),
    );
    expect(reply.status).toBe(400);
    expect((JSON.parse(reply.text) as { error: { code: string } }).error.code).toBe(
      'HOSPITAL_DOCTOR_UNAVAILABLE',
    );
  });

  it('T2 answers 400 to an unknown hospital and the backend gets no call', async () => {
    const before = hospital.calls.length;
    const reply = await send(
      base,
      'POST',
      '/healthcare/categories/surgery/reserve',
      json({ ...reservation, hospital: 'st. elsewhere' }),
    );
    expectErrorReply(reply, 400, 'MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL');
    expect(callsSince(before)).toEqual([]);
  });

  it('T2 answers 400 to a missing hospital and the backend gets no call', async () => {
    const before = hospital.calls.length;
    const { hospital: _, ...withoutHospital } = reservation;
    const reply = await send(base, 'POST', '/healthcare/categories/surgery/reserve', json(withoutHospital));
    expectErrorReply(reply, 400, 'MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL');
    expect(callsSince(before)).toEqual([]);
  });

  it('T3 translates the flat form and reserves by hospital_id', async () => {
    const reply = await send(
      base,
      'POST',
      '/healthcare/v2/categories/surgery/reserve',
      json({ ...flatReservation, doctor: 'anne clement', hospital_id: 'clemency' }),
    );
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({
      hospital: 'clemency medical center',
      doctor: { name: 'anne clement' },
      patient,
    });
  });

  it('T4 reserves, gets the fee, pays, and replies with the settled payment', async () => {
    const before = hospital.calls.length;
    const reply = await send(
      base,
      'POST',
      '/healthcare/v3/categories/surgery/reserve',
      json(paidReservation),
    );
    expect(reply.status).toBe(200);
    const payment = JSON.parse(reply.text) as Record<string, unknown>;
    expect(payment).toMatchObject({ patient, actualFee: 7000, status: 'Settled' });
    expect(typeof payment.paymentID).toBe('string');
    expect(callsSince(before).map((c) => `${c.method} ${c.path.replace(/\d+/, 'N')}`)).toEqual([
      'POST /grandoaks/categories/surgery/reserve',
      'GET /grandoaks/categories/appointments/N/fee',
      'POST /healthcare/payments',
    ]);
  });

  it('T4 stops at the reservation step with the backend’s status when the doctor is unknown', async () => {
    const before = hospital.calls.length;
    const reply = await send(
      base,
      'POST',
      '/healthcare/v3/categories/surgery/reserve',
      json({ ...paidReservation, doctor: 'dr nobody' }),
    );
    expect(expectErrorReply(reply, 400).message).toContain('appointment-reserve');
    expect(callsSince(before)).toHaveLength(1);
  });

  it('T6 finds a new appointment’s fee at its hospital only', async () => {
    const reserved = await send(
      base,
      'POST',
      '/healthcare/categories/surgery/reserve',
      json({ ...reservation, doctor: 'seth mears', hospital: 'pine valley community hospital' }),
    );
    const { appointmentNumber } = JSON.parse(reserved.text) as { appointmentNumber: number };
    const reply = await send(base, 'GET', `/healthcare/fees/${appointmentNumber}`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual([
      { hospital_id: 'pinevalley', patientName: 'John Doe', doctorName: 'seth mears', actualFee: '8000.0' },
    ]);
  });

  it('T6 answers 404 when no hospital knows the appointment', async () => {
    expectErrorReply(await send(base, 'GET', '/healthcare/fees/424242'), 404);
  });

  it('answers 400 to malformed JSON', async () => {
    const before = hospital.calls.length;
    const reply = await send(base, 'POST', '/healthcare/categories/surgery/reserve', {
      body: '{"hospital": "gr',
    });
    expectErrorReply(reply, 400);
    expect(callsSince(before)).toEqual([]);
  });

  it('answers 400 to a body of the wrong shape', async () => {
    const before = hospital.calls.length;
    for (const path of [
      '/healthcare/v2/categories/surgery/reserve',
      '/healthcare/v3/categories/surgery/reserve',
    ]) {
      expectErrorReply(await send(base, 'POST', path, json({ patient: 'nobody' })), 400);
    }
    expect(callsSince(before)).toEqual([]);
  });

  it('answers 404 to an unknown path', async () => {
    expectErrorReply(await send(base, 'GET', '/healthcare/no/such/thing'), 404);
    expectErrorReply(await send(base, 'GET', '/elsewhere'), 404);
  });

  it('answers 405 with Allow to a wrong method on an existing path', async () => {
    const reply = await send(base, 'DELETE', '/healthcare/categories/surgery/reserve');
    expectErrorReply(reply, 405);
    expect(String(reply.headers.allow)).toContain('POST');
    const get = await send(base, 'PUT', '/healthcare/querydoctor/surgery', { body: '{}' });
    expectErrorReply(get, 405);
    expect(String(get.headers.allow)).toContain('GET');
  });

  it('answers 413 to a body over the limit', async () => {
    const before = hospital.calls.length;
    const big = JSON.stringify({ ...reservation, padding: 'x'.repeat(128 * 1024) });
    const reply = await send(base, 'POST', '/healthcare/categories/surgery/reserve', { body: big });
    expectErrorReply(reply, 413);
    expect(callsSince(before)).toEqual([]);
  });

  it('answers 415 to an unsupported content type', async () => {
    const reply = await send(base, 'POST', '/healthcare/categories/surgery/reserve', {
      body: '<reserve/>',
      headers: { 'content-type': 'application/xml' },
    });
    expectErrorReply(reply, 415);
  });

  it('serves /health/live and /health/ready', async () => {
    expect((await send(base, 'GET', '/health/live')).status).toBe(200);
    expect((await send(base, 'GET', '/health/ready')).status).toBe(200);
  });

  it('keeps serving after all of the above', async () => {
    expect((await send(base, 'GET', '/healthcare/querydoctor/ent')).status).toBe(200);
  });
});

describe('healthcare over sockets, when the backend misbehaves', () => {
  /** One request per route that calls the backend. */
  const everyRoute = [
    ['GET', '/healthcare/querydoctor/surgery', undefined],
    ['POST', '/healthcare/categories/surgery/reserve', reservation],
    ['POST', '/healthcare/v2/categories/surgery/reserve', flatReservation],
    ['POST', '/healthcare/v3/categories/surgery/reserve', paidReservation],
    ['GET', '/healthcare/fees/1', undefined],
  ] as const;

  async function expectEveryRoute(base: string, status: number, code: RegExp): Promise<void> {
    for (const [method, path, body] of everyRoute) {
      const reply = await send(base, method, path, body === undefined ? {} : json(body));
      expectErrorReply(reply, status, code);
    }
    // The process is still up and serving.
    expect((await send(base, 'GET', '/health/live')).status).toBe(200);
  }

  it('answers 502 on every route when the backend is down', async () => {
    const gone = await startHospitalBackend();
    await gone.close();
    const { server } = await serve({ hospitalUrl: gone.url });
    await expectEveryRoute(server.url, 502, /^MEDIARY_HTTP_UNREACHABLE$/);
  });

  it('answers 504 on every route when the backend is slower than BACKEND_TIMEOUT_MS', async () => {
    const slow = await startHospitalBackend({ delayMs: 1500 });
    running.push(slow);
    const { server } = await serve({ hospitalUrl: slow.url, backendTimeoutMs: 200 });
    const started = Date.now();
    await expectEveryRoute(server.url, 504, /^MEDIARY_(HTTP|ENDPOINT)_TIMEOUT$/);
    // Five routes, each cut off at the deadline rather than waiting for the backend's 1.5 s.
    expect(Date.now() - started).toBeLessThan(5 * 1500);
  });

  it('answers 502 on every route when the backend closes the connection in the middle of its reply', async () => {
    const cut = await cutMidReply();
    running.push(cut);
    const { server } = await serve({ hospitalUrl: cut.url });
    await expectEveryRoute(server.url, 502, /^MEDIARY_HTTP_BAD_REPLY$/);
  });

  it('asks the backend for an uncompressed reply even when the client accepts gzip', async () => {
    const seen: Array<string | undefined> = [];
    const backend = await startFakeBackend((req, res) => {
      seen.push(req.headers['accept-encoding']);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    running.push(backend);
    const { server } = await serve({ hospitalUrl: backend.url });
    const reply = await send(server.url, 'GET', '/healthcare/querydoctor/surgery', {
      headers: { 'accept-encoding': 'gzip, deflate' },
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('[]');
    expect(seen).toEqual(['identity']);
  });

  it('answers 502 on every route when the backend replies 200 with something that is not JSON', async () => {
    const garbage = await garbageBackend();
    running.push(garbage);
    const { server } = await serve({ hospitalUrl: garbage.url });
    await expectEveryRoute(server.url, 502, /^MEDIARY_HEALTHCARE_BAD_REPLY$/);
  });
});

describe('healthcare over sockets, at the default body limit of 10 MiB', () => {
  it('answers 413 to a larger body, declared or chunked, without calling the backend', async () => {
    const hospital = await startHospitalBackend();
    running.push(hospital);
    const { server } = await serve({ hospitalUrl: hospital.url });
    const path = '/healthcare/categories/surgery/reserve';
    const declared = JSON.stringify({ ...reservation, padding: 'x'.repeat(11 * 1024 * 1024) });
    expectErrorReply(await send(server.url, 'POST', path, { body: declared }), 413, 'MEDIARY_BODY_TOO_LARGE');

    async function* chunked() {
      for (let i = 0; i < 12; i++) yield Buffer.alloc(1024 * 1024, 0x20);
    }
    const reply = await request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(chunked()),
    });
    expectErrorReply(
      { status: reply.statusCode, text: await reply.body.text() },
      413,
      'MEDIARY_BODY_TOO_LARGE',
    );
    expect(hospital.calls).toEqual([]);
  });
});
