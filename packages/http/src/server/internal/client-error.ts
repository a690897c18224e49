/**
 * Requests node's parser refuses before they reach a handler — bad framing, CR/LF/NUL in headers,
 * `Content-Length` with `Transfer-Encoding`, oversized headers, a slow client past its timeout — get the same
 * JSON error shape as every other reply, and the connection is closed. Nothing here may throw: a malformed
 * request must never take the process down.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import type { MediaryError } from '@mediary/core';
import { httpErrors } from '../../errors.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
};

/** The error a parser failure is answered with. */
export function clientErrorFor(error: Error & { code?: string; reason?: string }): MediaryError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return httpErrors.HEADERS_TOO_LARGE({}, { cause: error });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return httpErrors.REQUEST_TIMEOUT({}, { cause: error });
    default: {
      // llhttp's reasons are short fixed phrases ("Invalid header value char"); anything else stays generic.
      const reason =
        typeof error.reason === 'string' && /^[\w .,'-]{1,80}$/.test(error.reason)
          ? error.reason
          : 'unparseable HTTP';
      return httpErrors.BAD_REQUEST({ reason }, { cause: error });
    }
  }
}

/** The raw HTTP/1.1 bytes of an error reply that closes the connection. */
export function rawErrorReply(error: MediaryError): Buffer {
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  const head = [
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Bad Request'}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    'cache-control: no-store',
    'connection: close',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'utf8');
}

/**
 * The server's `clientError` listener: answer with a 4xx when no reply is under way on the connection, then
 * close it; otherwise just close it.
 */
export function onClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reply already under way on this connection: raw bytes would interleave with it.
  const inProgress = (socket as { _httpMessage?: unknown })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  try {
    socket.end(rawErrorReply(clientErrorFor(error)), () => socket.destroy());
  } catch {
    socket.destroy();
  }
}
