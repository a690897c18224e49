/**
 * Following a redirect: where the next request goes and what it carries. The rules are the Fetch
 * standard's: 303 (and 301/302 after a POST) turn into a GET without a body; 307/308 repeat the request as
 * it was, which needs a body that can be sent again. Credentials never follow the request to another origin.
 *
 * @module
 */
import { CREDENTIAL_HEADERS } from './headers.js';

/** One request of a redirect chain. */
export interface Hop {
  readonly origin: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  /** Bytes can be sent again; a stream cannot. */
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  /** True once the chain has left the endpoint's origin: credentials stay behind from then on. */
  readonly crossedOrigin: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The request that follows a redirect reply, or `undefined` when the reply is not one that can be followed
 * (no usable `Location`, a scheme other than http(s), or a body that cannot be replayed).
 */
export function nextHop(hop: Hop, status: number, location: string | undefined): Hop | undefined {
  if (!REDIRECTS.has(status) || !location) return undefined;
  let target: URL;
  try {
    target = new URL(location, `${hop.origin}${hop.path}`);
  } catch {
    return undefined;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return undefined;
  const headers = { ...hop.headers };
  let { method, body } = hop;
  if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
    method = 'GET';
    body = undefined;
    delete headers['content-type'];
    delete headers['content-length'];
  } else if (body !== undefined && !(body instanceof Uint8Array)) {
    // 307/308 repeat the body, and a pass-through stream has already been sent.
    return undefined;
  }
  const crossedOrigin = hop.crossedOrigin || target.origin !== hop.origin;
  if (crossedOrigin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return {
    origin: target.origin,
    path: target.pathname + target.search,
    method,
    headers,
    body,
    crossedOrigin,
  };
}
