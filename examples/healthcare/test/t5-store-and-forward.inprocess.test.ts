/**
 * T5 store and forward in-process: requests through `server.inject()`, the forwarding endpoint mocked by
 * name (`forward-reserve`), the stores in memory on the harness's fake clock, so every retry interval is
 * stepped through exactly.
 */
import { coreErrors, createMemoryStore, type StoredMessage } from '@mediary/core';
import type { HttpServer } from '@mediary/http';
import { createHarness, type Harness, type MockEndpoint } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../src/endpoints.js';
import { addHealthcare } from '../src/integration.js';
import type { ForwardingStats } from '../src/store-and-forward.js';
import { memoryReservationStores, type ReservationStores } from '../src/stores.js';
import { expectErrorReply, jsonRequest, patient, reservation } from './support.js';

const INTERVAL_MS = 1000;
const MAX_ATTEMPTS = 3;
/** The processor polls an empty store at most this often (the smaller of 250 ms and the interval). */
const POLL_MS = 250;

interface Setup extends AsyncDisposable {
  readonly h: Harness;
  readonly stores: ReservationStores;
  readonly forward: MockEndpoint;
  send(request: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<{ status: number; headers: Record<string, unknown>; text: string }>;
  /** Accepts a reservation for the patient `name`; returns the id from the `202`. */
  reserve(name: string, overrides?: Record<string, unknown>): Promise<string>;
  stats(): Promise<ForwardingStats>;
}

/** A started engine (the processor runs) with the healthcare integration and its stores in memory. */
async function setup(): Promise<Setup> {
  let server!: HttpServer;
  let stores!: ReservationStores;
  const h = await createHarness((engine) => {
    stores = memoryReservationStores(engine.clock);
    server = addHealthcare(engine, {
      hospitalUrl: 'http://127.0.0.1:9',
      port: 0,
      reservationStores: stores,
      forwardIntervalMs: INTERVAL_MS,
      forwardMaxAttempts: MAX_ATTEMPTS,
    });
  });
  const forward = h.mock(endpoints.forwardReserve).reply({ json: { appointmentNumber: 1 } });
  await h.engine.start();
  const send: Setup['send'] = async (request) => {
    const reply = await server.inject(request);
    return {
      status: reply.status,
      headers: reply.headers as Record<string, unknown>,
      text: Buffer.from(reply.body).toString('utf8'),
    };
  };
  return {
    h,
    stores,
    forward,
    send,
    [Symbol.asyncDispose]: () => h.close(),
    async reserve(name, overrides = {}) {
      const reply = await send(
        jsonRequest('POST', '/healthcare/async/categories/surgery/reserve', {
          ...reservation,
          patient: { ...patient, name },
          ...overrides,
        }),
      );
      expect(reply.status, reply.text).toBe(202);
      return (JSON.parse(reply.text) as { id: string }).id;
    },
    async stats() {
      const reply = await send({ method: 'GET', path: '/healthcare/async/stats' });
      expect(reply.status).toBe(200);
      return JSON.parse(reply.text) as ForwardingStats;
    },
  };
}

/** The patient names the backend received, in order. */
const delivered = (forward: MockEndpoint) =>
  forward.calls.map((call) => (call.body as { patient: { name: string } }).patient.name);

const bodyOf = (message: StoredMessage) => JSON.parse(Buffer.from(message.body).toString('utf8')) as unknown;

describe('T5 POST /healthcare/async/categories/{category}/reserve', () => {
  it('answers 202 with the message id at once, before any delivery is attempted', async () => {
    await using t = await setup();
    const reply = await t.send(
      jsonRequest('POST', '/healthcare/async/categories/surgery/reserve', reservation),
    );
    expect(reply.status).toBe(202);
    const body = JSON.parse(reply.text) as { status: string; id: string };
    expect(body).toEqual({ status: 'accepted', id: expect.any(String) });
    expect(String(reply.headers['content-type'])).toMatch(/^application\/json/);
    // Nothing of the request comes back in the reply.
    expect(reply.headers.host).toBeUndefined();
    t.forward.expectNotCalled();
    expect((await t.stores.pending.browse()).map((m) => m.id)).toEqual([body.id]);
  });

  it('delivers the original bytes once to the hospital of hospital_id and the category of the path', async () => {
    await using t = await setup();
    const original = JSON.stringify({ ...reservation, hospital_id: 'clemency' }, null, 2);
    const reply = await t.send(
      jsonRequest('POST', '/healthcare/async/categories/cardiology/reserve', original),
    );
    expect(reply.status).toBe(202);
    await t.h.clock.tick(POLL_MS);
    t.forward.expectCalled(1);
    const call = t.forward.calls[0]!;
    expect(await call.message.text()).toBe(original);
    expect(call.vars).toMatchObject({ hospitalId: 'clemency', category: 'cardiology' });
    // The delivery carries the request's correlation id, so its logs join the request's.
    expect(call.headers['x-correlation-id']).toBe(reply.headers['x-correlation-id']);
    await t.h.clock.tick(10 * INTERVAL_MS);
    t.forward.expectCalled(1);
    expect(await t.stats()).toMatchObject({ pending: 0, deadLettered: 0, delivered: 1, failedAttempts: 0 });
  });

  it('retries a failing hospital every interval and delivers each reservation once, in order', async () => {
    await using t = await setup();
    t.forward
      .replyOnce({ status: 503, json: { error: 'busy' } })
      .failOnce(
        coreErrors.ENDPOINT_FAILED({ endpoint: endpoints.forwardReserve, reason: 'connection refused' }),
      )
      .reply({ json: { appointmentNumber: 1 } });
    for (const name of ['a', 'b', 'c']) await t.reserve(name);

    await t.h.clock.tick(POLL_MS);
    expect(delivered(t.forward)).toEqual(['a']);
    await t.h.clock.tick(INTERVAL_MS - 1);
    expect(delivered(t.forward)).toEqual(['a']);
    await t.h.clock.tick(1);
    expect(delivered(t.forward)).toEqual(['a', 'a']);
    await t.h.clock.tick(INTERVAL_MS);
    expect(delivered(t.forward)).toEqual(['a', 'a', 'a', 'b', 'c']);

    await t.h.clock.tick(10 * INTERVAL_MS);
    expect(delivered(t.forward)).toEqual(['a', 'a', 'a', 'b', 'c']);
    expect(await t.stats()).toEqual({
      store: 'memory',
      pending: 0,
      deadLettered: 0,
      delivered: 3,
      failedAttempts: 2,
      processor: 'running',
    });
  });

  it('sends every attempt at a reservation with the same Idempotency-Key, the id of its 202', async () => {
    await using t = await setup();
    t.forward.replyOnce({ status: 503, json: { error: 'busy' } }).reply({ json: { appointmentNumber: 1 } });
    const first = await t.reserve('a');
    const second = await t.reserve('b');

    await t.h.clock.tick(POLL_MS);
    await t.h.clock.tick(INTERVAL_MS);
    expect(delivered(t.forward)).toEqual(['a', 'a', 'b']);
    expect(t.forward.calls.map((call) => call.headers['idempotency-key'])).toEqual([first, first, second]);
  });

  it('dead-letters a reservation with its original body after FORWARD_MAX_ATTEMPTS and goes on', async () => {
    await using t = await setup();
    t.forward
      .reset()
      .reply((call) =>
        (call.body as { patient: { name: string } }).patient.name === 'doomed'
          ? { status: 500, json: { error: 'down' } }
          : { json: { appointmentNumber: 2 } },
      );
    const doomed = await t.reserve('doomed');
    await t.reserve('next');

    await t.h.clock.tick(POLL_MS);
    await t.h.clock.tick((MAX_ATTEMPTS - 1) * INTERVAL_MS);
    expect(delivered(t.forward)).toEqual([...Array(MAX_ATTEMPTS).fill('doomed'), 'next']);

    const dead = await t.stores.deadLetters.browse();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      id: doomed,
      attempts: MAX_ATTEMPTS,
      vars: { hospitalId: 'grandoaks', category: 'surgery' },
      lastError: { code: 'MEDIARY_FORWARD_REJECTED' },
    });
    expect(bodyOf(dead[0]!)).toEqual({ ...reservation, patient: { ...patient, name: 'doomed' } });
    expect(await t.stats()).toMatchObject({ pending: 0, deadLettered: 1, delivered: 1 });
  });

  it('dead-letters a reservation the hospital answers 4xx at once, without retrying it', async () => {
    await using t = await setup();
    t.forward
      .reset()
      .replyOnce({ status: 400, json: { error: { code: 'HOSPITAL_DOCTOR_UNAVAILABLE' } } })
      .reply({ json: { appointmentNumber: 3 } });
    const refused = await t.reserve('refused');
    await t.reserve('accepted');

    await t.h.clock.tick(POLL_MS);
    expect(delivered(t.forward)).toEqual(['refused', 'accepted']);
    await t.h.clock.tick(10 * INTERVAL_MS);
    expect(delivered(t.forward)).toEqual(['refused', 'accepted']);
    const dead = await t.stores.deadLetters.browse();
    expect(dead.map((m) => ({ id: m.id, attempts: m.attempts }))).toEqual([{ id: refused, attempts: 1 }]);
    expect(await t.stats()).toMatchObject({ pending: 0, deadLettered: 1, delivered: 1, failedAttempts: 1 });
  });

  it.each([
    [
      'a missing patient field',
      { ...reservation, patient: { name: 'John Doe' } },
      'MEDIARY_VALIDATION_FAILED',
    ],
    ['an unknown hospital_id', { ...reservation, hospital_id: 'elsewhere' }, 'MEDIARY_VALIDATION_FAILED'],
    ['a field of the wrong type', { ...reservation, doctor: 7 }, 'MEDIARY_VALIDATION_FAILED'],
    [
      'the flat form',
      { ...patient, doctor: 'thomas collins', hospital_id: 'grandoaks' },
      'MEDIARY_VALIDATION_FAILED',
    ],
    ['malformed JSON', '{"patient":', 'MEDIARY_JSON_MALFORMED'],
  ])('answers 400 to %s and stores nothing', async (_, body, code) => {
    await using t = await setup();
    const reply = await t.send(jsonRequest('POST', '/healthcare/async/categories/surgery/reserve', body));
    expectErrorReply(reply, 400, code);
    expect(await t.stores.pending.size()).toBe(0);
    await t.h.clock.tick(10 * INTERVAL_MS);
    t.forward.expectNotCalled();
    expect(await t.stats()).toMatchObject({ pending: 0, deadLettered: 0, delivered: 0 });
  });

  it('answers 415 to a body that is not JSON and stores nothing', async () => {
    await using t = await setup();
    const reply = await t.send({
      method: 'POST',
      path: '/healthcare/async/categories/surgery/reserve',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(reservation),
    });
    expectErrorReply(reply, 415);
    expect(await t.stores.pending.size()).toBe(0);
  });

  it('answers the store’s error, not 202, when the store cannot take the reservation', async () => {
    let server!: HttpServer;
    await using _h = await createHarness((engine) => {
      server = addHealthcare(engine, {
        hospitalUrl: 'http://127.0.0.1:9',
        port: 0,
        reservationStores: {
          kind: 'memory',
          pending: createMemoryStore('full', { clock: engine.clock, maxSize: 1 }),
          deadLetters: createMemoryStore('full-dead-letter', { clock: engine.clock }),
          description: 'in memory, one message at most',
        },
      });
    });
    const path = '/healthcare/async/categories/surgery/reserve';
    expect((await server.inject(jsonRequest('POST', path, reservation))).status).toBe(202);
    const refused = await server.inject(jsonRequest('POST', path, reservation));
    expectErrorReply(
      { status: refused.status, text: Buffer.from(refused.body).toString('utf8') },
      503,
      'MEDIARY_STORE_FULL',
    );
  });
});
