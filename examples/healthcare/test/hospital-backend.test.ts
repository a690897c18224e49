import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCTORS, type HospitalBackend, startHospitalBackend } from '../src/hospital-backend.js';

const today = () => new Date('2025-06-01T00:00:00Z');

const patient = {
  name: 'John Doe',
  dob: '1990-03-21',
  ssn: '234-23-525',
  address: 'California',
  phone: '8770586755',
  email: 'johndoe@gmail.com',
};

function reservation(doctor: string, hospitalId: string, overrides: Record<string, unknown> = {}) {
  return {
    patient,
    doctor,
    hospital_id: hospitalId,
    hospital: 'ignored',
    appointment_date: '2025-04-02',
    ...overrides,
  };
}

async function call(
  backend: HospitalBackend,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(`${backend.url}${path}`, {
    method,
    ...(body === undefined
      ? { headers }
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json', ...headers },
        }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as Record<string, unknown>,
  };
}

let backend: HospitalBackend;

beforeAll(async () => {
  backend = await startHospitalBackend({ port: 0, today });
});

afterAll(async () => {
  await backend.close();
});

describe('GET /healthcare/{category}', () => {
  it('lists the doctors of that category across the three hospitals', async () => {
    const res = await call(backend, 'GET', '/healthcare/surgery');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual([
      {
        name: 'thomas collins',
        hospital: 'grand oak community hospital',
        category: 'surgery',
        availability: '9.00 a.m - 11.00 a.m',
        fee: 7000,
      },
      {
        name: 'anne clement',
        hospital: 'clemency medical center',
        category: 'surgery',
        availability: '8.00 a.m - 10.00 a.m',
        fee: 12000,
      },
      {
        name: 'seth mears',
        hospital: 'pine valley community hospital',
        category: 'surgery',
        availability: '3.00 p.m - 5.00 p.m',
        fee: 8000,
      },
    ]);
  });

  it('has at least one doctor in every category', async () => {
    for (const category of ['surgery', 'cardiology', 'gynaecology', 'ent', 'paediatric']) {
      const res = await call(backend, 'GET', `/healthcare/${category}`);
      expect(res.body, category).not.toHaveLength(0);
    }
  });

  it('answers an empty list for an unknown category', async () => {
    const res = await call(backend, 'GET', '/healthcare/dentistry');
    expect(res).toMatchObject({ status: 200, body: [] });
  });
});

describe('POST /{hospitalId}/categories/{category}/reserve', () => {
  it('numbers reservations from 1 upwards with one counter shared by all hospitals', async () => {
    const fresh = await startHospitalBackend({ port: 0, today });
    try {
      const first = await call(
        fresh,
        'POST',
        '/grandoaks/categories/surgery/reserve',
        reservation('thomas collins', 'grandoaks'),
      );
      const second = await call(
        fresh,
        'POST',
        '/clemency/categories/surgery/reserve',
        reservation('anne clement', 'clemency'),
      );
      expect(first.body.appointmentNumber).toBe(1);
      expect(second.body.appointmentNumber).toBe(2);
      expect(fresh.reservations).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('replies with the full doctor, the patient as sent, the hospital name and an unconfirmed appointment', async () => {
    const res = await call(
      backend,
      'POST',
      '/pinevalley/categories/cardiology/reserve',
      reservation('emeline fulton', 'pinevalley'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      appointmentNumber: expect.any(Number),
      doctor: DOCTORS.find((d) => d.name === 'emeline fulton'),
      patient,
      hospital: 'pine valley community hospital',
      fee: 4000,
      confirmed: false,
      appointmentDate: '2025-04-02',
    });
  });

  it('rejects a body that is not JSON with a 400 JSON error', async () => {
    const res = await call(backend, 'POST', '/grandoaks/categories/surgery/reserve', '{"patient":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'HOSPITAL_INVALID_JSON', message: expect.any(String) } });
  });

  it('rejects a reservation without a patient or without a doctor with 400', async () => {
    const noPatient = await call(backend, 'POST', '/grandoaks/categories/surgery/reserve', {
      doctor: 'thomas collins',
    });
    const noDoctor = await call(backend, 'POST', '/grandoaks/categories/surgery/reserve', { patient });
    expect(noPatient.status).toBe(400);
    expect(noDoctor.status).toBe(400);
    expect(noDoctor.body).toMatchObject({ error: { code: 'HOSPITAL_INVALID_REQUEST' } });
  });

  it('rejects a doctor who does not practise that category at that hospital with 400', async () => {
    const before = backend.reservations;
    const unknown = await call(
      backend,
      'POST',
      '/grandoaks/categories/surgery/reserve',
      reservation('dr who', 'grandoaks'),
    );
    const elsewhere = await call(
      backend,
      'POST',
      '/clemency/categories/surgery/reserve',
      reservation('thomas collins', 'clemency'),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: 'HOSPITAL_DOCTOR_UNAVAILABLE' } });
    expect(elsewhere.status).toBe(400);
    expect(backend.reservations).toBe(before);
  });

  it('answers a reservation repeated under the same Idempotency-Key with the first reply, reserving once', async () => {
    const fresh = await startHospitalBackend({ port: 0, today });
    try {
      const path = '/grandoaks/categories/surgery/reserve';
      const body = reservation('thomas collins', 'grandoaks');
      const first = await call(fresh, 'POST', path, body, { 'idempotency-key': 'key-1' });
      const again = await call(fresh, 'POST', path, body, { 'idempotency-key': 'key-1' });
      const other = await call(fresh, 'POST', path, body, { 'idempotency-key': 'key-2' });
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(first.body.appointmentNumber).toBe(1);
      expect(other.body.appointmentNumber).toBe(2);
      expect(fresh.reservations).toBe(2);
      expect(fresh.duplicatesSuppressed).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('reserves every time for requests without an Idempotency-Key', async () => {
    const fresh = await startHospitalBackend({ port: 0, today });
    try {
      const path = '/grandoaks/categories/surgery/reserve';
      const body = reservation('thomas collins', 'grandoaks');
      const first = await call(fresh, 'POST', path, body);
      const second = await call(fresh, 'POST', path, body);
      expect([first.body.appointmentNumber, second.body.appointmentNumber]).toEqual([1, 2]);
      expect(fresh.duplicatesSuppressed).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('does not remember a refused reservation under its key, so a corrected retry reserves', async () => {
    const fresh = await startHospitalBackend({ port: 0, today });
    try {
      const path = '/grandoaks/categories/surgery/reserve';
      const key = { 'idempotency-key': 'key-refused' };
      const refused = await call(fresh, 'POST', path, reservation('dr who', 'grandoaks'), key);
      const made = await call(fresh, 'POST', path, reservation('thomas collins', 'grandoaks'), key);
      expect(refused.status).toBe(400);
      expect(made.status).toBe(200);
      expect(made.body.appointmentNumber).toBe(1);
      expect(fresh.duplicatesSuppressed).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('answers 404 for a hospital id it does not know', async () => {
    const res = await call(
      backend,
      'POST',
      '/willowgardens/categories/surgery/reserve',
      reservation('thomas collins', 'x'),
    );
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: 'HOSPITAL_UNKNOWN_HOSPITAL' } });
  });
});

describe('GET /{hospitalId}/categories/appointments/{n}/fee', () => {
  it('reports the fee of an appointment, as a decimal string, at the hospital it was reserved at', async () => {
    const reserved = await call(
      backend,
      'POST',
      '/grandoaks/categories/surgery/reserve',
      reservation('thomas collins', 'grandoaks'),
    );
    const n = reserved.body.appointmentNumber as number;
    const res = await call(backend, 'GET', `/grandoaks/categories/appointments/${n}/fee`);
    expect(res).toMatchObject({
      status: 200,
      body: { patientName: 'John Doe', doctorName: 'thomas collins', actualFee: '7000.0' },
    });
  });

  it('answers 404 at the other hospitals and for numbers never handed out', async () => {
    const reserved = await call(
      backend,
      'POST',
      '/clemency/categories/paediatric/reserve',
      reservation('cailen cooper', 'clemency'),
    );
    const n = reserved.body.appointmentNumber as number;
    const elsewhere = await call(backend, 'GET', `/pinevalley/categories/appointments/${n}/fee`);
    const never = await call(backend, 'GET', '/clemency/categories/appointments/999999/fee');
    expect(elsewhere.status).toBe(404);
    expect(never.status).toBe(404);
    expect(never.body).toMatchObject({ error: { code: 'HOSPITAL_APPOINTMENT_NOT_FOUND' } });
  });
});

describe('POST /healthcare/payments', () => {
  async function pay(dob: string) {
    const reserved = await call(backend, 'POST', '/grandoaks/categories/surgery/reserve', {
      ...reservation('thomas collins', 'grandoaks'),
      patient: { ...patient, dob },
    });
    const body = reserved.body;
    return call(backend, 'POST', '/healthcare/payments', {
      appointmentNumber: body.appointmentNumber,
      doctor: body.doctor,
      patient: body.patient,
      fee: 7000,
      confirmed: false,
      card_number: '1234567890',
    });
  }

  it('settles a payment with a 10 % discount for a patient aged 12 to 55', async () => {
    const res = await pay('1990-03-21');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      patient: { ...patient, dob: '1990-03-21' },
      actualFee: 7000,
      discount: 10,
      discounted: 6300,
      paymentID: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      status: 'Settled',
    });
  });

  it('gives 20 % to patients over 55 and under 12 on the payment date', async () => {
    expect((await pay('1960-01-01')).body).toMatchObject({ discount: 20, discounted: 5600 });
    expect((await pay('2015-01-01')).body).toMatchObject({ discount: 20, discounted: 5600 });
    // 55 until 2025-06-02: the birthday has not passed on 2025-06-01, so still 10 %.
    expect((await pay('1969-06-02')).body).toMatchObject({ discount: 10 });
  });

  it('rejects a payment for an appointment it never made with 404 and a malformed one with 400', async () => {
    const unknown = await call(backend, 'POST', '/healthcare/payments', {
      appointmentNumber: 424242,
      patient,
      fee: 100,
      card_number: '1',
    });
    const noFee = await call(backend, 'POST', '/healthcare/payments', {
      appointmentNumber: 1,
      patient,
      card_number: '1',
    });
    expect(unknown.status).toBe(404);
    expect(noFee.status).toBe(400);
  });
});

describe('the HTTP surface', () => {
  it('answers unknown paths with a 404 JSON error', async () => {
    const res = await call(backend, 'GET', '/nowhere/at/all');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: 'HOSPITAL_NOT_FOUND' } });
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const res = await call(backend, 'PUT', '/healthcare/surgery', {});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });

  it('keeps connections alive between requests', async () => {
    const res = await call(backend, 'GET', '/healthcare/ent');
    expect(res.headers.connection).toBe('keep-alive');
  });

  it('closes promptly even while a client holds an idle keep-alive connection', async () => {
    const other = await startHospitalBackend({ port: 0 });
    await call(other, 'GET', '/healthcare/ent');
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('waits delayMs before every reply', async () => {
    const slow = await startHospitalBackend({ port: 0, delayMs: 200 });
    try {
      const started = performance.now();
      await call(slow, 'GET', '/healthcare/ent');
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await slow.close();
    }
  });

  it('records the calls it received', async () => {
    await call(backend, 'GET', '/healthcare/cardiology');
    expect(backend.calls.at(-1)).toEqual({ method: 'GET', path: '/healthcare/cardiology' });
  });
});
