/**
 * The shapes the healthcare routes accept and the backend answers with, as zod schemas (the types come from
 * them, so the two never disagree), and the T3 translation from the flat form to the nested one.
 *
 * @module
 */
import { z } from 'zod';
import { HOSPITAL_IDS } from './hospitals.js';

export const patientSchema = z.object({
  name: z.string(),
  dob: z.string(),
  ssn: z.string(),
  address: z.string(),
  phone: z.string(),
  email: z.string(),
});

/** The nested form the backend's reserve endpoint takes (SCENARIOS.md section 1). */
export const reservationSchema = z.object({
  patient: patientSchema,
  doctor: z.string(),
  hospital_id: z.enum(HOSPITAL_IDS),
  hospital: z.string(),
  appointment_date: z.string(),
});
export type Reservation = z.infer<typeof reservationSchema>;

/** T3's flat form: the patient's fields at the root, plus a card number the backend never sees. */
export const flatReservationSchema = z.object({
  ...patientSchema.shape,
  doctor: z.string(),
  hospital_id: z.enum(HOSPITAL_IDS),
  hospital: z.string(),
  cardNo: z.string(),
  appointment_date: z.string(),
});
export type FlatReservation = z.infer<typeof flatReservationSchema>;

/** T4's form: the nested form plus the card to pay with. */
export const paidReservationSchema = reservationSchema.extend({ cardNo: z.string() });
export type PaidReservation = z.infer<typeof paidReservationSchema>;

/** The parts of the backend's reservation reply the orchestration uses. */
export const appointmentSchema = z.looseObject({
  appointmentNumber: z.number().int().nonnegative(),
  doctor: z.unknown(),
  patient: z.unknown(),
});
export type Appointment = z.infer<typeof appointmentSchema>;

/** The backend's fee reply; `actualFee` is a string such as `"7000.0"`. */
export const feeSchema = z.object({
  patientName: z.string(),
  doctorName: z.string(),
  actualFee: z.string().refine((fee) => fee.trim() !== '' && Number.isFinite(Number(fee)), 'not a number'),
});
export type Fee = z.infer<typeof feeSchema>;

/**
 * The T3 message translation: the flat form becomes the nested form; `cardNo` is dropped.
 *
 * @example
 * toNested({ name: 'John Doe', dob: '1940-03-19', …, cardNo: '7844481124110331' }).patient.name // 'John Doe'
 */
export function toNested(flat: FlatReservation): Reservation {
  return {
    patient: {
      name: flat.name,
      dob: flat.dob,
      ssn: flat.ssn,
      address: flat.address,
      phone: flat.phone,
      email: flat.email,
    },
    doctor: flat.doctor,
    hospital_id: flat.hospital_id,
    hospital: flat.hospital,
    appointment_date: flat.appointment_date,
  };
}
