/**
 * Error codes of the enterprise integration patterns (split, aggregate, throttle, resequence, dead letter
 * channel…). Throw sites call these entries; `docs/errors.md` lists them.
 *
 * @module
 */
import { defineErrors } from '../errors.js';

export const eipErrors = defineErrors({
  CONFIG_INVALID: {
    code: 'MEDIARY_EIP_CONFIG_INVALID',
    message: 'Invalid {pattern} options: {reason}',
    status: 500,
  },
  KEY_INVALID: {
    code: 'MEDIARY_EIP_KEY_INVALID',
    message: 'The {pattern} key expression gave {type}, not a non-empty string or a number',
    status: 400,
  },
  SPLIT_NOT_ARRAY: {
    code: 'MEDIARY_SPLIT_NOT_ARRAY',
    message: 'The split expression gave {type}, not an array',
    status: 400,
  },
  SPLIT_ITEM_FAILED: {
    code: 'MEDIARY_SPLIT_ITEM_FAILED',
    message: 'Split item {index} failed: {reason}',
    status: 500,
  },
  MULTICAST_TARGET_FAILED: {
    code: 'MEDIARY_MULTICAST_TARGET_FAILED',
    message: 'Target {index} of {pattern} failed: {reason}',
    status: 500,
  },
  AGGREGATE_LATE: {
    code: 'MEDIARY_AGGREGATE_LATE',
    message: 'A message arrived for aggregation group {key} after the group completed',
    status: 409,
  },
  THROTTLED: {
    code: 'MEDIARY_THROTTLED',
    message: 'Too many messages for {key}: {reason}',
    status: 429,
    retryable: true,
  },
  RESEQUENCE_NUMBER_INVALID: {
    code: 'MEDIARY_RESEQUENCE_NUMBER_INVALID',
    message: 'The sequence number expression gave {value}, not a safe integer',
    status: 400,
  },
  DEAD_LETTER_FAILED: {
    code: 'MEDIARY_DEAD_LETTER_FAILED',
    message: 'The dead letter {target} did not accept the message: {reason}',
    status: 500,
  },
});
