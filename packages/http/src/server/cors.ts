/**
 * CORS for an HTTP API: the headers of actual requests and the answer to preflight `OPTIONS` requests.
 * Only the `CorsOptions` type is public; the header logic is the server's.
 *
 * @module
 */
import { httpErrors } from '../errors.js';

/** Cross-origin rules of one API. */
export interface CorsOptions {
  /** Origins allowed to call: `'*'` for any, or exact origins such as `'https://app.example.com'`. */
  readonly origins: '*' | readonly string[];
  /** Methods a preflight allows. Default: the methods the requested path serves. */
  readonly methods?: readonly string[];
  /** Request headers a preflight allows. Default: whatever the preflight asks for. */
  readonly headers?: readonly string[];
  /** Response headers scripts may read (`Access-Control-Expose-Headers`). */
  readonly exposeHeaders?: readonly string[];
  /** Allow cookies and credentials; the allowed origin is then echoed, never `*`. Default false. */
  readonly credentials?: boolean;
  /** How long browsers may cache a preflight answer, in seconds (`Access-Control-Max-Age`). */
  readonly maxAge?: number;
}

/** Checks CORS options once, when the API is declared. */
export function checkCors(cors: CorsOptions, api: string): void {
  const invalid = (reason: string) => httpErrors.INVALID_CONFIG({ reason: `API ${api}: cors ${reason}` });
  if (cors.origins !== '*' && !Array.isArray(cors.origins)) throw invalid("origins must be '*' or a list");
  if (cors.maxAge !== undefined && !(Number.isInteger(cors.maxAge) && cors.maxAge >= 0)) {
    throw invalid('maxAge must be a whole number of seconds');
  }
}

function allowedOrigin(cors: CorsOptions, origin: string): string | undefined {
  if (cors.origins === '*') return cors.credentials ? origin : '*';
  return cors.origins.includes(origin) ? origin : undefined;
}

/** Headers added to an actual (non-preflight) reply; empty when the origin is not allowed. */
export function corsHeaders(cors: CorsOptions, origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  const allow = allowedOrigin(cors, origin);
  if (allow === undefined) return cors.origins === '*' ? {} : { vary: 'Origin' };
  const headers: Record<string, string> = { 'access-control-allow-origin': allow };
  if (allow !== '*') headers.vary = 'Origin';
  if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.exposeHeaders?.length) headers['access-control-expose-headers'] = cors.exposeHeaders.join(', ');
  return headers;
}

/** The request facts a preflight answer depends on. */
export interface Preflight {
  readonly origin: string;
  readonly method: string;
  readonly headers: string | undefined;
  /** The methods the path serves. */
  readonly pathMethods: readonly string[];
}

/**
 * Headers answering a preflight. A refused preflight gets no `Access-Control-Allow-*` headers at all, which
 * is how browsers are told no.
 */
export function preflightHeaders(cors: CorsOptions, preflight: Preflight): Record<string, string> {
  const allow = allowedOrigin(cors, preflight.origin);
  const vary = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  if (allow === undefined) return vary;
  const methods = (cors.methods ?? preflight.pathMethods).map((m) => m.toUpperCase());
  if (!methods.includes(preflight.method.toUpperCase())) return vary;
  const headers: Record<string, string> = {
    ...vary,
    'access-control-allow-origin': allow,
    'access-control-allow-methods': methods.join(', '),
  };
  const allowHeaders = cors.headers ? cors.headers.join(', ') : preflight.headers;
  if (allowHeaders) headers['access-control-allow-headers'] = allowHeaders;
  if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
  return headers;
}
