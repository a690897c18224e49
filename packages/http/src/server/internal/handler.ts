/**
 * One request, start to finish — the same code for a socket and for `inject()`: check the framing facts
 * node's parser leaves to us, route, answer health and CORS preflights, refuse what a resource cannot take
 * (`404`, `405`, `413`, `415`) before any step runs, turn the request into a message whose body is the
 * request stream itself, dispatch it, and send the reply.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  type BodySource,
  coreErrors,
  createMessage,
  type Engine,
  Headers,
  type Logger,
  type MessageLimits,
  mediaType,
  type TransportInfo,
  toMediaryError,
} from '@mediary/core';
import { httpErrors } from '../../errors.js';
import { corsHeaders, preflightHeaders } from '../cors.js';
import { type ReplyTarget, sendEmpty, sendError, sendExchange, sendJson } from './reply.js';
import type { HttpRouter, RouteTarget } from './router.js';

/** A request as the handler sees it, whether it came over a socket or from `inject()`. */
export interface InboundRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names, as node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** Names and values as received, in order (to see duplicates node folds away). */
  readonly rawHeaders: readonly string[];
  readonly httpVersion: string;
  readonly remoteAddress: string | undefined;
  /** The body: node's request stream itself for a socket. Never read here. */
  readonly body: BodySource;
  /** True once the whole body has arrived. */
  readonly complete: boolean;
  /**
   * True when node's HTTP parser read the head: it refuses CR, LF and NUL in names and values itself, so
   * only requests made by `inject()` need that checked here.
   */
  readonly parsedByNode: boolean;
}

/** What the handler needs from its server. */
export interface ServerRuntime {
  readonly engine: Engine;
  readonly router: HttpRouter;
  readonly messageLimits: MessageLimits;
  /** Largest declared `Content-Length` accepted. */
  readonly bodyBytes: number;
  readonly maxHeadersCount: number;
  readonly health: boolean;
  readonly log: Logger;
  /** `ready` while serving; `starting` / `stopping` otherwise. */
  readiness(): 'starting' | 'ready' | 'stopping';
}

export interface HandleOptions {
  /** Receives the function that aborts the message when the client goes away (see `DispatchOptions`). */
  readonly bindAbort?: (abort: (reason: unknown) => void) => void;
  /** Called once the request passed every check, when the client waits for `100 Continue`. */
  readonly onContinue?: (() => void) | undefined;
}

const SAFE_CORRELATION_ID = /^[\w.:-]{1,128}$/;
/**
 * What a request without query parameters (or path variables) gets: one frozen, prototype-less record
 * instead of a fresh dictionary-mode object per request. Keys from the wire are user data, so records that
 * hold some stay prototype-less too (`query.toString` is `undefined`, `?__proto__=x` is a parameter).
 */
const NO_ENTRIES: Readonly<Record<string, never>> = Object.freeze(Object.create(null));
const UNSAFE_VALUE = /[\r\n\0]/;
const HEALTH_LIVE = '/health/live';
const HEALTH_READY = '/health/ready';

/** Handles one request. Never throws: every failure becomes a reply, or a cut connection mid-stream. */
export async function handleRequest(
  rt: ServerRuntime,
  req: InboundRequest,
  res: ReplyTarget,
  options: HandleOptions,
): Promise<void> {
  // Headers every reply carries; CORS and Allow are added once known.
  const headers: Record<string, string> = {};
  if (rt.readiness() === 'stopping') headers.connection = 'close';
  const reply = { headers, log: rt.log };
  try {
    const method = req.method.toUpperCase();
    const { path, rawQuery } = splitTarget(req.url);
    checkHeaders(req, rt.maxHeadersCount);

    if (rt.health && (path === HEALTH_LIVE || path === HEALTH_READY)) {
      headers['x-correlation-id'] = correlationId(req.headers);
      sendHealth(rt, res, method, path, headers);
      return;
    }

    const match = rt.router.match(method, path);
    if (!match) {
      headers['x-correlation-id'] = correlationId(req.headers);
      const { allow, target } = rt.router.methods(path);
      if (!target) {
        if (!decodable(path))
          throw httpErrors.BAD_REQUEST({ reason: 'the path has invalid percent-encoding' });
        throw httpErrors.NOT_FOUND({ method, path });
      }
      const cors = target.kind === 'resource' ? target.api.cors : undefined;
      const origin = header(req.headers, 'origin');
      if (method === 'OPTIONS') {
        const requested = header(req.headers, 'access-control-request-method');
        if (cors && origin !== undefined && requested !== undefined) {
          const preflight = preflightHeaders(cors, {
            origin,
            method: requested,
            headers: header(req.headers, 'access-control-request-headers'),
            pathMethods: allow,
          });
          sendEmpty(res, 204, { ...headers, ...preflight });
          return;
        }
        sendEmpty(res, 204, {
          ...headers,
          ...(cors ? corsHeaders(cors, origin) : {}),
          allow: allow.join(', '),
        });
        return;
      }
      Object.assign(headers, cors ? corsHeaders(cors, origin) : {}, { allow: allow.join(', ') });
      throw httpErrors.METHOD_NOT_ALLOWED({ method, path, allow: allow.join(', ') });
    }

    const { target } = match;
    if (target.kind === 'resource' && target.api.cors) {
      Object.assign(headers, corsHeaders(target.api.cors, header(req.headers, 'origin')));
    }
    const length = declaredLength(req.headers);
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length ?? 0) > 0;
    if (length !== undefined && length > rt.bodyBytes)
      throw coreErrors.BODY_TOO_LARGE({ limit: rt.bodyBytes });
    if (hasBody && target.kind === 'resource' && target.resource.accepts) {
      const type = mediaType(header(req.headers, 'content-type'));
      if (type === undefined || !target.resource.accepts.some((pattern) => pattern.test(type))) {
        throw httpErrors.UNSUPPORTED_MEDIA_TYPE({
          contentType: type ?? '(none)',
          accepts: target.resource.resource.accepts?.join(', '),
        });
      }
    }
    const query = parseQuery(rawQuery);
    if (target.kind === 'proxy' && target.proxy.wsdl && method === 'GET' && isWsdlQuery(query)) {
      headers['x-correlation-id'] = correlationId(req.headers);
      sendWsdl(res, target.proxy.wsdl(), headers);
      return;
    }

    options.onContinue?.();
    // node's header object is the request's own and never changes: read in place, not copied.
    const inbound = Headers.adopt(req.headers);
    const message = hasBody
      ? createMessage({ headers: inbound, body: req.body, limits: rt.messageLimits })
      : createMessage({ headers: inbound, limits: rt.messageLimits });
    const routeId = target.kind === 'resource' ? target.resource.routeId : target.proxy.routeId;
    const transport = transportInfo(req, method, path, query, target, match.params);
    const exchange = await rt.engine.dispatch(
      routeId,
      message,
      options.bindAbort ? { transport, bindAbort: options.bindAbort } : { transport },
    );
    // A stopping server sends clients elsewhere; an unread body is not read to find the next request.
    if (rt.readiness() === 'stopping' || (!exchange.ok && hasBody && !req.complete))
      headers.connection = 'close';
    const sending = sendExchange(res, exchange, reply);
    if (sending !== undefined) await sending;
  } catch (thrown) {
    const error = toMediaryError(thrown);
    if (error.status >= 500) rt.log.error(error.message, { code: error.code, cause: causeOf(error) });
    headers['x-correlation-id'] ??= correlationId(req.headers);
    // A client that breaks the framing rules does not keep its connection; nor does one whose body was
    // refused before it was read (it may be huge: closing beats reading it all to find the next request).
    const unreadBody =
      !req.complete && (req.headers['transfer-encoding'] !== undefined || (declaredLengthSafe(req) ?? 0) > 0);
    if (
      unreadBody ||
      rt.readiness() === 'stopping' ||
      httpErrors.BAD_REQUEST.is(error) ||
      httpErrors.HEADERS_TOO_LARGE.is(error)
    ) {
      headers.connection = 'close';
    }
    try {
      sendError(res, error, reply);
    } catch (failed) {
      rt.log.error('an error reply could not be written', { cause: causeOf(failed) });
      res.destroy();
    }
  }
}

/** Splits a request target into path and raw query; absolute-form targets keep only their path. */
function splitTarget(url: string): { path: string; rawQuery: string } {
  let target = url;
  if (!target.startsWith('/')) {
    if (!/^https?:\/\//i.test(target))
      throw httpErrors.BAD_REQUEST({ reason: 'the request target is not a path' });
    try {
      const parsed = new URL(target);
      target = `${parsed.pathname}${parsed.search}`;
    } catch (error) {
      throw httpErrors.BAD_REQUEST({ reason: 'the request target is not a URL' }, { cause: error });
    }
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const question = target.indexOf('?');
  return question === -1
    ? { path: target, rawQuery: '' }
    : { path: target.slice(0, question), rawQuery: target.slice(question + 1) };
}

/**
 * What node's parser does not refuse for us: a second `Host`, too many headers (node silently drops the
 * extra ones), and CR/LF/NUL in values (only reachable through `inject()`; the parser refuses them).
 */
function checkHeaders(req: InboundRequest, maxHeadersCount: number): void {
  const raw = req.rawHeaders;
  if (raw.length / 2 > maxHeadersCount) throw httpErrors.HEADERS_TOO_LARGE();
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) {
      throw httpErrors.BAD_REQUEST({ reason: 'more than one Host header' });
    }
    if (!req.parsedByNode && (UNSAFE_VALUE.test(raw[i + 1] ?? '') || UNSAFE_VALUE.test(name))) {
      throw httpErrors.BAD_REQUEST({ reason: 'a header holds a line break or NUL' });
    }
  }
}

function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw httpErrors.BAD_REQUEST({ reason: 'Content-Length is not a number' });
  if (headers['transfer-encoding'] !== undefined) {
    throw httpErrors.BAD_REQUEST({ reason: 'Content-Length and Transfer-Encoding together' });
  }
  return Number(value);
}

function declaredLengthSafe(req: InboundRequest): number | undefined {
  const value = req.headers['content-length'];
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function correlationId(headers: IncomingHttpHeaders): string {
  const candidate = header(headers, 'x-correlation-id');
  return candidate !== undefined && SAFE_CORRELATION_ID.test(candidate) ? candidate : randomUUID();
}

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Query parameters; a repeated one becomes an array. */
function parseQuery(rawQuery: string): Readonly<Record<string, string | string[]>> {
  if (rawQuery === '') return NO_ENTRIES;
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

function isWsdlQuery(query: Readonly<Record<string, string | string[]>>): boolean {
  return Object.keys(query).some((key) => key.toLowerCase() === 'wsdl');
}

function transportInfo(
  req: InboundRequest,
  method: string,
  path: string,
  query: Readonly<Record<string, string | string[]>>,
  target: RouteTarget,
  found: Readonly<Record<string, string | undefined>>,
): TransportInfo {
  const { url, remoteAddress, httpVersion } = req;
  if (target.kind === 'proxy') {
    const props = {
      method,
      path,
      url,
      remoteAddress,
      httpVersion,
      service: target.proxy.name,
      subPath: found['*'] ?? '',
    };
    return { name: 'http', params: NO_ENTRIES, query, props };
  }
  const { template } = target.resource;
  const hasParams =
    template.pathVars.length > 0 || template.rest !== undefined || template.queryVars.length > 0;
  const params: Record<string, string> = hasParams ? Object.create(null) : NO_ENTRIES;
  if (hasParams) {
    for (const name of template.pathVars) {
      const value = found[name];
      if (value !== undefined) params[name] = value;
    }
    if (template.rest !== undefined) params[template.rest] = found['*'] ?? '';
    for (const name of template.queryVars) {
      const value = query[name];
      if (value !== undefined) params[name] = Array.isArray(value) ? value[0]! : value;
    }
  }
  const props = { method, path, url, remoteAddress, httpVersion, api: target.api.name };
  return { name: 'http', params, query, props };
}

function sendHealth(
  rt: ServerRuntime,
  res: ReplyTarget,
  method: string,
  path: string,
  headers: Record<string, string>,
): void {
  if (method !== 'GET' && method !== 'HEAD') {
    headers.allow = 'GET, HEAD';
    throw httpErrors.METHOD_NOT_ALLOWED({ method, path, allow: 'GET, HEAD' });
  }
  if (path === HEALTH_LIVE) {
    sendJson(res, 200, { status: 'live' }, headers);
    return;
  }
  const state = rt.readiness();
  if (state !== 'ready') throw httpErrors.NOT_READY({ state });
  sendJson(res, 200, { status: 'ready' }, headers);
}

function sendWsdl(res: ReplyTarget, wsdl: string, headers: Record<string, string>): void {
  const body = Buffer.from(wsdl, 'utf8');
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/xml; charset=utf-8',
    'content-length': String(body.byteLength),
  });
  res.end(body);
}

function causeOf(error: unknown): string | undefined {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return cause instanceof Error ? cause.message : undefined;
}
