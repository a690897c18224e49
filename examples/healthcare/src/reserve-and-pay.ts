/**
 * T4, the orchestration: reserve an appointment, look up its fee, pay it, and answer with the payment.
 *
 * Each step calls an endpoint created with `failOnStatus`, so a backend error status stops the flow with
 * `MEDIARY_HTTP_STATUS` carrying the backend's status, and the endpoint's name (`appointment-reserve`,
 * `appointment-fee`, `appointment-payment`) says which step failed. An unreachable backend stops it with a
 * `502`, a slow one with a `504`.
 *
 * @module
 */
import { call, type MessageContext, respond, type Step, setVar, validate } from '@mediary/core';
import type { z } from 'zod';
import { endpoints } from './endpoints.js';
import { healthcareErrors } from './errors.js';
import {
  appointmentSchema,
  feeSchema,
  type PaidReservation,
  paidReservationSchema,
  type Reservation,
} from './reservation.js';

/**
 * The T4 steps. The request (the nested form plus `cardNo`) stays the current message until the payment;
 * the reservation and the fee are kept in the variables `appointment` and `fee`, and every reply is checked
 * before the next step uses it.
 *
 * @example
 * { method: 'POST', path: '/v3/categories/{category}/reserve', steps: reserveAndPay() }
 */
export function reserveAndPay(): Step[] {
  return [
    validate(paidReservationSchema),
    setVar('hospitalId', async (ctx) => (await request(ctx)).hospital_id),

    // 1. Reserve: the backend gets the nested form; the card number is none of its business.
    call(endpoints.appointment, {
      body: async (ctx) => withoutCard(await request(ctx)),
      into: { var: 'appointment' },
    }),
    setVar('appointmentNumber', (ctx) => appointment(ctx).appointmentNumber),

    // 2. The fee of the new appointment (the URL takes {hospitalId} and {appointmentNumber} from the variables).
    call(endpoints.fee, { body: noBody, into: { var: 'fee' } }),
    setVar('actualFee', (ctx) => Number(reply(feeSchema, ctx.vars.fee, endpoints.fee).actualFee)),

    // 3. Pay; the payment reply is the answer.
    call(endpoints.payment, {
      body: async (ctx) => {
        const { appointmentNumber, doctor, patient } = appointment(ctx);
        return {
          appointmentNumber,
          doctor,
          patient,
          fee: ctx.vars.actualFee,
          confirmed: false,
          card_number: (await request(ctx)).cardNo,
        };
      },
    }),
    respond(),
  ];
}

/** A GET carries no body: without this the call would send the current message (the request). */
const noBody = () => new Uint8Array(0);

/** The validated request: the body was checked against the schema by the first step. */
function request(ctx: MessageContext): Promise<PaidReservation> {
  return ctx.original.json<PaidReservation>();
}

function withoutCard({ cardNo: _cardNo, ...reservation }: PaidReservation): Reservation {
  return reservation;
}

function appointment(ctx: MessageContext) {
  return reply(appointmentSchema, ctx.vars.appointment, endpoints.appointment);
}

/** A backend reply read from a variable, checked: a reply of the wrong shape is the backend's fault, a 502. */
function reply<T>(schema: z.ZodType<T>, value: unknown, endpoint: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw healthcareErrors.BAD_REPLY({ endpoint, reason }, { cause: parsed.error });
}
