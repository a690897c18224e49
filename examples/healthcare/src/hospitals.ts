/**
 * The three hospitals the backend serves: the id used in its paths and the name used in message bodies.
 *
 * @module
 */

/** Hospital ids in the order scatter-gather replies list them. */
export const HOSPITAL_IDS = ['grandoaks', 'clemency', 'pinevalley'] as const;

export type HospitalId = (typeof HOSPITAL_IDS)[number];

/** Body name → path id: what content-based routing on the field `hospital` looks up. */
export const HOSPITAL_NAMES: Readonly<Record<HospitalId, string>> = Object.freeze({
  grandoaks: 'grand oak community hospital',
  clemency: 'clemency medical center',
  pinevalley: 'pine valley community hospital',
});
