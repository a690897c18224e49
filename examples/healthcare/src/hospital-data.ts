/**
 * The mock hospital backend's built-in reference data: the three hospitals and their doctors.
 *
 * The doctors are WSO2's tutorial set (same names, hours and fees), so requests copied from the WSO2 Micro
 * Integrator tutorials work unchanged; the two doctors WSO2 places at a fourth hospital are moved here so that
 * every category has at least one doctor at one of the three hospitals the contract names.
 *
 * @module
 */

/** A doctor as the backend lists it and embeds it in appointments. */
export interface Doctor {
  readonly name: string;
  readonly hospital: string;
  readonly category: string;
  readonly availability: string;
  readonly fee: number;
}

/** Hospital ids, as they appear in backend paths, mapped to the hospital names used in bodies. */
export const HOSPITALS = Object.freeze({
  grandoaks: 'grand oak community hospital',
  clemency: 'clemency medical center',
  pinevalley: 'pine valley community hospital',
});

/** One of `grandoaks`, `clemency`, `pinevalley`. */
export type HospitalId = keyof typeof HOSPITALS;

/** The categories the backend knows; any other category simply has no doctors. */
export const CATEGORIES = Object.freeze([
  'surgery',
  'cardiology',
  'gynaecology',
  'ent',
  'paediatric',
] as const);

function doctor(
  name: string,
  hospitalId: HospitalId,
  category: (typeof CATEGORIES)[number],
  availability: string,
  fee: number,
): Doctor {
  return Object.freeze({ name, hospital: HOSPITALS[hospitalId], category, availability, fee });
}

/** Every doctor the backend knows, in a stable order (the order `GET /healthcare/{category}` lists them). */
export const DOCTORS: readonly Doctor[] = Object.freeze([
  doctor('thomas collins', 'grandoaks', 'surgery', '9.00 a.m - 11.00 a.m', 7000),
  doctor('henry parker', 'grandoaks', 'ent', '9.00 a.m - 11.00 a.m', 4500),
  doctor('abner jones', 'grandoaks', 'gynaecology', '8.00 a.m - 10.00 a.m', 11000),
  doctor('abner jones', 'grandoaks', 'ent', '8.00 a.m - 10.00 a.m', 6750),
  doctor('anne clement', 'clemency', 'surgery', '8.00 a.m - 10.00 a.m', 12000),
  doctor('thomas kirk', 'clemency', 'gynaecology', '9.00 a.m - 11.00 a.m', 8000),
  doctor('cailen cooper', 'clemency', 'paediatric', '9.00 a.m - 11.00 a.m', 5500),
  doctor('jared morris', 'clemency', 'cardiology', '9.00 a.m - 11.00 a.m', 10000),
  doctor('seth mears', 'pinevalley', 'surgery', '3.00 p.m - 5.00 p.m', 8000),
  doctor('emeline fulton', 'pinevalley', 'cardiology', '8.00 a.m - 10.00 a.m', 4000),
  doctor('henry foster', 'pinevalley', 'paediatric', '8.00 a.m - 10.00 a.m', 10000),
]);

/** Narrows a path segment to a hospital id. */
export function isHospitalId(value: string): value is HospitalId {
  return Object.hasOwn(HOSPITALS, value);
}
