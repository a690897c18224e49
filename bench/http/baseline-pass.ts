/**
 * Baseline for the `pass` scenario: the leanest correct hand-written Node proxy. `POST /pass` streams the
 * request to `{UPSTREAM}/echo` and the reply back, body bytes never buffered or parsed; only hop-by-hop
 * headers are dropped. Mediary's `/pass` is measured against this.
 *
 * Run as a script: `UPSTREAM=http://127.0.0.1:9100 PORT=8300 tsx bench/http/baseline-pass.ts`.
 *
 * @module
 */
import { createServer } from 'node:http';
import {
  failUpstream,
  forwardRequestHeaders,
  forwardResponseHeaders,
  notFound,
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

export interface BaselineOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port?: number;
  /** The upstream's base URL. */
  readonly upstream: string;
}

/**
 * Starts the pass-through baseline on loopback.
 *
 * @example
 * const proxy = await start({ port: 0, upstream: upstream.url });
 * // POST `${proxy.url}/pass` → the upstream's /echo
 * await proxy.close();
 */
export function start(options: BaselineOptions): Promise<RunningServer> {
  const upstream = upstreamTarget(options.upstream);
  const echoPath = upstream.path('/echo');
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/pass') return notFound(req, res);
    // undici's stream() writes the reply body straight into `res`: no intermediate Readable, no copy.
    upstream.pool.stream(
      { path: echoPath, method: 'POST', headers: forwardRequestHeaders(req), body: req },
      ({ statusCode, headers }) => res.writeHead(statusCode, forwardResponseHeaders(headers)),
      (error) => {
        if (error) failUpstream(res, error);
      },
    );
  });
  return listen(server, { port: options.port ?? 0, onClose: () => upstream.pool.close() });
}

if (isMainModule(import.meta.url)) {
  await serveAsMain(() => start({ port: portFromEnv(), upstream: upstreamFromEnv() }));
}
