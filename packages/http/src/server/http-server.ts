/**
 * The HTTP server: a plugin that registers every resource of its APIs and every proxy service as an engine
 * route, and an engine source that listens (node:http or node:https) and turns requests into messages.
 *
 * Hardened by default: header size and count limits, a headers timeout and a request timeout (a slowloris
 * client is cut off, others go on), a body limit checked against `Content-Length` before anything is read,
 * parser errors answered with a JSON 4xx, and no request — however malformed — can throw out of the server.
 *
 * @module
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  type BodySource,
  type Engine,
  type MessageLimits,
  type Plugin,
  type Source,
  sequence,
  toMediaryError,
} from '@mediary/core';
import { httpErrors } from '../errors.js';
import { inboundBody } from '../internal/inbound-body.js';
import type { HttpApi } from './http-api.js';
import { onClientError } from './internal/client-error.js';
import {
  type HandleOptions,
  handleRequest,
  type InboundRequest,
  type ServerRuntime,
} from './internal/handler.js';
import { headerBytes, InjectReply, injectRequest } from './internal/inject.js';
import { type ReplyTarget, sendError } from './internal/reply.js';
import { createRouter } from './internal/router.js';
import type { ProxyService } from './proxy-service.js';

/** Limits on what a client may send. Every one is on by default. */
export interface HttpServerLimits {
  /**
   * Largest request body, in bytes: a declared `Content-Length` above it is refused with `413` before any
   * byte is read, and a body collected into memory (`json()`, `text()`…) stops there with `413`. A chunked
   * body that streams through unread is not counted — it never sits in memory. Default: the engine's
   * `maxBodyBytes` (10 MiB).
   */
  readonly bodyBytes?: number;
  /** Largest request head (request line and headers), in bytes; above it: `431`. Default 16 KiB. */
  readonly headerBytes?: number;
  /** Time to receive the request head; a client too slow gets `408`. Default: `requestTimeoutMs` up to 20 s. */
  readonly headersTimeoutMs?: number;
  /** Time to receive the whole request, body included. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. Default 5 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Most headers a request may have; above it: `431`. Default 200. */
  readonly maxHeadersCount?: number;
}

/** What {@link httpServer} takes. */
export interface HttpServerOptions {
  /** Names the server (its plugin and source). Default `http`. */
  readonly name?: string;
  /** `0` picks a free port; read the result from `url` after the engine started. */
  readonly port: number;
  /** Default `127.0.0.1`: listening on every interface is a decision, so it is never the default. */
  readonly host?: string;
  readonly apis?: readonly HttpApi[];
  readonly proxies?: readonly ProxyService[];
  readonly limits?: HttpServerLimits;
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Answer `GET /health/live` and `GET /health/ready` (`503` while starting or stopping). Default true. */
  readonly health?: boolean;
}

/** A request for `HttpServer.inject()`. */
export interface InjectRequest {
  readonly method: string;
  /** Path and query, e.g. `/healthcare/querydoctor/surgery?x=1`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string or bytes as they are; any other value is sent as JSON (with `content-type: application/json`). */
  readonly body?: string | Uint8Array | object;
}

/** The reply `inject()` collected. */
export interface InjectResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

/** An HTTP server: add it with `engine.use(server)`. */
export interface HttpServer extends Plugin, Source {
  /** The base URL once the engine started, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /**
   * Sends a request in-process — no socket — through the same routing, checks, dispatch and reply code a
   * socket request takes, and collects the reply.
   */
  inject(request: InjectRequest): Promise<InjectResponse>;
}

type State = 'created' | 'listening' | 'stopping' | 'stopped';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const DEFAULT_HEADER_BYTES = 16 * 1024;
const DEFAULT_MAX_HEADERS = 200;
/** How long close() lets replies still streaming (their route already finished) complete. */
const REPLY_GRACE_MS = 5_000;

class NodeHttpServer implements HttpServer {
  readonly name: string;
  readonly #options: HttpServerOptions;
  #engine: Engine | undefined;
  #runtime: ServerRuntime | undefined;
  #server: Server | undefined;
  #closed: Promise<void> | undefined;
  /**
   * Requests being handled, replies still streaming included (the engine only counts routes running): a
   * count, not a set of promises, which would cost a promise and a closure each.
   */
  #handling = 0;
  /** Resolves the wait of {@link #graceForReplies} once nothing is being handled. */
  #idle: (() => void) | undefined;
  #url: string | undefined;
  #state: State = 'created';

  constructor(options: HttpServerOptions) {
    checkOptions(options);
    this.name = options.name ?? 'http';
    this.#options = options;
  }

  get url(): string {
    if (this.#url === undefined) throw httpErrors.NOT_LISTENING({ name: this.name });
    return this.#url;
  }

  setup(engine: Engine): void {
    if (this.#engine) {
      throw httpErrors.INVALID_CONFIG({
        reason: `HTTP server ${this.name} is already registered on an engine`,
      });
    }
    const apis = this.#options.apis ?? [];
    const proxies = this.#options.proxies ?? [];
    // Built first: a route conflict fails before anything is registered on the engine.
    const router = createRouter(apis, proxies);
    for (const api of apis) {
      for (const { resource, routeId } of api.resources) {
        const steps =
          resource.onError === undefined
            ? resource.steps
            : [sequence(resource.steps, { name: 'resource', onError: resource.onError })];
        engine.addRoute({
          id: routeId,
          steps,
          ...(api.onError === undefined ? {} : { onError: api.onError }),
        });
      }
    }
    for (const proxy of proxies) {
      engine.addRoute({
        id: proxy.routeId,
        steps: proxy.steps,
        ...(proxy.onError === undefined ? {} : { onError: proxy.onError }),
      });
    }
    const limits = this.#options.limits ?? {};
    const bodyBytes = limits.bodyBytes ?? engine.limits.maxBodyBytes;
    const messageLimits: MessageLimits = { ...engine.limits, maxBodyBytes: bodyBytes };
    this.#engine = engine;
    this.#runtime = {
      engine,
      router,
      messageLimits,
      bodyBytes,
      maxHeadersCount: limits.maxHeadersCount ?? DEFAULT_MAX_HEADERS,
      health: this.#options.health ?? true,
      log: engine.log.child({ source: this.name }),
      readiness: () =>
        this.#state === 'listening' ? 'ready' : this.#state === 'created' ? 'starting' : 'stopping',
    };
    engine.addSource(this);
  }

  async start(engine: Engine): Promise<void> {
    if (this.#state === 'listening') return;
    if (!this.#runtime || engine !== this.#engine) throw httpErrors.NOT_REGISTERED({ name: this.name });
    const server = this.#createNodeServer();
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          httpErrors.LISTEN_FAILED(
            {
              name: this.name,
              host,
              port: this.#options.port,
              reason: (error as { code?: string }).code ?? error.message,
            },
            { cause: error },
          ),
        );
      };
      server.once('error', onError);
      server.listen({ port: this.#options.port, host }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) =>
      engine.bus.emit('source:error', { source: this.name, error: toMediaryError(error) }),
    );
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#server = server;
    this.#url = `${this.#options.tls ? 'https' : 'http'}://${shown}:${address.port}`;
    this.#state = 'listening';
  }

  /** Stops accepting connections and turns not-ready; requests in flight go on. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server || this.#state !== 'listening') return;
    this.#state = 'stopping';
    // Resolves once every connection is gone, which close() below brings about after the engine drained.
    this.#closed = new Promise((resolve) => server.close(() => resolve()));
  }

  /**
   * After the engine drained: closes idle keep-alive connections, lets replies still streaming finish (up to
   * 5 s), then closes whatever is left.
   */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    if (this.#state === 'listening') await this.stop();
    server.closeIdleConnections();
    if (this.#handling > 0) await this.#graceForReplies();
    server.closeAllConnections();
    await this.#closed;
    this.#server = undefined;
    this.#url = undefined;
    this.#state = 'stopped';
  }

  async #graceForReplies(): Promise<void> {
    const clock = this.#engine!.clock;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = clock.setTimeout(resolve, REPLY_GRACE_MS);
    });
    const idle = new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
    await Promise.race([idle, grace]);
    this.#idle = undefined;
    if (timer !== undefined) clock.clearTimeout(timer);
  }

  async inject(request: InjectRequest): Promise<InjectResponse> {
    const rt = this.#runtime;
    if (!rt) throw httpErrors.NOT_REGISTERED({ name: this.name });
    const reply = new InjectReply(request.method.toUpperCase() === 'HEAD');
    let inbound: InboundRequest;
    try {
      inbound = injectRequest(request);
      const limit = this.#options.limits?.headerBytes ?? DEFAULT_HEADER_BYTES;
      if (headerBytes(inbound) > limit) throw httpErrors.HEADERS_TOO_LARGE();
    } catch (error) {
      // What node's parser refuses on a socket is refused here with the same reply.
      sendError(reply, toMediaryError(error), { headers: { connection: 'close' }, log: rt.log });
      return reply.result();
    }
    await handleRequest(rt, inbound, reply, {});
    return reply.result();
  }

  #createNodeServer(): Server {
    const limits = this.#options.limits ?? {};
    const requestTimeout = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const headersTimeout = Math.min(
      limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeout > 0 ? requestTimeout : Number.POSITIVE_INFINITY,
    );
    const shortest = Math.min(headersTimeout || requestTimeout, requestTimeout || headersTimeout);
    const options = {
      maxHeaderSize: limits.headerBytes ?? DEFAULT_HEADER_BYTES,
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      // Node checks timeouts on this interval (30 s by default): a 2 s timeout needs a finer one.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor((shortest || 4000) / 4))),
      requireHostHeader: true,
      noDelay: true,
    };
    const tls = this.#options.tls;
    const server: Server = tls
      ? createHttpsServer({ ...options, key: tls.key, cert: tls.cert })
      : createHttpServer(options);
    server.keepAliveTimeout = options.keepAliveTimeout;
    // One more than allowed: node drops headers past this count silently, so the extra one shows an excess.
    server.maxHeadersCount = (limits.maxHeadersCount ?? DEFAULT_MAX_HEADERS) + 1;
    // #onRequest never rejects: it ends every failure with a reply or a destroyed connection.
    server.on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => void this.#onRequest(req, res, false),
    );
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      void this.#onRequest(req, res, true);
    });
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      const error = httpErrors.EXPECTATION_FAILED({ expect: String(req.headers.expect ?? '') });
      sendError(res as ReplyTarget, error, { headers: { connection: 'close' }, log: this.#runtime!.log });
    });
    server.on('clientError', onClientError);
    return server;
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    this.#handling++;
    // A client that goes away aborts its message; no abort signal is made for the many that stay.
    let abortMessage: ((reason: unknown) => void) | undefined;
    let gone = false;
    // 'close' comes once: `on`, not `once`, which would wrap the listener in two more objects.
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      abortMessage?.(httpErrors.CLIENT_CLOSED());
    });
    const options: HandleOptions = {
      bindAbort: (abort) => {
        if (gone) abort(httpErrors.CLIENT_CLOSED());
        else abortMessage = abort;
      },
      onContinue: expectContinue ? () => res.writeContinue() : undefined,
    };
    try {
      await handleRequest(this.#runtime!, new SocketRequest(req), res as ReplyTarget, options);
    } catch (error) {
      // handleRequest never throws; this is the last guard that keeps a bug from crashing the process.
      this.#runtime?.log.error('request handling failed', { cause: String(error) });
      res.destroy();
    } finally {
      if (--this.#handling === 0) this.#idle?.();
    }
  }
}

/** A socket request as the handler sees it: a class, so every request has the same shape. */
class SocketRequest implements InboundRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
  readonly parsedByNode = true;
  readonly httpVersion: string;
  readonly remoteAddress: string | undefined;
  readonly body: BodySource;
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    this.headers = req.headers;
    this.rawHeaders = req.rawHeaders;
    this.httpVersion = req.httpVersion;
    this.remoteAddress = req.socket.remoteAddress;
    this.body = inboundBody(req);
    this.#req = req;
  }

  get complete(): boolean {
    return this.#req.complete;
  }
}

function checkOptions(options: HttpServerOptions): void {
  const invalid = (reason: string) =>
    httpErrors.INVALID_CONFIG({ reason: `HTTP server ${options.name ?? 'http'}: ${reason}` });
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw invalid('port must be 0–65535');
  }
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw invalid(`limits.${key} must be a non-negative number`);
    }
  }
}

/**
 * Creates an HTTP server for APIs and proxy services. Add it to an engine with `engine.use(server)`; it
 * listens when the engine starts and drains when it stops.
 *
 * @example
 * const server = httpServer({ port: 8290, apis: [healthcare], proxies: [soapFront] });
 * const engine = createEngine({ plugins: [server] });
 * await engine.start();
 * console.log(`serving on ${server.url}`);
 *
 * // in tests, no socket:
 * const res = await server.inject({ method: 'GET', path: '/healthcare/querydoctor/surgery' });
 */
export function httpServer(options: HttpServerOptions): HttpServer {
  return new NodeHttpServer(options);
}
