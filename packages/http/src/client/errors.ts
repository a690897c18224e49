/**
 * Error codes of the outbound HTTP side (HTTP endpoints). Kept in their own catalog, beside the inbound side's,
 * so error handlers can tell "the backend failed" (these) from "the client sent something wrong".
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

/**
 * Errors raised by HTTP endpoints. `STATUS` is the one exception to a fixed status: it takes the backend's
 * status (and is retryable only for 5xx and 429).
 */
export const httpClientErrors = defineErrors({
  UNREACHABLE: {
    code: 'MEDIARY_HTTP_UNREACHABLE',
    message: 'Endpoint {endpoint} could not reach {origin}: {reason}',
    status: 502,
    retryable: true,
  },
  TIMEOUT: {
    code: 'MEDIARY_HTTP_TIMEOUT',
    message: 'Endpoint {endpoint} got no complete reply from {origin} within {timeoutMs} ms',
    status: 504,
    retryable: true,
  },
  BAD_REPLY: {
    code: 'MEDIARY_HTTP_BAD_REPLY',
    message: 'Endpoint {endpoint} got a broken reply from {origin}: {reason}',
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
    message: 'Endpoint {endpoint} could not open a trusted TLS connection to {origin}: {reason}',
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
  URI_VARIABLE: {
    code: 'MEDIARY_HTTP_URI_VARIABLE',
    message: 'The URI template variable {variable} {reason}',
    status: 500,
  },
});
