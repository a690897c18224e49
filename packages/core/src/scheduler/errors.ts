/**
 * Error codes of scheduled tasks.
 *
 * @module
 */
import { defineErrors } from '../errors.js';

export const schedulerErrors = defineErrors({
  INVALID: {
    code: 'MEDIARY_SCHEDULE_INVALID',
    message: 'Scheduled task {name} has an invalid schedule: {reason}',
    status: 500,
  },
  NO_ENGINE: {
    code: 'MEDIARY_SCHEDULE_NO_ENGINE',
    message: 'Scheduled task {name} was started without an engine',
    status: 500,
  },
});
