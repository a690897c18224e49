/**
 * Content-based routing on the hospital a reservation names.
 *
 * @module
 */
import { choice, type Mediator, type MessageContext, setVar, throwError, type Vars } from '@mediary/core';
import { healthcareErrors } from './errors.js';
import { HOSPITAL_IDS, HOSPITAL_NAMES } from './hospitals.js';

/**
 * Reads the JSON field `hospital` and sets the variable `hospitalId` (`grandoaks`, `clemency` or
 * `pinevalley`) that the reserve endpoint's URL uses. A missing or unknown name fails with
 * `MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL` (400) before anything is sent.
 *
 * @example
 * steps: [routeByHospitalName(), call('hospital-reserve'), respond()]
 */
export function routeByHospitalName(): Mediator {
  return choice<Vars>({
    on: async (ctx) => hospitalField(await ctx.message.json()),
    cases: HOSPITAL_IDS.map((id) => ({ equals: HOSPITAL_NAMES[id], steps: [setVar('hospitalId', id)] })),
    otherwise: [
      throwError(healthcareErrors.UNKNOWN_HOSPITAL, {
        hospital: async (ctx: MessageContext) =>
          JSON.stringify(hospitalField(await ctx.message.json()) ?? null),
      }),
    ],
  });
}

function hospitalField(body: unknown): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as { hospital?: unknown }).hospital
    : undefined;
}
