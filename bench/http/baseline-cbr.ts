/**
 * Baseline for the `cbr` scenario (content-based routing): `POST /cbr` buffers the body, parses it as JSON,
 * and sends the original bytes to `{UPSTREAM}/route/a` when the field `route` is `"a"`, else to
 * `{UPSTREAM}/route/b`; the reply streams back. Malformed JSON is a `400`, a body over 10 MiB a `413`.
 *
 * Run as a script: `UPSTREAM=http://127.0.0.1:9100 PORT=8301 tsx bench/http/baseline-cbr.ts`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { BaselineOptions } from './baseline-pass.js';
import {
  failUpstream,
  forwardRequestHeaders,
  forwardResponseHeaders,
  MAX_BUFFERED_BODY,
  notFound,
  readBody,
  sendError,
  type UpstreamTarget,
  upstreamTarget,
} from './proxy-kit.js';
import {
  isMainModule,
  listen,
  portFromEnv,
  type RunningServer,
  serveAsMain,
  upstreamFromEnv,
} from './server-kit.js';

/** The parsed body's `route` field, or `undefined` when the body is not JSON. */
function routeOf(body: Buffer): { route: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return {
      route: typeof value === 'object' && value !== null ? (value as { route?: unknown }).route : undefined,
    };
  } catch {
    return undefined;
  }
}

async function route(upstream: UpstreamTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, res, MAX_BUFFERED_BODY);
  if (body === undefined) {
    return sendError(res, 413, 'BENCH_BODY_TOO_LARGE', `bodies are limited to ${MAX_BUFFERED_BODY} bytes`);
  }
  const parsed = routeOf(body);
  if (parsed === undefined) return sendError(res, 400, 'BENCH_INVALID_JSON', 'the body is not valid JSON');
  const path = upstream.path(parsed.route === 'a' ? '/route/a' : '/route/b');
  upstream.pool.stream(
    // The original bytes go on, not a re-serialisation: routing must not alter the message.
    { path, method: 'POST', headers: forwardRequestHeaders(req), body },
    ({ statusCode, headers }) => res.writeHead(statusCode, forwardResponseHeaders(headers)),
    (error) => {
      if (error) failUpstream(res, error);
    },
  );
}

/**
 * Starts the content-based-routing baseline on loopback.
 *
 * @example
 * const proxy = await start({ port: 0, upstream: upstream.url });
 * // POST `${proxy.url}/cbr` with {"route":"a",…} → the upstream's /route/a
 * await proxy.close();
 */
export function start(options: BaselineOptions): Promise<RunningServer> {
  const upstream = upstreamTarget(options.upstream);
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/cbr') return notFound(req, res);
    route(upstream, req, res).catch((error: unknown) => failUpstream(res, error));
  });
  return listen(server, { port: options.port ?? 0, onClose: () => upstream.pool.close() });
}

if (isMainModule(import.meta.url)) {
  await serveAsMain(() => start({ port: portFromEnv(), upstream: upstreamFromEnv() }));
}
