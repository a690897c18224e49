/**
 * Wrapping errors (a failed split item, a failed multicast target) keep the inner error's HTTP status and
 * retryable flag: a 400 from one item is still a client error, a 503 is still worth retrying.
 *
 * @module
 */
import { MediaryError } from '../../errors.js';

export function inheritStatus(wrapper: MediaryError, inner: MediaryError): MediaryError {
  return new MediaryError(
    { code: wrapper.code, message: wrapper.message, status: inner.status, retryable: inner.retryable },
    wrapper.message,
    { cause: inner, details: wrapper.details },
  );
}
