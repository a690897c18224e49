/**
 * An endpoint wrapper for a JSON backend: the reply is read in full before the route sees it, and a
 * successful reply must be JSON. A backend that drops the connection halfway through a reply, or answers
 * `200` with something that is not JSON, is then a `502` for the client — not a truncated reply, and not a
 * `400` that would blame the client for the backend's bytes.
 *
 * @module
 */
import { coreErrors, type EndpointWrapper, isMediaryError, type MediaryError } from '@mediary/core';
import { healthcareErrors } from './errors.js';

/**
 * Makes an endpoint's replies whole and checked.
 *
 * @example
 * const doctors = wrapEndpoint(httpEndpoint({ name: 'hospital-doctors', url }), jsonReplies());
 */
export function jsonReplies(): EndpointWrapper {
  return (endpoint) => ({
    name: endpoint.name,
    async send(message, ctx) {
      const reply = await endpoint.send(message, ctx);
      try {
        await reply.bytes();
        const status = reply.status ?? 200;
        if (status >= 200 && status < 300 && status !== 204) await reply.json();
      } catch (error) {
        const cause = unwrapBodyRead(error);
        // The endpoint's own verdict while the body streamed (its deadline: 504, a cut connection: 502) or a
        // cancellation (503) stands; what is left is a body we cannot use, which is the backend's fault.
        if (cause && cause.status >= 500) throw cause;
        const reason = cause?.message ?? 'the reply could not be read';
        throw healthcareErrors.BAD_REPLY({ endpoint: endpoint.name, reason }, { cause: error });
      }
      return reply;
    },
    close: () => endpoint.close?.() ?? Promise.resolve(),
  });
}

/** Reading a body wraps whatever the stream threw in `MEDIARY_BODY_READ`; the wrapped error says more. */
function unwrapBodyRead(error: unknown): MediaryError | undefined {
  let current = isMediaryError(error) ? error : undefined;
  while (current && coreErrors.BODY_READ.is(current) && isMediaryError(current.cause))
    current = current.cause;
  return current;
}
