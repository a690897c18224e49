/**
 * An endpoint wrapper for deliveries where the reply's status is the whole answer: the reply body is read
 * to the end (so the connection goes back to the pool) and then ignored.
 *
 * The forwarding of stored reservations (T5) uses it instead of `jsonReplies()`: once the backend said
 * `2xx`, the reservation is made, and a body that is not JSON or is cut short must not turn that into a
 * failed attempt — retrying it would reserve twice.
 *
 * @module
 */
import type { EndpointWrapper } from '@mediary/core';

/**
 * Reads every reply to the end, keeping only its status and headers as the verdict.
 *
 * @example
 * const forward = wrapEndpoint(httpEndpoint({ name: 'forward-reserve', url, failOnStatus: false }), drainedReplies());
 */
export function drainedReplies(): EndpointWrapper {
  return (endpoint) => ({
    name: endpoint.name,
    async send(message, ctx) {
      const reply = await endpoint.send(message, ctx);
      try {
        await reply.bytes();
      } catch {
        // The status already arrived and decides; a body that broke off says nothing more about it.
      }
      return reply;
    },
    close: () => endpoint.close?.() ?? Promise.resolve(),
  });
}
