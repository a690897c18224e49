/**
 * The few things every hand-written baseline proxy needs: an upstream connection pool, hop-by-hop header
 * filtering both ways, and the error replies. Kept deliberately small: the baselines are the "lean Node"
 * yardstick Mediary is measured against, so nothing here may cost more than a correct proxy must.
 *
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Pool } from 'undici';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the ones undici sets
 * itself: `host` (the upstream's, not ours) and `expect` (node:http already answered `100-continue`).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'host',
  'expect',
]);

/** Names listed in a `Connection` header are hop-by-hop for this message too. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const tokens = text
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '' && token !== 'keep-alive' && token !== 'close');
  return tokens.length > 0 ? new Set(tokens) : undefined;
}

/**
 * The request's end-to-end headers as a flat `[name, value, …]` list, which undici takes as is; built from
 * `rawHeaders` so no per-request object is allocated.
 */
export function forwardRequestHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const listed = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/** The upstream reply's end-to-end headers, ready for `res.writeHead`. */
export function forwardResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

/** An upstream base URL split into the pool's origin and the path prefix that routes are appended to. */
export interface UpstreamTarget {
  readonly pool: Pool;
  /** `/echo` for `http://h:p`, `/bytes/10/echo` for `http://h:p/bytes/10`. */
  path(route: string): string;
}

/**
 * One keep-alive pool to the upstream's origin. Connections are unlimited so the pool never queues behind
 * the load generator's concurrency; pipelining stays off, as a proxy cannot know the upstream tolerates it.
 *
 * @example
 * const upstream = upstreamTarget('http://127.0.0.1:9100');
 * upstream.pool.stream({ path: upstream.path('/echo'), method: 'POST', body: req }, factory, callback);
 */
export function upstreamTarget(base: string): UpstreamTarget {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(url.origin, { keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
  return { pool, path: (route) => prefix + route };
}

/** Replies with a small JSON error, the shape Mediary's own errors have. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const text = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Ends an exchange the upstream failed: `502` while nothing has been sent yet, otherwise the reply is cut
 * (destroying the socket is the only way to tell the client a streamed body is incomplete).
 */
export function failUpstream(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  sendError(res, 502, 'BENCH_UPSTREAM_FAILED', error instanceof Error ? error.message : String(error));
}

/** Replies `404` to anything but the one route a baseline serves, discarding the body. */
export function notFound(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  sendError(res, 404, 'BENCH_NOT_FOUND', `no route ${req.method ?? ''} ${req.url ?? ''}`);
}

/** Too large for a buffering route: the limit Mediary's own HTTP server uses by default. */
export const MAX_BUFFERED_BODY = 10 * 1024 * 1024;

/**
 * Reads a whole request body, or `undefined` when it exceeds `limit`. In that case the rest is left unread
 * and the connection marked for closing, so the caller can still send its `413` before the socket goes.
 *
 * @example
 * const body = await readBody(req, res, MAX_BUFFERED_BODY);
 */
export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).off('error', reject);
      req.pause();
      res.shouldKeepAlive = false;
      resolve(undefined);
    };
    const onEnd = () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}
