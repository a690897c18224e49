/**
 * T6's aggregation: the fee replies of the three hospitals become one list.
 *
 * @module
 */
import type { MediaryError } from '@mediary/core';
import { healthcareErrors } from './errors.js';

/** One hospital's answer in the T6 reply. */
export interface HospitalFee {
  readonly hospital_id: string;
  readonly patientName: unknown;
  readonly doctorName: unknown;
  readonly actualFee: unknown;
}

/** What scatter-gather reports per branch (the branch name is the hospital id). */
export type FeeResult =
  | { readonly name: string; readonly ok: true; readonly status: number; readonly value: unknown }
  | { readonly name: string; readonly ok: false; readonly error: MediaryError };

/**
 * Keeps the hospitals that answered `200`, in branch order. When none did: if no hospital answered at all
 * (all unreachable or timed out) the first branch's error (`502`/`504`) says why; otherwise the appointment is
 * unknown everywhere, a `404`.
 *
 * @example
 * scatterGather({ branches, timeoutMs, aggregate: (results, ctx) => collectFees(results, ctx.transport.params.appointmentNumber) })
 */
export function collectFees(
  results: readonly FeeResult[],
  appointmentNumber: string | undefined,
): HospitalFee[] {
  const fees: HospitalFee[] = [];
  for (const result of results) {
    if (!result.ok || result.status !== 200 || !isRecord(result.value)) continue;
    const { patientName, doctorName, actualFee } = result.value;
    fees.push({ hospital_id: result.name, patientName, doctorName, actualFee });
  }
  if (fees.length > 0) return fees;
  const failures = results.flatMap((result) => (result.ok ? [] : [result.error]));
  if (failures.length > 0 && failures.length === results.length) throw failures[0]!;
  throw healthcareErrors.FEE_NOT_FOUND({ appointmentNumber });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
