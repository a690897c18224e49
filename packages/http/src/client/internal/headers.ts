/**
 * Which headers cross the proxy. Hop-by-hop headers describe one connection, not the message (RFC 9110
 * §7.6.1), so they never travel on; `host` and `content-length` are the outbound connection's own business.
 *
 * @module
 */
import type { Headers } from '@mediary/core';
import { nullRecord } from '../../internal/null-record.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers the outbound connection sets itself (`expect` is refused by undici). */
const OUTBOUND_OWN = new Set(['host', 'content-length', 'expect']);

/** Headers that carry credentials: never sent to another origin after a redirect. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization'];

const NO_TOKENS: ReadonlySet<string> = new Set();

/** Names a `Connection` header lists are hop-by-hop for that message too. */
function connectionTokens(value: string | undefined): ReadonlySet<string> {
  // Nearly every message has none (or only keep-alive/close): no set to build.
  if (!value || value === 'keep-alive' || value === 'close') return NO_TOKENS;
  const tokens = new Set<string>();
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

/**
 * The message headers that go to the backend: all end-to-end headers (`true`), the listed ones, or none.
 */
export function forwardedHeaders(
  headers: Headers,
  forward: boolean | readonly string[],
): Record<string, string> {
  const out = nullRecord<string>();
  if (forward === false) return out;
  const only = forward === true ? undefined : new Set(forward.map((name) => name.toLowerCase()));
  const listed = connectionTokens(headers.get('connection'));
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || OUTBOUND_OWN.has(name) || listed.has(name)) return;
    if (only && !only.has(name)) return;
    out[name] = value;
  });
  return out;
}

/** The backend's reply headers without hop-by-hop ones; repeated headers stay lists (`set-cookie`). */
export function replyHeaders(
  raw: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const out = nullRecord<string | string[]>();
  const connection = raw.connection;
  const listed = connectionTokens(Array.isArray(connection) ? connection.join(',') : connection);
  for (const name in raw) {
    const value = raw[name];
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}
