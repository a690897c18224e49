/**
 * HTTP endpoints: send a message to a backend over HTTP/1.1 (undici) and return its reply as a message.
 *
 * Pass-through both ways: an unread request body is streamed to the backend as it arrives, and the reply
 * body is handed back unread, as the live socket stream, so a route that only proxies never buffers a byte.
 * Backend errors (4xx/5xx) come back as messages with their status unless `failOnStatus` asks for an error;
 * transport failures become errors with codes a route's error handler can act on.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { coreErrors, type Endpoint, type Expr, Headers, Message, type MessageContext } from '@mediary/core';
import { Agent, type Dispatcher } from 'undici';
import { httpClientErrors } from './errors.js';
import { dispatchRequest, type ReplyHead } from './internal/dispatch-request.js';
import { ExchangeGuard } from './internal/exchange-guard.js';
import { forwardedHeaders, replyHeaders } from './internal/headers.js';
import { type Hop, nextHop } from './internal/redirect.js';
import { discard, header, readPrefix, statusError } from './internal/reply.js';
import { defaultMethod, lookup, METHOD_TOKEN, requestBody, splitUrl } from './internal/request.js';

/** Connection pool settings, per backend origin. */
export interface HttpPoolOptions {
  /** Most connections open to one origin. Default: unlimited. */
  readonly connections?: number;
  /** Requests pipelined on one connection. Default 1 (no pipelining). */
  readonly pipelining?: number;
  /** How long an idle connection is kept open, in ms. Default 4000. */
  readonly keepAliveTimeoutMs?: number;
}

/** TLS settings for `https://` backends. */
export type HttpTlsOptions = Pick<
  ConnectionOptions,
  'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'
>;

/** Credentials sent to the backend (never to another origin, never logged). */
export type HttpAuth =
  | { readonly basic: { readonly username: string; readonly password: string } }
  | { readonly bearer: string | Expr<string> };

export interface HttpEndpointOptions {
  /** The name routes call it by (and tests mock it by). */
  readonly name: string;
  /**
   * The backend URL, a URI template: `{x}` is filled from `ctx.vars.x`, else `ctx.transport.params.x`, and
   * percent-encoded so no value can leave the path the template names; `{+x}` keeps `/` in the value.
   * Scheme, host and port are fixed (no variables there).
   */
  readonly url: string;
  /** Default: the inbound HTTP method for HTTP messages; otherwise POST with a body, GET without. */
  readonly method?: string;
  /** Extra request headers (constants or expressions evaluated per call); they win over forwarded ones. */
  readonly headers?: Readonly<Record<string, string | Expr<string>>>;
  /** Deadline for the whole exchange, up to the last byte of the reply body, in ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** Deadline for opening a connection, in ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Largest reply body, in bytes, streamed or buffered. Default 10 MiB. */
  readonly maxReplyBytes?: number;
  readonly pool?: HttpPoolOptions;
  readonly tls?: HttpTlsOptions;
  readonly auth?: HttpAuth;
  /** Redirects followed. Default 0: a 3xx reply is returned as it is. */
  readonly followRedirects?: number;
  /**
   * Which message headers go to the backend: `true` (default) all end-to-end headers, a list of names, or
   * `false` for none. Hop-by-hop headers and `host` never go; `content-length` is recomputed.
   */
  readonly forwardHeaders?: boolean | readonly string[];
  /**
   * Default false: a 4xx/5xx reply is returned as a message with its status, so a route can pass it on.
   * True: it fails with `MEDIARY_HTTP_STATUS`, carrying the backend's status and the start of its body.
   */
  readonly failOnStatus?: boolean;
}

/** An HTTP endpoint; `close()` releases its connections (the engine calls it on stop). */
export interface HttpEndpoint extends Endpoint {
  /** The URL template it was created with. */
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REPLY_BYTES = 10 * 1024 * 1024;
/** On close, how long replies still being streamed get before their connections are cut. */
const CLOSE_GRACE_MS = 5000;
const NO_BODY_STATUS = new Set([204, 205, 304]);

/**
 * Creates an HTTP endpoint.
 *
 * @example
 * engine.addEndpoint(
 *   httpEndpoint({
 *     name: 'reserve',
 *     url: 'http://127.0.0.1:9090/{hospitalId}/categories/{category}/reserve',
 *     method: 'POST',
 *     timeoutMs: 10_000,
 *   }),
 * );
 * // in a route: setVar('hospitalId', …), call('reserve'), respond()
 */
export function httpEndpoint(options: HttpEndpointOptions): HttpEndpoint {
  const { name } = options;
  const { origin, path } = splitUrl(options.url);
  const timeoutMs = positive(name, 'timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const maxReplyBytes = positive(name, 'maxReplyBytes', options.maxReplyBytes, DEFAULT_MAX_REPLY_BYTES);
  const followRedirects = options.followRedirects ?? 0;
  if (!Number.isInteger(followRedirects) || followRedirects < 0) {
    throw httpClientErrors.REQUEST_INVALID({ endpoint: name, reason: 'followRedirects must be 0 or more' });
  }
  const method = options.method?.toUpperCase();
  if (method !== undefined && !METHOD_TOKEN.test(method)) {
    throw httpClientErrors.REQUEST_INVALID({ endpoint: name, reason: `${options.method} is not a method` });
  }
  const forward = options.forwardHeaders ?? true;
  const failOnStatus = options.failOnStatus ?? false;
  const agent = createAgent(options);
  // Configured headers split once: constants are set as they are, functions evaluated per call.
  const constantHeaders: [string, string][] = [];
  const computedHeaders: [string, Expr<string>][] = [];
  for (const [header, value] of Object.entries(options.headers ?? {})) {
    if (typeof value === 'function') computedHeaders.push([header.toLowerCase(), value]);
    else constantHeaders.push([header.toLowerCase(), String(value)]);
  }
  const bearer = options.auth && 'bearer' in options.auth ? options.auth.bearer : undefined;
  const computedBearer = typeof bearer === 'function' ? bearer : undefined;
  const authorization = typeof bearer === 'string' ? `Bearer ${bearer}` : authHeader(options.auth);
  const inFlight = new Set<ExchangeGuard>();
  const guardOptions = { endpoint: name, origin, timeoutMs, inFlight };

  async function send(message: Message, ctx: MessageContext): Promise<Message> {
    const guard = new ExchangeGuard(ctx, guardOptions, ctx.engine.clock);
    let hop: Hop;
    try {
      guard.throwIfStopped();
      const first = firstHop(message, ctx);
      hop = first instanceof Promise ? await first : first;
    } catch (error) {
      guard.finish();
      throw error;
    }
    try {
      for (let redirects = 0; ; redirects++) {
        const reply = await dispatchRequest(
          agent,
          {
            origin: hop.origin,
            path: hop.path,
            method: hop.method as Dispatcher.HttpMethod,
            headers: hop.headers,
            // undici streams any async iterable; its types only name Readable.
            body: (hop.body ?? null) as Uint8Array | Readable | null,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          guard,
          maxReplyBytes,
        );
        const next =
          redirects < followRedirects
            ? nextHop(hop, reply.statusCode, header(reply.headers.location))
            : undefined;
        if (!next) {
          const result = toMessage(reply, hop.method, guard, ctx);
          return result instanceof Promise ? await result : result;
        }
        await reply.body.dump();
        hop = next;
      }
    } catch (error) {
      throw guard.failure(error, 'request');
    }
  }

  /** The first request of a call; synchronous unless a header is computed or the body must be read. */
  function firstHop(message: Message, ctx: MessageContext): Hop | Promise<Hop> {
    const verb = method ?? defaultMethod(message, ctx);
    // Everything that can fail runs before the body is taken, so a failed call leaves a stream body unread.
    const target = path.expand((variable) => lookup(ctx, variable));
    const headers = forwardedHeaders(message.headers, forward);
    headers['x-correlation-id'] ??= ctx.correlationId;
    for (const [header, value] of constantHeaders) headers[header] = value;
    if (authorization !== undefined) headers.authorization = authorization;
    if (computedHeaders.length > 0 || computedBearer) {
      return computeHeaders(headers, ctx).then(() => withBody(message, verb, target, headers));
    }
    return withBody(message, verb, target, headers);
  }

  async function computeHeaders(headers: Record<string, string>, ctx: MessageContext): Promise<void> {
    for (const [header, value] of computedHeaders) headers[header] = String(await value(ctx));
    // The endpoint's credential wins over a configured header, as it does over a forwarded one.
    if (authorization !== undefined) headers.authorization = authorization;
    else if (computedBearer) headers.authorization = `Bearer ${await computedBearer(ctx)}`;
  }

  function withBody(
    message: Message,
    verb: string,
    target: string,
    headers: Record<string, string>,
  ): Hop | Promise<Hop> {
    const pending = requestBody(message, verb);
    return pending instanceof Promise
      ? pending.then((body) => hopWith(message, verb, target, headers, body))
      : hopWith(message, verb, target, headers, pending);
  }

  function hopWith(
    message: Message,
    verb: string,
    target: string,
    headers: Record<string, string>,
    body: Hop['body'],
  ): Hop {
    if (body === undefined) delete headers['content-type'];
    else {
      // The body's type goes even when headers are not forwarded; a configured content-type wins.
      if (message.contentType !== undefined) headers['content-type'] ??= message.contentType;
      // An untouched stream keeps its declared length; bytes get theirs from undici.
      const length = message.headers.get('content-length');
      if (!(body instanceof Uint8Array) && length !== undefined && /^\d+$/.test(length)) {
        headers['content-length'] = length;
      }
    }
    return { origin, path: target, method: verb, headers, body, crossedOrigin: false };
  }

  /** The reply as a message; synchronous on the common path (a body to stream back). */
  function toMessage(
    reply: ReplyHead,
    verb: string,
    guard: ExchangeGuard,
    ctx: MessageContext,
  ): Message | Promise<Message> {
    const { statusCode: status, body } = reply;
    const length = Number(header(reply.headers['content-length']) ?? Number.NaN);
    if (length > maxReplyBytes) {
      discard(body);
      throw guard.tooLarge(maxReplyBytes);
    }
    if (failOnStatus && status >= 400) return failWithStatus(body, guard, status);
    // A fresh record made for this reply alone: the message reads it in place.
    const headers = Headers.adopt(replyHeaders(reply.headers));
    const limits = ctx.engine.limits;
    if (verb === 'HEAD' || NO_BODY_STATUS.has(status) || length === 0) {
      return withoutBody(body, guard, new Message({ status, headers, limits }));
    }
    return new Message({ status, headers, limits, body });
  }

  async function failWithStatus(
    body: ReplyHead['body'],
    guard: ExchangeGuard,
    status: number,
  ): Promise<never> {
    const text = await readPrefix(body, guard);
    throw statusError(name, status, text);
  }

  async function withoutBody(
    body: ReplyHead['body'],
    guard: ExchangeGuard,
    message: Message,
  ): Promise<Message> {
    await body.dump();
    guard.finish();
    return message;
  }

  return {
    name,
    url: options.url,
    send,
    async close() {
      // Replies being streamed somewhere get a grace period; requests still waiting and replies nobody reads
      // are cut now (the engine has drained or abandoned their messages before closing endpoints).
      const streaming: Promise<void>[] = [];
      for (const guard of inFlight) {
        if (guard.reading) streaming.push(guard.settled);
        else guard.abort(coreErrors.ENGINE_STOPPING());
      }
      if (streaming.length > 0) await waitAtMost(streaming, CLOSE_GRACE_MS);
      await agent.destroy();
    },
  };
}

function positive(endpoint: string, option: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!(chosen > 0))
    throw httpClientErrors.REQUEST_INVALID({ endpoint, reason: `${option} must be above 0` });
  return chosen;
}

/** A basic credential is encoded once; a bearer token may be an expression and is evaluated per call. */
function authHeader(auth: HttpAuth | undefined): string | undefined {
  if (!auth || !('basic' in auth)) return undefined;
  const { username, password } = auth.basic;
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function createAgent(options: HttpEndpointOptions): Agent {
  const { pool = {}, tls = {} } = options;
  return new Agent({
    connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, ...tls },
    ...(pool.connections === undefined ? {} : { connections: pool.connections }),
    ...(pool.pipelining === undefined ? {} : { pipelining: pool.pipelining }),
    ...(pool.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeout: pool.keepAliveTimeoutMs }),
  });
}

function waitAtMost(pending: readonly Promise<void>[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    // A real timer, not the engine's clock: this bounds shutdown, and a fake clock would never end it.
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void Promise.allSettled(pending).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
