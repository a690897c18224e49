/**
 * The request body the server hands to core, and how the HTTP endpoint recognises it again.
 *
 * Core reads a body as an async iterable, or whole through `collectBody` (cheaper: plain `data` events). The
 * server gives it node's request stream behind an iterator that does not destroy the stream when reading
 * stops early (core stops at its size limit, and the socket must
 * live on to carry the `413`). When nobody read the body and an HTTP endpoint forwards it, the endpoint
 * hands undici the request stream itself rather than the iterator: undici then pipes it with `data` events
 * and backpressure — the cheapest way through — and knows to detach the socket before it destroys an
 * `IncomingMessage`, so a failed upload still leaves the connection to carry the error reply.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { type BodySource, type CollectableBodySource, collectBody, coreErrors } from '@mediary/core';

/** A class rather than a literal with computed keys: one shape for every request, made in a few ns. */
class InboundBody implements CollectableBodySource {
  readonly req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.req = req;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.req.iterator({ destroyOnReturn: false });
  }

  /** The whole body from `data` events: no iterator machinery for a body read in one go. */
  [collectBody](limit: number): Promise<Uint8Array> {
    return readAll(this.req, limit);
  }
}

/**
 * Reads the request to its end. Over `limit`, it stops reading without destroying the stream, so the socket
 * lives on to carry the `413`; a request that closes before its end fails as a premature close.
 */
function readAll(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        stop();
        req.pause();
        reject(coreErrors.BODY_TOO_LARGE({ limit }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(
        Object.assign(new Error('the request closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
      );
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The body of a request that came over a socket. */
export function inboundBody(req: IncomingMessage): BodySource {
  return new InboundBody(req);
}

/** node's request stream behind a body made by {@link inboundBody}, when the body is one. */
export function inboundStream(body: BodySource): IncomingMessage | undefined {
  return body instanceof InboundBody ? body.req : undefined;
}
