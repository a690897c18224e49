/**
 * Writing replies: an exchange's message (streamed with backpressure when its body is still a stream), a
 * `202` for a dropped message, and the one JSON error shape — `{"error":{"code","message"}}`, never a
 * stack, and for a `500` never the internal message either.
 *
 * @module
 */
import {
  type BodySource,
  coreErrors,
  type Exchange,
  type Logger,
  type MediaryError,
  type Message,
  toMediaryError,
} from '@mediary/core';
import { ReplyBody } from '../../client/internal/dispatch-request.js';
import { httpErrors } from '../../errors.js';
import { nullRecord } from '../../internal/null-record.js';

/** What a reply is written to: node's `ServerResponse`, or the in-memory reply of `inject()`. */
export interface ReplyTarget extends NodeJS.WritableStream {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  /** node's `ServerResponse`: fail when the bytes written differ from the declared `Content-Length`. */
  strictContentLength?: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  destroy(error?: Error): unknown;
}

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'x-correlation-id',
]);

/**
 * Request-only headers. A route that answers with the message it received (set a body, respond) would
 * otherwise echo the caller's `cookie`, `authorization`, `host`… back; a reply never carries them.
 */
const REQUEST_ONLY = new Set([
  'host',
  'cookie',
  'authorization',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-charset',
  'expect',
  'origin',
  'referer',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'soapaction',
]);

const JSON_TYPE = 'application/json';
const DECIMAL = /^\d{1,15}$/;

/** Facts about the request a reply needs. */
export interface ReplyContext {
  /** Added to every reply (CORS, `x-correlation-id`, `connection: close`). */
  readonly headers: Record<string, string>;
  readonly log: Logger;
}

/**
 * Sends an exchange: the route's reply, a `202` for a drop, or the error reply. A promise only while a body
 * is still being written; an error reply or an empty one is sent synchronously.
 */
export function sendExchange(
  res: ReplyTarget,
  exchange: Exchange,
  reply: ReplyContext,
): Promise<void> | undefined {
  // The reply context's headers belong to this one request: they are completed in place.
  reply.headers['x-correlation-id'] = exchange.context.correlationId;
  if (!exchange.ok) {
    sendError(res, exchange.error, reply);
    return undefined;
  }
  if (exchange.outcome === 'drop') {
    res.writeHead(202, { ...reply.headers, 'content-length': '0' });
    res.end();
    return undefined;
  }
  return sendMessage(res, exchange.message, reply);
}

/** Sends a message as the reply: status (default 200), end-to-end headers, body. */
export async function sendMessage(res: ReplyTarget, message: Message, reply: ReplyContext): Promise<void> {
  const status = message.status ?? 200;
  const headers = messageHeaders(message, reply.headers);
  if (message.bodyState !== 'stream') {
    let bytes: Uint8Array;
    try {
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw coreErrors.INTERNAL({}, { cause: new RangeError(`reply status ${status} is not 200–599`) });
      }
      bytes = await message.bytes();
      if (status !== 204 && status !== 304) headers['content-length'] = String(bytes.byteLength);
      res.writeHead(status, headers);
    } catch (error) {
      sendError(res, toMediaryError(error), reply);
      return;
    }
    res.end(bytes);
    return;
  }
  let source: BodySource;
  try {
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw coreErrors.INTERNAL({}, { cause: new RangeError(`reply status ${status} is not 200–599`) });
    }
    source = message.stream();
    // An untouched stream keeps the length its sender declared (setting a body drops the header), so the
    // reply is not re-framed as chunked; node then refuses to send more or fewer bytes than declared, so a
    // wrong length fails the reply instead of corrupting the connection. Without a length: chunked.
    const length = message.headers.get('content-length');
    if (length !== undefined && DECIMAL.test(length) && status !== 204 && status !== 304) {
      headers['content-length'] = length;
      if ('strictContentLength' in res) res.strictContentLength = true;
    }
    res.writeHead(status, headers);
  } catch (error) {
    sendError(res, toMediaryError(error), reply);
    return;
  }
  try {
    // A backend reply still unread is written as undici delivers it; any other stream is pumped.
    if (source instanceof ReplyBody) await source.pipeTo(res);
    else await pump(source, res);
  } catch (error) {
    // Headers are out: the only honest signal left is to cut the connection.
    const cut = httpErrors.REPLY_INTERRUPTED({ reason: describe(error) }, { cause: error });
    reply.log.warn(cut.message, { code: cut.code, correlationId: reply.headers['x-correlation-id'] });
    res.destroy();
  }
}

/**
 * Writes a body source into the reply with backpressure and resolves once the reply has finished. Lighter
 * than `stream.pipeline` (no abort controller, no per-call stream wrappers), which matters on every proxied
 * reply. Rejects when the source fails or the reply closes early (the client went away); in that case the
 * source is returned, which releases a backend connection still streaming into it.
 */
async function pump(source: BodySource, res: ReplyTarget): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  let failure: unknown;
  let wake: (() => void) | undefined;
  let sourceDone = false;
  const stopSource = () => {
    if (sourceDone) return;
    sourceDone = true;
    // A read still pending on a stalled backend fails at once (undici's body is destroyed).
    iterator.return?.().catch(() => undefined);
  };
  const fail = (error: unknown) => {
    failure ??= error;
    stopSource();
    wake?.();
  };
  const onClose = () => {
    if (!res.writableFinished) fail(prematureClose());
    wake?.();
  };
  const onDrain = () => wake?.();
  const onFinish = () => wake?.();
  res.on('close', onClose);
  res.on('error', fail);
  res.on('drain', onDrain);
  res.on('finish', onFinish);
  const settled = () => new Promise<void>((resolve) => (wake = resolve));
  try {
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } catch (error) {
        sourceDone = true;
        throw error;
      }
      if (failure !== undefined) throw failure;
      if (step.done) {
        sourceDone = true;
        break;
      }
      if (!res.write(step.value)) {
        await settled();
        if (failure !== undefined) throw failure;
      }
    }
    res.end();
    while (!res.writableFinished) {
      if (failure !== undefined) throw failure;
      await settled();
    }
  } catch (error) {
    stopSource();
    throw error;
  } finally {
    res.off('close', onClose);
    res.off('error', fail);
    res.off('drain', onDrain);
    res.off('finish', onFinish);
  }
}

function prematureClose(): Error {
  return Object.assign(new Error('the connection closed before the reply was sent'), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  });
}

/**
 * Sends the JSON error reply. When headers already went out (an error mid-stream), the connection is cut
 * instead: a truncated body must never look complete.
 */
export function sendError(res: ReplyTarget, error: MediaryError, reply: ReplyContext): void {
  if (res.headersSent) {
    reply.log.warn(error.message, { code: error.code, correlationId: reply.headers['x-correlation-id'] });
    res.destroy();
    return;
  }
  const status =
    Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 500;
  // A 500 is a bug: its message may carry internals, so the client gets the generic one. Other statuses
  // carry catalog messages written for clients.
  const message = status === 500 ? coreErrors.INTERNAL.message : error.message;
  const body = Buffer.from(JSON.stringify({ error: { code: error.code, message } }), 'utf8');
  res.writeHead(status, {
    ...reply.headers,
    'content-type': JSON_TYPE,
    'content-length': String(body.byteLength),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Sends a small JSON reply that is not an error (health). */
export function sendJson(
  res: ReplyTarget,
  status: number,
  value: unknown,
  headers: Record<string, string>,
): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, {
    ...headers,
    'content-type': JSON_TYPE,
    'content-length': String(body.byteLength),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Sends a reply without a body (`204`, preflight answers). */
export function sendEmpty(res: ReplyTarget, status: number, headers: Record<string, string>): void {
  res.writeHead(status, status === 204 ? headers : { ...headers, 'content-length': '0' });
  res.end();
}

function messageHeaders(message: Message, extra: Record<string, string>): Record<string, string> {
  const headers = nullRecord<string>();
  message.headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || REQUEST_ONLY.has(name) || name.startsWith('proxy-')) return;
    headers[name] = value;
  });
  return Object.assign(headers, extra);
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as { code?: string }).code ?? error.name;
  return 'unknown';
}
