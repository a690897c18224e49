/**
 * The request body the server hands to core, and how the HTTP endpoint recognises it again.
 *
 * Core reads a body as an async iterable. The server gives it node's request stream behind an iterator that
 * does not destroy the stream when reading stops early (core stops at its size limit, and the socket must
 * live on to carry the `413`). When nobody read the body and an HTTP endpoint forwards it, the endpoint
 * hands undici the request stream itself rather than the iterator: undici then pipes it with `data` events
 * and backpressure — the cheapest way through — and knows to detach the socket before it destroys an
 * `IncomingMessage`, so a failed upload still leaves the connection to carry the error reply.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { BodySource } from '@mediary/core';

/** A class rather than a literal with computed keys: one shape for every request, made in a few ns. */
class InboundBody implements BodySource {
  readonly req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.req = req;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.req.iterator({ destroyOnReturn: false });
  }
}

/** The body of a request that came over a socket. */
export function inboundBody(req: IncomingMessage): BodySource {
  return new InboundBody(req);
}

/** node's request stream behind a body made by {@link inboundBody}, when the body is one. */
export function inboundStream(body: BodySource): IncomingMessage | undefined {
  return body instanceof InboundBody ? body.req : undefined;
}
