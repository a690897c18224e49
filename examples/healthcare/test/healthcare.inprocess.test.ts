/**
 * The healthcare routes in-process, through `server.inject()`: first with every hospital endpoint mocked by
 * name (the harness's fake clock drives the deadlines), then against the bundled mock hospital.
 */
import { coreErrors, sleep } from '@mediary/core';
import type { HttpServer } from '@mediary/http';
import { createHarness, type Harness } from '@mediary/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HospitalBackend, startHospitalBackend } from '../src/hospital-backend.js';
import { addHealthcare, type HealthcareOptions } from '../src/integration.js';
import {
  expectErrorReply,
  flatReservation,
  jsonRequest,
  paidReservation,
  patient,
  reservation,
} from './support.js';

interface InjectRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

interface Setup extends AsyncDisposable {
  readonly h: Harness;
  send(request: InjectRequest): Promise<{ status: number; headers: Record<string, unknown>; text: string }>;
}

/** A harness with the healthcare integration on it; its backend is never reached unless `hospitalUrl` says so. */
async function setup(options: Partial<HealthcareOptions> & { realClock?: boolean } = {}): Promise<Setup> {
  const { realClock, ...integration } = options;
  let server!: HttpServer;
  const h = await createHarness(
    (engine) => {
      server = addHealthcare(engine, { hospitalUrl: 'http://127.0.0.1:9', port: 0, ...integration });
    },
    realClock ? { realClock } : {},
  );
  return {
    h,
    [Symbol.asyncDispose]: () => h.close(),
    async send(request) {
      const reply = await server.inject(request);
      return {
        status: reply.status,
        headers: reply.headers as Record<string, unknown>,
        text: Buffer.from(reply.body).toString('utf8'),
      };
    },
  };
}

const doctor = {
  name: 'thomas collins',
  hospital: 'grand oak community hospital',
  category: 'surgery',
  availability: '9.00 a.m - 11.00 a.m',
  fee: 7000,
};

const appointment = {
  appointmentNumber: 7,
  doctor,
  patient,
  hospital: 'grand oak community hospital',
  fee: 7000,
  confirmed: false,
  appointmentDate: '2025-04-02',
};

describe('healthcare, with the hospital endpoints mocked by name', () => {
  describe('T1 GET /healthcare/querydoctor/{category}', () => {
    it('replies with the doctors the backend lists for the category', async () => {
      await using t = await setup();
      const doctors = t.h.mock('hospital-doctors').reply({ json: [doctor] });
      const reply = await t.send({ method: 'GET', path: '/healthcare/querydoctor/surgery' });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual([doctor]);
      expect(doctors.calls).toHaveLength(1);
      expect(doctors.calls[0]!.params.category).toBe('surgery');
    });

    it('passes a backend error status and body through unchanged', async () => {
      await using t = await setup();
      const body = { error: { code: 'HOSPITAL_DOWN', message: 'maintenance' } };
      t.h.mock('hospital-doctors').reply({ status: 503, json: body });
      const reply = await t.send({ method: 'GET', path: '/healthcare/querydoctor/surgery' });
      expect(reply.status).toBe(503);
      expect(JSON.parse(reply.text)).toEqual(body);
    });

    it('answers 504 when the backend call times out', async () => {
      await using t = await setup();
      t.h
        .mock('hospital-doctors')
        .fail(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'hospital-doctors', timeoutMs: 10_000 }));
      const reply = await t.send({ method: 'GET', path: '/healthcare/querydoctor/surgery' });
      expectErrorReply(reply, 504, 'MEDIARY_ENDPOINT_TIMEOUT');
    });
  });

  describe('T2 POST /healthcare/categories/{category}/reserve', () => {
    it.each([
      ['grand oak community hospital', 'grandoaks'],
      ['clemency medical center', 'clemency'],
      ['pine valley community hospital', 'pinevalley'],
    ])('routes a reservation at %s to the hospital id %s', async (hospital, hospitalId) => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve').reply({ json: appointment });
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/categories/surgery/reserve', { ...reservation, hospital }),
      );
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual(appointment);
      expect(reserve.calls).toHaveLength(1);
      expect(reserve.calls[0]!.vars.hospitalId).toBe(hospitalId);
      expect(reserve.calls[0]!.params.category).toBe('surgery');
    });

    it('forwards the original bytes, not a re-serialised copy', async () => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve').reply({ json: appointment });
      const original = `{ "hospital" : "clemency medical center",\n  "doctor": "anne clement", "n": 1.50 }`;
      await t.send(jsonRequest('POST', '/healthcare/categories/surgery/reserve', original));
      expect(await reserve.calls[0]!.message.text()).toBe(original);
    });

    it.each([
      ['an unknown hospital', { ...reservation, hospital: 'st. elsewhere' }],
      ['no hospital', { patient, doctor: 'thomas collins' }],
      ['a hospital that is not a string', { ...reservation, hospital: 42 }],
      ['a body that is not an object', ['grand oak community hospital']],
    ])('answers 400 without calling the backend for %s', async (_, body) => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve');
      const reply = await t.send(jsonRequest('POST', '/healthcare/categories/surgery/reserve', body));
      expectErrorReply(reply, 400, 'MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL');
      reserve.expectNotCalled();
    });

    it('answers 400 to malformed JSON without calling the backend', async () => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve');
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/categories/surgery/reserve', '{"hospital":'),
      );
      expectErrorReply(reply, 400, 'MEDIARY_JSON_MALFORMED');
      reserve.expectNotCalled();
    });

    it('answers 415 to a body that is not JSON', async () => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve');
      const reply = await t.send({
        method: 'POST',
        path: '/healthcare/categories/surgery/reserve',
        headers: { 'content-type': 'text/plain' },
        body: 'grand oak community hospital',
      });
      expectErrorReply(reply, 415);
      reserve.expectNotCalled();
    });

    it('passes a backend 400 through with its body', async () => {
      await using t = await setup();
      const body = { error: { code: 'HOSPITAL_DOCTOR_UNAVAILABLE', message: 'no such doctor' } };
      t.h.mock('hospital-reserve').reply({ status: 400, json: body });
      const reply = await t.send(jsonRequest('POST', '/healthcare/categories/surgery/reserve', reservation));
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text)).toEqual(body);
    });
  });

  describe('T3 POST /healthcare/v2/categories/{category}/reserve', () => {
    it('sends the backend the nested form without the card number, routed by hospital_id', async () => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve').reply({ json: appointment });
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/v2/categories/surgery/reserve', {
          ...flatReservation,
          hospital_id: 'pinevalley',
        }),
      );
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual(appointment);
      expect(reserve.received()).toEqual({ ...reservation, hospital_id: 'pinevalley' });
      expect(reserve.calls[0]!.vars.hospitalId).toBe('pinevalley');
    });

    it.each([
      ['a missing field', (({ ssn: _, ...rest }) => rest)(flatReservation)],
      ['a field of the wrong type', { ...flatReservation, name: 42 }],
      ['an unknown hospital_id', { ...flatReservation, hospital_id: 'elsewhere' }],
      ['the nested form', reservation],
    ])('answers 400 to %s without calling the backend', async (_, body) => {
      await using t = await setup();
      const reserve = t.h.mock('hospital-reserve');
      const reply = await t.send(jsonRequest('POST', '/healthcare/v2/categories/surgery/reserve', body));
      expectErrorReply(reply, 400, 'MEDIARY_VALIDATION_FAILED');
      reserve.expectNotCalled();
    });
  });

  describe('T4 POST /healthcare/v3/categories/{category}/reserve', () => {
    it('reserves, reads the fee, pays, and replies with the payment', async () => {
      await using t = await setup();
      const reserve = t.h.mock('appointment-reserve').reply({ json: appointment });
      const fee = t.h.mock('appointment-fee').reply({
        json: { patientName: 'John Doe', doctorName: 'thomas collins', actualFee: '7000.0' },
      });
      const settled = {
        patient,
        actualFee: 7000,
        discount: 20,
        discounted: 5600,
        paymentID: 'p-1',
        status: 'Settled',
      };
      const payment = t.h.mock('appointment-payment').reply({ json: settled });

      const reply = await t.send(
        jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', paidReservation),
      );

      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual(settled);
      expect(reserve.received()).toEqual(reservation);
      expect(reserve.calls[0]!.vars.hospitalId).toBe('grandoaks');
      expect(fee.calls[0]!.vars).toMatchObject({ hospitalId: 'grandoaks', appointmentNumber: 7 });
      expect(payment.received()).toEqual({
        appointmentNumber: 7,
        doctor,
        patient,
        fee: 7000,
        confirmed: false,
        card_number: '7844481124110331',
      });
    });

    it('answers 400 to a request without a card number, calling nothing', async () => {
      await using t = await setup();
      const reserve = t.h.mock('appointment-reserve');
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', reservation),
      );
      expectErrorReply(reply, 400, 'MEDIARY_VALIDATION_FAILED');
      reserve.expectNotCalled();
    });

    it('stops at a failing step with that step’s error', async () => {
      await using t = await setup();
      t.h.mock('appointment-reserve').reply({ json: appointment });
      t.h
        .mock('appointment-fee')
        .fail(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'appointment-fee', timeoutMs: 10_000 }));
      const payment = t.h.mock('appointment-payment');
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', paidReservation),
      );
      expect(expectErrorReply(reply, 504, 'MEDIARY_ENDPOINT_TIMEOUT').message).toContain('appointment-fee');
      payment.expectNotCalled();
    });

    it('answers 502 when the fee reply has no usable fee', async () => {
      await using t = await setup();
      t.h.mock('appointment-reserve').reply({ json: appointment });
      t.h.mock('appointment-fee').reply({ json: { patientName: 'John Doe', actualFee: 'lots' } });
      const payment = t.h.mock('appointment-payment');
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', paidReservation),
      );
      expectErrorReply(reply, 502, 'MEDIARY_HEALTHCARE_BAD_REPLY');
      payment.expectNotCalled();
    });

    it('answers 502 when the reservation reply has no appointment number', async () => {
      await using t = await setup();
      t.h.mock('appointment-reserve').reply({ json: { confirmed: false } });
      const fee = t.h.mock('appointment-fee');
      const reply = await t.send(
        jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', paidReservation),
      );
      expectErrorReply(reply, 502, 'MEDIARY_HEALTHCARE_BAD_REPLY');
      fee.expectNotCalled();
    });
  });

  describe('T6 GET /healthcare/fees/{appointmentNumber}', () => {
    const feeOf = { patientName: 'John Doe', doctorName: 'anne clement', actualFee: '12000.0' };

    it('asks every hospital and replies with those that know the appointment, in hospital order', async () => {
      await using t = await setup();
      const fees = t.h
        .mock('hospital-fee')
        .reply((call) =>
          call.vars.hospitalId === 'grandoaks'
            ? { status: 404, json: { error: { code: 'HOSPITAL_APPOINTMENT_NOT_FOUND', message: 'no' } } }
            : { json: { ...feeOf, doctorName: `dr ${String(call.vars.hospitalId)}` } },
        );
      const reply = await t.send({ method: 'GET', path: '/healthcare/fees/3' });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual([
        { hospital_id: 'clemency', ...feeOf, doctorName: 'dr clemency' },
        { hospital_id: 'pinevalley', ...feeOf, doctorName: 'dr pinevalley' },
      ]);
      expect(fees.calls.map((c) => c.vars.hospitalId).sort()).toEqual([
        'clemency',
        'grandoaks',
        'pinevalley',
      ]);
      expect(fees.calls.every((c) => c.params.appointmentNumber === '3')).toBe(true);
    });

    it('answers 404 when no hospital knows the appointment', async () => {
      await using t = await setup();
      t.h.mock('hospital-fee').reply({ status: 404, json: { error: { code: 'X', message: 'no' } } });
      const reply = await t.send({ method: 'GET', path: '/healthcare/fees/99' });
      expectErrorReply(reply, 404, 'MEDIARY_HEALTHCARE_FEE_NOT_FOUND');
    });

    it('leaves out a hospital that does not answer within the backend timeout', async () => {
      await using t = await setup({ backendTimeoutMs: 1000 });
      t.h.mock('hospital-fee').reply(async (call, ctx) => {
        if (call.vars.hospitalId === 'pinevalley') await sleep(ctx.engine.clock, 60_000, ctx.signal);
        return call.vars.hospitalId === 'clemency'
          ? { json: feeOf }
          : { status: 404, json: { error: { code: 'X', message: 'no' } } };
      });
      const pending = t.send({ method: 'GET', path: '/healthcare/fees/3' });
      await t.h.clock.tick(1000);
      const reply = await pending;
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual([{ hospital_id: 'clemency', ...feeOf }]);
    });

    it('answers 504 when no hospital answers in time', async () => {
      await using t = await setup({ backendTimeoutMs: 1000 });
      t.h.mock('hospital-fee').delay(60_000);
      const pending = t.send({ method: 'GET', path: '/healthcare/fees/3' });
      await t.h.clock.tick(1000);
      expectErrorReply(await pending, 504);
    });
  });

  describe('the HTTP edge', () => {
    it('answers 404 to an unknown path and 405 with Allow to a wrong method', async () => {
      await using t = await setup();
      expectErrorReply(await t.send({ method: 'GET', path: '/healthcare/nothing-here' }), 404);
      const wrongMethod = await t.send({ method: 'DELETE', path: '/healthcare/querydoctor/surgery' });
      expectErrorReply(wrongMethod, 405);
      expect(String(wrongMethod.headers.allow)).toContain('GET');
    });

    it('answers 413 to a body over the configured limit', async () => {
      await using t = await setup({ maxBodyBytes: 1024 });
      const reserve = t.h.mock('hospital-reserve');
      const big = JSON.stringify({ ...reservation, padding: 'x'.repeat(4096) });
      const reply = await t.send(jsonRequest('POST', '/healthcare/categories/surgery/reserve', big));
      expectErrorReply(reply, 413);
      reserve.expectNotCalled();
    });

    it('serves the liveness route (readiness needs a listening server: see the socket tests)', async () => {
      await using t = await setup();
      expect((await t.send({ method: 'GET', path: '/health/live' })).status).toBe(200);
    });
  });
});

describe('healthcare, against the bundled mock hospital', () => {
  let hospital: HospitalBackend;

  beforeAll(async () => {
    hospital = await startHospitalBackend();
  });

  afterAll(async () => {
    await hospital.close();
  });

  const connected = () => setup({ hospitalUrl: hospital.url, realClock: true });

  it('T1 lists the surgeons of all three hospitals', async () => {
    await using t = await connected();
    const reply = await t.send({ method: 'GET', path: '/healthcare/querydoctor/surgery' });
    expect(reply.status).toBe(200);
    const doctors = JSON.parse(reply.text) as Array<{ name: string; category: string }>;
    expect(doctors.map((d) => d.name)).toContain('thomas collins');
    expect(doctors.every((d) => d.category === 'surgery')).toBe(true);
  });

  it('T2 then T6: the fee of a new reservation is found at its hospital only', async () => {
    await using t = await connected();
    const reserved = await t.send(
      jsonRequest('POST', '/healthcare/categories/surgery/reserve', {
        ...reservation,
        doctor: 'anne clement',
        hospital_id: 'clemency',
        hospital: 'clemency medical center',
      }),
    );
    expect(reserved.status).toBe(200);
    const { appointmentNumber } = JSON.parse(reserved.text) as { appointmentNumber: number };
    const fees = await t.send({ method: 'GET', path: `/healthcare/fees/${appointmentNumber}` });
    expect(fees.status).toBe(200);
    expect(JSON.parse(fees.text)).toEqual([
      { hospital_id: 'clemency', patientName: 'John Doe', doctorName: 'anne clement', actualFee: '12000.0' },
    ]);
  });

  it('T3 reserves from the flat form', async () => {
    await using t = await connected();
    const reply = await t.send(
      jsonRequest('POST', '/healthcare/v2/categories/surgery/reserve', flatReservation),
    );
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({
      doctor: { name: 'thomas collins' },
      patient,
      hospital: 'grand oak community hospital',
      confirmed: false,
    });
  });

  it('T4 reserves and settles the payment', async () => {
    await using t = await connected();
    const reply = await t.send(
      jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', paidReservation),
    );
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ patient, actualFee: 7000, status: 'Settled' });
  });

  it('T4 stops at a refused reservation with the backend’s status, calling neither fee nor payment', async () => {
    await using t = await connected();
    const before = hospital.calls.length;
    const reply = await t.send(
      jsonRequest('POST', '/healthcare/v3/categories/surgery/reserve', {
        ...paidReservation,
        doctor: 'dr nobody',
      }),
    );
    const error = expectErrorReply(reply, 400);
    expect(error.message).toContain('appointment-reserve');
    expect(hospital.calls.slice(before).map((c) => c.path)).toEqual([
      '/grandoaks/categories/surgery/reserve',
    ]);
  });

  it('T6 answers 404 for an appointment no hospital knows', async () => {
    await using t = await connected();
    expectErrorReply(await t.send({ method: 'GET', path: '/healthcare/fees/987654' }), 404);
  });
});
