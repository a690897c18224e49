/**
 * Error codes of the outbound HTTP side (HTTP endpoints). Kept in their own catalog, beside the inbound side's,
 * so error handlers can tell "the backend failed" (these) from "the client sent something wrong".
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

/**
 * Errors raised by HTTP endpoints. Messages reach clients, so they never name the backend's address or the
 * socket error; those stay in `details` (`origin`, `reason`) and in the cause, for logs.
 * `STATUS` is the one exception to a fixed status: it takes the backend's
 * status (and is retryable only for 5xx and 429).
 */
export const httpClientErrors = defineErrors({
  UNREACHABLE: {
    code: 'MEDIARY_HTTP_UNREACHABLE',
    message: 'Endpoint {endpoint} could not reach its backend',
    status: 502,
    retryable: true,
  },
  TIMEOUT: {
    code: 'MEDIARY_HTTP_TIMEOUT',
    message: 'Endpoint {endpoint} got no complete reply within {timeoutMs} ms',
    status: 504,
    retryable: true,
  },
  BAD_REPLY: {
    code: 'MEDIARY_HTTP_BAD_REPLY',
    message: 'Endpoint {endpoint} got a broken reply from its backend',
    status: 502,
  },
  REPLY_TOO_LARGE: {
    code: 'MEDIARY_HTTP_REPLY_TOO_LARGE',
    message: 'Endpoint {endpoint} got a reply larger than the limit of {limit} bytes',
    status: 502,
  },
  STATUS: {
    code: 'MEDIARY_HTTP_STATUS',
    message: 'Endpoint {endpoint} answered with status {status}',
    status: 502,
    retryable: true,
  },
  TLS: {
    code: 'MEDIARY_HTTP_TLS',
    message: 'Endpoint {endpoint} could not open a trusted TLS connection to its backend',
    status: 502,
  },
  REQUEST_INVALID: {
    code: 'MEDIARY_HTTP_REQUEST_INVALID',
    message: 'Endpoint {endpoint} cannot send this request: {reason}',
    status: 500,
  },
  URL_INVALID: {
    code: 'MEDIARY_HTTP_URL_INVALID',
    message: 'The URL template {url} is invalid: {reason}',
    status: 500,
  },
  PATH_VALUE_UNSAFE: {
    code: 'MEDIARY_HTTP_PATH_VALUE_UNSAFE',
    message: 'A path value may not make the segment {segment}',
    status: 400,
  },
  URI_VARIABLE: {
    code: 'MEDIARY_HTTP_URI_VARIABLE',
    message: 'The URI template variable {variable} {reason}',
    status: 500,
  },
});
