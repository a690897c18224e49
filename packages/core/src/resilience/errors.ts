/**
 * Error codes raised only by the resilience wrappers and fan-out mediators. Runtime failures reuse core's
 * catalog (`MEDIARY_ENDPOINT_TIMEOUT`, `MEDIARY_ENDPOINT_SUSPENDED`, `MEDIARY_NO_ENDPOINT_AVAILABLE`,
 * `MEDIARY_ABORTED`); these two cover mistakes in how a wrapper or mediator was set up.
 *
 * @module
 */
import { defineErrors } from '../errors.js';

export const resilienceErrors = defineErrors({
  OPTIONS_INVALID: {
    code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID',
    message: 'Invalid options for {component}: {reason}',
    status: 500,
  },
  RECIPIENTS_INVALID: {
    code: 'MEDIARY_RECIPIENTS_INVALID',
    message: 'The recipient list must be endpoint names or endpoints, but the expression gave {got}',
    status: 500,
  },
});
