/**
 * Baseline for the `xml` scenario (transformation): `POST /xml` streams the request to `{UPSTREAM}/echo`,
 * buffers the reply, parses it as JSON and answers the same data as XML (`application/xml`), built with
 * fast-xml-parser's `XMLBuilder`. An upstream error status or a reply that is not JSON is a `502`.
 *
 * Run as a script: `UPSTREAM=http://127.0.0.1:9100 PORT=8302 tsx bench/http/baseline-xml.ts`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { BaselineOptions } from './baseline-pass.js';
import {
  failUpstream,
  forwardRequestHeaders,
  notFound,
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
import { jsonToXml } from './xml.js';

async function transform(
  upstream: UpstreamTarget,
  echoPath: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const reply = await upstream.pool.request({
    path: echoPath,
    method: 'POST',
    headers: forwardRequestHeaders(req),
    body: req,
  });
  if (reply.statusCode < 200 || reply.statusCode > 299) {
    await reply.body.dump();
    return sendError(res, 502, 'BENCH_UPSTREAM_STATUS', `the upstream answered ${reply.statusCode}`);
  }
  let data: unknown;
  try {
    data = await reply.body.json();
  } catch {
    return sendError(res, 502, 'BENCH_UPSTREAM_NOT_JSON', 'the upstream reply is not JSON');
  }
  const xml = jsonToXml(data);
  res.writeHead(200, {
    'content-type': 'application/xml; charset=utf-8',
    'content-length': Buffer.byteLength(xml),
  });
  res.end(xml);
}

/**
 * Starts the JSON-to-XML baseline on loopback.
 *
 * @example
 * const proxy = await start({ port: 0, upstream: upstream.url });
 * // POST `${proxy.url}/xml` with {"a":1} → <?xml …?><root><a>1</a></root>
 * await proxy.close();
 */
export function start(options: BaselineOptions): Promise<RunningServer> {
  const upstream = upstreamTarget(options.upstream);
  const echoPath = upstream.path('/echo');
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/xml') return notFound(req, res);
    transform(upstream, echoPath, req, res).catch((error: unknown) => failUpstream(res, error));
  });
  return listen(server, { port: options.port ?? 0, onClose: () => upstream.pool.close() });
}

if (isMainModule(import.meta.url)) {
  await serveAsMain(() => start({ port: portFromEnv(), upstream: upstreamFromEnv() }));
}
