/**
 * The mock hospital backend's behaviour, without HTTP: one `handle(method, path, body)` call per request,
 * returning the status and JSON body to send. Kept apart from the socket code so the rules (routing,
 * validation, the appointment counter, the discount) read in one place.
 *
 * The reserve endpoint honours an `Idempotency-Key` request header: a key it has already reserved for
 * gets the first reply again (same appointment number) and reserves nothing, which is what makes an
 * at-least-once delivery (T5 after a crash) reserve exactly once.
 *
 * Error replies are `{"error":{"code":"HOSPITAL_…","message":"…"}}`: the same shape as Mediary's own errors
 * but with a `HOSPITAL_` prefix, so a test can tell a passed-through backend error from one Mediary made.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { DOCTORS, type Doctor, HOSPITALS, type HospitalId, isHospitalId } from './hospital-data.js';

/** What the HTTP layer sends back. */
export interface HospitalReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The patient object as the client sent it; only `name` and `dob` are read. */
export type Patient = Readonly<Record<string, unknown>> & { readonly name: string };

/** A reservation, as the reserve endpoint returns it. */
export interface Appointment {
  readonly appointmentNumber: number;
  readonly doctor: Doctor;
  readonly patient: Patient;
  readonly hospital: string;
  readonly fee: number;
  readonly confirmed: false;
  readonly appointmentDate: string;
}

export interface HospitalServiceOptions {
  /** The current date, for the age-based discount and the default appointment date. */
  readonly today?: () => Date;
}

/** What `handle` reads from a request besides its method, path and body. */
export interface HospitalRequestOptions {
  /** The `Idempotency-Key` header: a reservation repeated under the same key is answered, not made again. */
  readonly idempotencyKey?: string | undefined;
}

/** How many reservation keys are remembered; the oldest are forgotten first, so a long run stays bounded. */
const MAX_REMEMBERED_KEYS = 10_000;

/** The backend's state and request handler. */
export interface HospitalService {
  handle(method: string, path: string, body: Buffer, request?: HospitalRequestOptions): HospitalReply;
  /** Reservations made so far (the last appointment number handed out). */
  readonly reservations: number;
  /** Reservations repeated under an `Idempotency-Key` already reserved for, answered without reserving. */
  readonly duplicatesSuppressed: number;
  /** Payments settled so far. */
  readonly payments: number;
}

/**
 * The discount rule, chosen for this mock (WSO2's backend uses a similar age rule): patients younger than 12
 * or older than 55 on the payment date get 20 %, everyone else 10 %. A missing or unparseable `dob` counts
 * as "everyone else".
 */
export function discountPercent(dob: unknown, today: Date): number {
  const age = typeof dob === 'string' ? ageOn(dob, today) : undefined;
  return age !== undefined && (age < 12 || age > 55) ? 20 : 10;
}

function ageOn(dob: string, today: Date): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(dob);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const thisMonth = today.getUTCMonth() + 1;
  const birthdayPassed = thisMonth > month || (thisMonth === month && today.getUTCDate() >= day);
  return today.getUTCFullYear() - year - (birthdayPassed ? 0 : 1);
}

/** Java's `Double.toString` for whole numbers, which is what WSO2's backend puts in `actualFee`: `7000.0`. */
function feeString(fee: number): string {
  return Number.isInteger(fee) ? fee.toFixed(1) : String(fee);
}

function error(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): HospitalReply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

const notFound = (path: string) => error(404, 'HOSPITAL_NOT_FOUND', `no resource at ${path}`);

function methodNotAllowed(allow: string): HospitalReply {
  return error(405, 'HOSPITAL_METHOD_NOT_ALLOWED', `use ${allow}`, { allow });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; reply: HospitalReply };

function parseObject(body: Buffer): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reply: error(400, 'HOSPITAL_INVALID_JSON', 'the request body is not valid JSON') };
  }
  if (!isRecord(value)) {
    return {
      ok: false,
      reply: error(400, 'HOSPITAL_INVALID_REQUEST', 'the request body must be a JSON object'),
    };
  }
  return { ok: true, value };
}

const invalid = (message: string) => error(400, 'HOSPITAL_INVALID_REQUEST', message);

/**
 * Creates the backend's state: the shared appointment counter (starting at 1, across all hospitals), the
 * appointments by number, and the payment count.
 *
 * @example
 * const service = createHospitalService();
 * const reply = service.handle('GET', '/healthcare/surgery', Buffer.alloc(0));
 * // reply.status === 200, reply.body is the surgeons of all three hospitals
 */
export function createHospitalService(options: HospitalServiceOptions = {}): HospitalService {
  const today = options.today ?? (() => new Date());
  const appointments = new Map<number, { hospitalId: HospitalId; appointment: Appointment }>();
  /** The first successful reply per `Idempotency-Key`, oldest first. */
  const replies = new Map<string, HospitalReply>();
  let lastAppointment = 0;
  let payments = 0;
  let duplicatesSuppressed = 0;

  function reserveOnce(
    hospitalId: HospitalId,
    category: string,
    body: Buffer,
    key: string | undefined,
  ): HospitalReply {
    if (key === undefined || key === '') return reserve(hospitalId, category, body);
    const first = replies.get(key);
    if (first) {
      duplicatesSuppressed += 1;
      return first;
    }
    const reply = reserve(hospitalId, category, body);
    // Only a reservation made is remembered: a refused one reserved nothing, so trying again is harmless.
    if (reply.status >= 200 && reply.status < 300) {
      replies.set(key, reply);
      if (replies.size > MAX_REMEMBERED_KEYS) {
        const oldest = replies.keys().next();
        if (!oldest.done) replies.delete(oldest.value);
      }
    }
    return reply;
  }

  function listDoctors(category: string): HospitalReply {
    const wanted = category.toLowerCase();
    return { status: 200, body: DOCTORS.filter((d) => d.category === wanted) };
  }

  function reserve(hospitalId: HospitalId, category: string, body: Buffer): HospitalReply {
    const parsed = parseObject(body);
    if (!parsed.ok) return parsed.reply;
    const { patient, doctor: doctorName, appointment_date: date } = parsed.value;
    if (!isRecord(patient) || typeof patient.name !== 'string') {
      return invalid('`patient` must be an object with a string `name`');
    }
    if (typeof doctorName !== 'string') return invalid('`doctor` must be a string');
    const hospital = HOSPITALS[hospitalId];
    const wanted = doctorName.trim().toLowerCase();
    const doctor = DOCTORS.find(
      (d) => d.hospital === hospital && d.category === category.toLowerCase() && d.name === wanted,
    );
    if (!doctor) {
      return error(
        400,
        'HOSPITAL_DOCTOR_UNAVAILABLE',
        `doctor ${doctorName} is not available for ${category} at ${hospital}`,
      );
    }
    lastAppointment += 1;
    const appointment: Appointment = {
      appointmentNumber: lastAppointment,
      doctor,
      patient: patient as Patient,
      hospital,
      fee: doctor.fee,
      confirmed: false,
      appointmentDate: typeof date === 'string' ? date : today().toISOString().slice(0, 10),
    };
    appointments.set(lastAppointment, { hospitalId, appointment });
    return { status: 200, body: appointment };
  }

  function findAppointment(hospitalId: HospitalId | undefined, numberText: string): Appointment | undefined {
    if (!/^\d+$/.test(numberText)) return undefined;
    const entry = appointments.get(Number(numberText));
    // An appointment is only known at the hospital it was reserved at; that is what scatter-gather relies on.
    if (!entry || (hospitalId !== undefined && entry.hospitalId !== hospitalId)) return undefined;
    return entry.appointment;
  }

  function fee(hospitalId: HospitalId, numberText: string): HospitalReply {
    const appointment = findAppointment(hospitalId, numberText);
    if (!appointment) {
      return error(404, 'HOSPITAL_APPOINTMENT_NOT_FOUND', `no appointment ${numberText} at ${hospitalId}`);
    }
    return {
      status: 200,
      body: {
        patientName: appointment.patient.name,
        doctorName: appointment.doctor.name,
        actualFee: feeString(appointment.fee),
      },
    };
  }

  function settle(body: Buffer): HospitalReply {
    const parsed = parseObject(body);
    if (!parsed.ok) return parsed.reply;
    const { appointmentNumber, patient, fee: amount, card_number: card } = parsed.value;
    if (typeof appointmentNumber !== 'number' && typeof appointmentNumber !== 'string') {
      return invalid('`appointmentNumber` is required');
    }
    if (!isRecord(patient)) return invalid('`patient` must be an object');
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      return invalid('`fee` must be a non-negative number');
    }
    if ((typeof card !== 'string' || card === '') && typeof card !== 'number') {
      return invalid('`card_number` is required');
    }
    if (!findAppointment(undefined, String(appointmentNumber))) {
      return error(404, 'HOSPITAL_APPOINTMENT_NOT_FOUND', `no appointment ${String(appointmentNumber)}`);
    }
    const discount = discountPercent(patient.dob, today());
    payments += 1;
    return {
      status: 200,
      body: {
        patient,
        actualFee: amount,
        discount,
        // Rounded to cents so a float artefact such as 6299.999999 never reaches a client.
        discounted: Math.round(amount * (100 - discount)) / 100,
        paymentID: randomUUID(),
        status: 'Settled',
      },
    };
  }

  function handle(
    method: string,
    path: string,
    body: Buffer,
    request: HospitalRequestOptions = {},
  ): HospitalReply {
    const segments = path.split('/').filter((s) => s !== '');
    let parts: string[];
    try {
      parts = segments.map((s) => decodeURIComponent(s));
    } catch {
      return notFound(path);
    }
    const [first, second, third, fourth, fifth] = parts;

    if (first === 'healthcare' && second !== undefined && parts.length === 2) {
      if (second === 'payments' && method === 'POST') return settle(body);
      if (method !== 'GET') return methodNotAllowed(second === 'payments' ? 'GET, POST' : 'GET');
      return listDoctors(second);
    }
    if (first === undefined || second !== 'categories') return notFound(path);

    const isReserve = parts.length === 4 && fourth === 'reserve' && third !== undefined;
    const isFee = parts.length === 5 && third === 'appointments' && fourth !== undefined && fifth === 'fee';
    if (!isReserve && !isFee) return notFound(path);
    if (!isHospitalId(first)) return error(404, 'HOSPITAL_UNKNOWN_HOSPITAL', `no hospital with id ${first}`);
    if (isReserve) {
      return method === 'POST'
        ? reserveOnce(first, third, body, request.idempotencyKey)
        : methodNotAllowed('POST');
    }
    return method === 'GET' ? fee(first, fourth ?? '') : methodNotAllowed('GET');
  }

  return {
    handle,
    get reservations() {
      return lastAppointment;
    },
    get payments() {
      return payments;
    },
    get duplicatesSuppressed() {
      return duplicatesSuppressed;
    },
  };
}
