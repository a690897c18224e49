/**
 * The benchmark's upstream (SCENARIOS.md section 3): the service every benchmarked proxy calls.
 *
 * | route | behaviour |
 * | --- | --- |
 * | `/echo` | streams the request body back with the request's content type (and length, when sent) |
 * | `/route/a`, `/route/b` | the same, plus `x-route: a` or `x-route: b` |
 * | `/bytes?n=N`, `/bytes/N[/…]` | ignores the request body and streams N bytes back |
 * | `/sink[/…]` | reads the request body and replies `{"bytes":N}` |
 *
 * `/bytes/N/…` and `/sink/…` accept any suffix so the memory benchmark can point an unmodified proxy at them:
 * a proxy told `UPSTREAM=http://host/bytes/1073741824` calls `…/bytes/1073741824/echo` and receives 1 GiB.
 *
 * Run as a script: `PORT=9100 tsx bench/http/upstream.ts`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { isMainModule, listen, portFromEnv, type RunningServer, serveAsMain } from './server-kit.js';

export interface UpstreamOptions {
  readonly port?: number;
  readonly host?: string;
}

/** One reusable chunk for `/bytes`: generating the reply must cost next to nothing. */
const CHUNK = Buffer.alloc(64 * 1024, 'x');

function echo(req: IncomingMessage, res: ServerResponse, route: 'a' | 'b' | undefined): void {
  const headers: OutgoingHttpHeaders = {
    'content-type': req.headers['content-type'] ?? 'application/octet-stream',
  };
  // Passing the length through keeps the reply unchunked, as a real service answering a sized body would.
  const length = req.headers['content-length'];
  if (length !== undefined) headers['content-length'] = length;
  if (route) headers['x-route'] = route;
  res.writeHead(200, headers);
  pipeline(req, res, () => {
    // pipeline has already destroyed both streams on error; a client that went away needs nothing more.
  });
}

function sendBytes(req: IncomingMessage, res: ServerResponse, n: number): void {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
  let left = n;
  const pump = (): void => {
    while (left > 0) {
      const size = Math.min(left, CHUNK.length);
      left -= size;
      if (!res.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.once('close', () => {
    // A client that disconnects never drains; stop so the closure can be collected.
    left = 0;
    res.off('drain', pump);
  });
  pump();
}

function sink(req: IncomingMessage, res: ServerResponse): void {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.once('end', () => {
    const text = JSON.stringify({ bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

function notFound(req: IncomingMessage, res: ServerResponse, path: string): void {
  req.resume();
  const text = JSON.stringify({ error: { code: 'UPSTREAM_NOT_FOUND', message: `no route ${path}` } });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function byteCount(text: string | null | undefined): number | undefined {
  if (text == null || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

function bytesRequested(url: string, path: string, query: number): number | undefined {
  if (path === '/bytes') return byteCount(new URLSearchParams(url.slice(query + 1)).get('n'));
  return path.startsWith('/bytes/') ? byteCount(path.split('/')[2]) : undefined;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  // The hot routes are plain string comparisons: the upstream must never be the bottleneck.
  if (path === '/echo') echo(req, res, undefined);
  else if (path === '/route/a') echo(req, res, 'a');
  else if (path === '/route/b') echo(req, res, 'b');
  else if (path === '/sink' || path.startsWith('/sink/')) sink(req, res);
  else {
    const n = bytesRequested(url, path, query);
    if (n === undefined) notFound(req, res, path);
    else sendBytes(req, res, n);
  }
}

/**
 * Starts the upstream on loopback.
 *
 * @example
 * const upstream = await startUpstream({ port: 0 });
 * // POST `${upstream.url}/route/a` echoes the body with `x-route: a`
 * await upstream.close();
 */
export function startUpstream(options: UpstreamOptions = {}): Promise<RunningServer> {
  return listen(createServer(handle), options);
}

if (isMainModule(import.meta.url)) {
  await serveAsMain(() => startUpstream({ port: portFromEnv(), host: process.env.HOST ?? '127.0.0.1' }));
}
