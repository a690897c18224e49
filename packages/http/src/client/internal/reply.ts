/**
 * The reply side of an exchange: reading header values, dropping a body nobody reads, and the error a
 * `failOnStatus` endpoint raises for a 4xx/5xx reply.
 *
 * @module
 */
import { MediaryError } from '@mediary/core';
import { httpClientErrors } from '../errors.js';
import type { ReplyBody } from './dispatch-request.js';
import type { ExchangeGuard } from './exchange-guard.js';

/** How much of an error reply's body `failOnStatus` keeps for handlers and logs. */
const ERROR_BODY_BYTES = 4096;
const ERROR_BODY_CHARS = 1000;

/** Drops a reply body nobody will read: the request is aborted unless the reply already ended. */
export function discard(body: ReplyBody): void {
  void body.return();
}

export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the start of an error reply (for handlers and logs) and drops the rest. */
export async function readPrefix(body: ReplyBody, guard: ExchangeGuard): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= ERROR_BODY_BYTES) break;
    }
  } catch {
    // The status is what matters; a body cut short is still worth showing.
  } finally {
    discard(body);
    guard.finish();
  }
  const text = Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8');
  return text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}…` : text;
}

/** `MEDIARY_HTTP_STATUS` with the backend's status; retryable when trying later may help (5xx, 429). */
export function statusError(endpoint: string, status: number, body: string): MediaryError {
  const base = httpClientErrors.STATUS({ endpoint, status }, { details: { body } });
  const spec = { ...httpClientErrors.STATUS, status, retryable: status >= 500 || status === 429 };
  return new MediaryError(spec, base.message, { details: base.details });
}
