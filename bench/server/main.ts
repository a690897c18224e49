/**
 * The benchmark server of SCENARIOS.md section 3, written with Mediary's public API only, the way a user
 * would write it:
 *
 * | route | what it does |
 * | --- | --- |
 * | `POST /pass` | streams the request to `{UPSTREAM}/echo` and the reply back, body never read |
 * | `POST /cbr` | routes on the JSON field `route` (`"a"` → `{UPSTREAM}/route/a`, else `/route/b`), forwarding the original bytes |
 * | `POST /xml` | forwards to `{UPSTREAM}/echo` and answers the JSON reply converted to XML (`application/xml`) |
 *
 * `UPSTREAM` may carry a path prefix (`http://h:p/sink`): the routes are appended to it, which is how the
 * memory benchmark points an unmodified server at its `/sink` and `/bytes/N` upstream routes.
 *
 * Run: `UPSTREAM=http://127.0.0.1:9100 PORT=8280 pnpm bench:server`. Once listening it prints the line
 * `mediary-bench ready {"url":…,"pid":…}` the benchmark runner waits for, and it stops on SIGINT/SIGTERM.
 *
 * `CBR_MODE=parse` makes `/cbr` parse the whole body (`ctx.message.json()`) instead of peeking at the one
 * field (`jsonField('route')`): the benchmark measures both. `ROUTES=pass,cbr` serves only those routes (the
 * runner starts one process per scenario, so a pass-through proxy does not carry `@mediary/xml`, which it
 * would never load).
 *
 * @module
 */
import {
  call,
  choice,
  coreErrors,
  createEngine,
  defineMediator,
  type Expr,
  jsonField,
  type Mediator,
  respond,
} from '@mediary/core';
import { type HttpResource, httpApi, httpEndpoint, httpServer } from '@mediary/http';
import {
  isMainModule,
  portFromEnv,
  type RunningServer,
  serveAsMain,
  upstreamFromEnv,
} from '../http/server-kit.js';

/** How `/cbr` finds the routing field. */
export type CbrMode = 'peek' | 'parse';

/** The routes of SCENARIOS.md section 3. */
export type BenchRoute = 'pass' | 'cbr' | 'xml';

export const BENCH_ROUTES: readonly BenchRoute[] = ['pass', 'cbr', 'xml'];

export interface BenchServerOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** The upstream's base URL, possibly with a path prefix the routes are appended to. */
  readonly upstream: string;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default `peek`. */
  readonly cbrMode?: CbrMode;
  /** Default: all three. */
  readonly routes?: readonly BenchRoute[];
}

/**
 * A pass-through proxy has no reason to cap what streams through it: the 1 GiB memory cases must pass. The
 * server's body limit is per server, though, so bodies collected into memory are capped elsewhere: `/cbr`
 * by {@link COLLECTED_BODY_BYTES} on the declared length, `/xml` by the endpoint's reply limit (10 MiB).
 */
const STREAMED_BODY_BYTES = Number.MAX_SAFE_INTEGER;
/** The server's default body limit, for the one route that collects the request body. */
const COLLECTED_BODY_BYTES = 10 * 1024 * 1024;
/** Long enough for a gibibyte on a slow, shared machine. */
const TRANSFER_TIMEOUT_MS = 600_000;

/**
 * Starts the benchmark server on loopback.
 *
 * @example
 * const server = await startBenchServer({ port: 0, upstream: 'http://127.0.0.1:9100' });
 * // POST `${server.url}/cbr` with {"route":"a",…} → the upstream's /route/a, reply streamed back
 * await server.close();
 */
export async function startBenchServer(options: BenchServerOptions): Promise<RunningServer> {
  const base = options.upstream.replace(/\/+$/, '');
  const streaming = { method: 'POST', timeoutMs: TRANSFER_TIMEOUT_MS, maxReplyBytes: STREAMED_BODY_BYTES };
  const echo = httpEndpoint({ name: 'echo', url: `${base}/echo`, ...streaming });
  const routeA = httpEndpoint({ name: 'route-a', url: `${base}/route/a`, ...streaming });
  const routeB = httpEndpoint({ name: 'route-b', url: `${base}/route/b`, ...streaming });
  // /xml buffers the reply to convert it: the default reply cap (10 MiB) applies, and a backend error
  // status is a 502, not a body to convert.
  const echoForXml = httpEndpoint({
    name: 'echo-xml',
    url: `${base}/echo`,
    method: 'POST',
    failOnStatus: true,
  });

  const route: Expr<unknown> =
    options.cbrMode === 'parse'
      ? async (ctx) => ((await ctx.message.json()) as { route?: unknown } | null)?.route
      : jsonField('route');

  const routes = new Set(options.routes ?? BENCH_ROUTES);
  const resources: HttpResource[] = [];
  if (routes.has('pass')) resources.push({ method: 'POST', path: '/pass', steps: [call('echo'), respond()] });
  if (routes.has('cbr')) {
    resources.push({
      method: 'POST',
      path: '/cbr',
      steps: [
        declaredLengthAtMost(COLLECTED_BODY_BYTES),
        choice({
          on: route,
          cases: [{ equals: 'a', steps: [call('route-a')] }],
          otherwise: [call('route-b')],
        }),
        respond(),
      ],
    });
  }
  if (routes.has('xml')) {
    // Loaded only for this route: XPath and XSD support make it the heaviest package to load.
    const { jsonToXml } = await import('@mediary/xml');
    resources.push({
      method: 'POST',
      path: '/xml',
      steps: [call('echo-xml'), jsonToXml({ mode: 'plain', root: 'root', declaration: true }), respond()],
    });
  }
  const api = httpApi({ name: 'bench', context: '/', resources });
  const server = httpServer({
    port: options.port,
    host: options.host ?? '127.0.0.1',
    apis: [api],
    limits: { bodyBytes: STREAMED_BODY_BYTES, requestTimeoutMs: TRANSFER_TIMEOUT_MS },
  });
  const engine = createEngine({ name: 'bench', plugins: [server] });
  for (const endpoint of [echo, routeA, routeB, echoForXml]) engine.addEndpoint(endpoint);
  await engine.start();
  const url = server.url;
  return {
    url,
    port: Number(new URL(url).port),
    close: () => engine.stop(),
  };
}

/**
 * Refuses (`413`) a body whose declared length is over `limit` before anything reads it. A chunked body is
 * still capped only by the server's limit: a per-resource body limit in `@mediary/http` would close that.
 */
function declaredLengthAtMost(limit: number): Mediator {
  return defineMediator('declaredLengthAtMost', (ctx) => {
    const declared = Number(ctx.message.headers.get('content-length') ?? 0);
    if (declared > limit) throw coreErrors.BODY_TOO_LARGE({ limit });
  });
}

function routesFromEnv(value: string | undefined): readonly BenchRoute[] {
  if (value === undefined || value.trim() === '') return BENCH_ROUTES;
  const routes = value.split(',').map((route) => route.trim());
  const unknown = routes.filter((route) => !(BENCH_ROUTES as readonly string[]).includes(route));
  if (unknown.length > 0) throw new Error(`ROUTES may hold pass, cbr and xml, not ${unknown.join(', ')}`);
  return routes as BenchRoute[];
}

if (isMainModule(import.meta.url)) {
  const cbrMode = process.env.CBR_MODE === 'parse' ? 'parse' : 'peek';
  const routes = routesFromEnv(process.env.ROUTES);
  await serveAsMain(() =>
    startBenchServer({ port: portFromEnv(), upstream: upstreamFromEnv(), cbrMode, routes }),
  );
}
