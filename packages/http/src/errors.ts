/**
 * The error catalog of `@mediary/http`: one `defineErrors` catalog for the whole package, with a section per
 * side (inbound server, outbound client). Codes are stable (`MEDIARY_HTTP_<WHAT>`); retired codes are never
 * reused. Body-size and parse errors are core's (`MEDIARY_BODY_TOO_LARGE`, `MEDIARY_JSON_MALFORMED`…) so a
 * client sees the same code whichever layer noticed.
 *
 * @module
 */
import { defineErrors } from '@mediary/core';

export const httpErrors = defineErrors({
  // ── Inbound: the HTTP server, APIs and proxy services ───────────────────────────────────────────────
  NOT_FOUND: {
    code: 'MEDIARY_HTTP_NOT_FOUND',
    message: 'No resource matches {method} {path}',
    status: 404,
  },
  METHOD_NOT_ALLOWED: {
    code: 'MEDIARY_HTTP_METHOD_NOT_ALLOWED',
    message: 'Method {method} is not allowed on {path}; allowed: {allow}',
    status: 405,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'MEDIARY_HTTP_UNSUPPORTED_MEDIA_TYPE',
    message: 'Content type {contentType} is not accepted here; accepted: {accepts}',
    status: 415,
  },
  EXPECTATION_FAILED: {
    code: 'MEDIARY_HTTP_EXPECTATION_FAILED',
    message: 'The expectation {expect} cannot be met',
    status: 417,
  },
  BAD_REQUEST: {
    code: 'MEDIARY_HTTP_BAD_REQUEST',
    message: 'The request is malformed: {reason}',
    status: 400,
  },
  HEADERS_TOO_LARGE: {
    code: 'MEDIARY_HTTP_HEADERS_TOO_LARGE',
    message: 'The request headers are larger than the server accepts',
    status: 431,
  },
  REQUEST_TIMEOUT: {
    code: 'MEDIARY_HTTP_REQUEST_TIMEOUT',
    message: 'The request was not received in time',
    status: 408,
  },
  NOT_READY: {
    code: 'MEDIARY_HTTP_NOT_READY',
    message: 'The server is not ready: {state}',
    status: 503,
    retryable: true,
  },
  CLIENT_CLOSED: {
    code: 'MEDIARY_HTTP_CLIENT_CLOSED',
    message: 'The client closed the connection before the reply was sent',
    // Never sent (nobody is listening); 499 is what proxies log for it.
    status: 499,
  },
  REPLY_INTERRUPTED: {
    code: 'MEDIARY_HTTP_REPLY_INTERRUPTED',
    message: 'The reply was cut off after its headers were sent: {reason}',
    status: 502,
  },
  INVALID_CONFIG: {
    code: 'MEDIARY_HTTP_INVALID_CONFIG',
    message: 'Invalid HTTP configuration: {reason}',
    status: 500,
  },
  LISTEN_FAILED: {
    code: 'MEDIARY_HTTP_LISTEN_FAILED',
    message: 'HTTP server {name} could not listen on {host}:{port}: {reason}',
    status: 500,
  },
  NOT_LISTENING: {
    code: 'MEDIARY_HTTP_NOT_LISTENING',
    message: 'HTTP server {name} is not listening; start the engine first',
    status: 500,
  },
  NOT_REGISTERED: {
    code: 'MEDIARY_HTTP_NOT_REGISTERED',
    message: 'HTTP server {name} is not registered on an engine; call engine.use(server) first',
    status: 500,
  },
  // ── Outbound: the HTTP client and endpoints ─────────────────────────────────────────────────────────
});
