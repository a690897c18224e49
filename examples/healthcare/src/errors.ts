/**
 * The healthcare example's error catalog. Routes throw these; the HTTP server turns any of them into the
 * reply `{"error":{"code":"MEDIARY_HEALTHCARE_…","message":"…"}}` with the status given here.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const healthcareErrors = defineErrors({
  UNKNOWN_HOSPITAL: {
    code: 'MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL',
    message:
      'The field hospital is {hospital}; expected one of "grand oak community hospital", "clemency medical center", "pine valley community hospital"',
    status: 400,
  },
  BAD_REPLY: {
    code: 'MEDIARY_HEALTHCARE_BAD_REPLY',
    message: 'The hospital backend ({endpoint}) sent a reply that cannot be used: {reason}',
    status: 502,
    retryable: true,
  },
  FEE_NOT_FOUND: {
    code: 'MEDIARY_HEALTHCARE_FEE_NOT_FOUND',
    message: 'No hospital knows appointment {appointmentNumber}',
    status: 404,
  },
  STORE_UNAVAILABLE: {
    code: 'MEDIARY_HEALTHCARE_STORE_UNAVAILABLE',
    message: 'The message store {store} cannot be used: {reason}',
    status: 503,
    retryable: true,
  },
  CONFIG_INVALID: {
    code: 'MEDIARY_HEALTHCARE_CONFIG_INVALID',
    message: 'The environment is not a valid healthcare configuration: {reason}',
    status: 500,
  },
});
