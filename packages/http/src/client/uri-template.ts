/**
 * URI templates for HTTP endpoints (the RFC 6570 subset routes need): `{x}` simple expansion and `{+x}`
 * reserved expansion, in the path and the query of a URL.
 *
 * The point is safety as much as convenience: values come from messages, so no value may move the request
 * outside the path the template names. Simple expansion percent-encodes everything but unreserved characters
 * (so `/`, `?`, `&`, `#` and `%` can never add segments or parameters); reserved expansion keeps `/` (that is
 * what it is for) but never `?` in the path or `#` anywhere. In both, a path segment that a value turns into
 * `.` or `..` is refused (`MEDIARY_HTTP_PATH_VALUE_UNSAFE`, 400), so dot-segment removal (RFC 3986 §5.2.4)
 * cannot climb out of the base path. The path is sent as written: the endpoint never parses it back through a URL normaliser.
 *
 * @module
 */
import { httpClientErrors } from './errors.js';

/** A parsed template, expanded once per request. */
export interface UriTemplate {
  readonly source: string;
  /** Names of the variables the template uses, in order of first use. */
  readonly variables: readonly string[];
  /** Fills the template; `lookup` returns a variable's value (`undefined` when it has none). */
  expand(lookup: (name: string) => unknown): string;
}

type Part =
  | { readonly literal: string; readonly inQuery: boolean }
  | { readonly name: string; readonly reserved: boolean; readonly inQuery: boolean };

const VARIABLE_NAME = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
/** Placeholder for a `.` that came from a value: checked once path segments are known. */
const VALUE_DOT = '\u0000';

const UNRESERVED = charSet('A-Za-z0-9-._~');
// RFC 3986 reserved characters minus `#` (a fragment is never sent) and `?` (added back in the query).
const RESERVED_IN_PATH = charSet(":/[]@!$&'()*+,;=");
const RESERVED_IN_QUERY = charSet(":/?[]@!$&'()*+,;=");

/**
 * Parses a URI template for the path and query of a URL (it must start with `/`).
 *
 * @example
 * const t = parseUriTemplate('/{hospitalId}/categories/{category}/reserve');
 * t.expand((name) => ({ hospitalId: 'clemency', category: 'surgery' })[name]);
 * // → '/clemency/categories/surgery/reserve'
 */
export function parseUriTemplate(source: string): UriTemplate {
  if (!source.startsWith('/')) throw invalid(source, 'the path must start with "/"');
  const parts: Part[] = [];
  const variables: string[] = [];
  let inQuery = false;
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    const literalEnd = open === -1 ? source.length : open;
    if (literalEnd > i) {
      const literal = source.slice(i, literalEnd);
      if (literal.includes('}'))
        throw invalid(source, `"}" without "{" at position ${i + literal.indexOf('}')}`);
      if (literal.includes('#')) throw invalid(source, 'a fragment ("#") is never sent to a server');
      const queryAt = inQuery ? -1 : literal.indexOf('?');
      if (queryAt === -1) parts.push({ literal: encodeLiteral(literal), inQuery });
      else {
        if (queryAt > 0) parts.push({ literal: encodeLiteral(literal.slice(0, queryAt)), inQuery: false });
        parts.push({ literal: encodeLiteral(literal.slice(queryAt)), inQuery: true });
        inQuery = true;
      }
    }
    if (open === -1) break;
    const close = source.indexOf('}', open);
    if (close === -1) throw invalid(source, `"{" at position ${open} is never closed`);
    let expression = source.slice(open + 1, close);
    const reserved = expression.startsWith('+');
    if (reserved) expression = expression.slice(1);
    if (!VARIABLE_NAME.test(expression)) {
      throw invalid(
        source,
        `{${source.slice(open + 1, close)}} is not supported: use {name} or {+name} with one variable name`,
      );
    }
    parts.push({ name: expression, reserved, inQuery });
    if (!variables.includes(expression)) variables.push(expression);
    i = close + 1;
  }
  return Object.freeze({
    source,
    variables: Object.freeze(variables),
    expand: (lookup: (name: string) => unknown) => expand(parts, lookup),
  });
}

function expand(parts: readonly Part[], lookup: (name: string) => unknown): string {
  let path = '';
  let query = '';
  for (const part of parts) {
    let text: string;
    if ('literal' in part) text = part.literal;
    else {
      const allowed = part.reserved ? (part.inQuery ? RESERVED_IN_QUERY : RESERVED_IN_PATH) : undefined;
      text = encodeValue(part.name, lookup(part.name), allowed, !part.inQuery);
    }
    if (part.inQuery) query += text;
    else path += text;
  }
  return neutraliseDotSegments(path) + query;
}

/** Resolves value dots: a segment that is exactly `.` or `..` because of a value is refused. */
function neutraliseDotSegments(path: string): string {
  if (!path.includes(VALUE_DOT)) return path;
  return path
    .split('/')
    .map((segment) => {
      if (!segment.includes(VALUE_DOT)) return segment;
      const plain = segment.replaceAll(VALUE_DOT, '.');
      // Even written as %2E, a backend or proxy that decodes before normalising (nginx does) would climb
      // out of the base path: a value that makes a whole segment `.` or `..` is refused.
      if (plain === '.' || plain === '..') throw httpClientErrors.PATH_VALUE_UNSAFE({ segment: plain });
      return plain;
    })
    .join('/');
}

function encodeValue(
  name: string,
  value: unknown,
  reserved: ReadonlySet<number> | undefined,
  inPath: boolean,
): string {
  const items = Array.isArray(value) ? value : [value];
  if (value === undefined || value === null || items.length === 0) {
    throw httpClientErrors.URI_VARIABLE({ variable: name, reason: 'has no value' });
  }
  return items.map((item) => encode(scalar(name, item), reserved, inPath)).join(',');
}

function scalar(name: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      throw httpClientErrors.URI_VARIABLE({
        variable: name,
        reason: `is ${value === null ? 'null' : typeof value}, not a string, number or boolean`,
      });
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

function encode(text: string, reserved: ReadonlySet<number> | undefined, inPath: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e && inPath) out += VALUE_DOT;
    else if (UNRESERVED.has(code) || reserved?.has(code)) out += text[i];
    else if (code === 0x25 && reserved && HEX.test(text.slice(i + 1, i + 3))) {
      // Reserved expansion passes percent-encoded triplets through, as RFC 6570 §3.2.3 says.
      out += text.slice(i, i + 3);
      i += 2;
    } else if (code < 0x80) out += percent(code);
    else {
      const point = text.codePointAt(i)!;
      const char = String.fromCodePoint(point);
      if (point > 0xffff) i++;
      // Buffer writes a lone surrogate as U+FFFD, so a malformed string still encodes (and never throws).
      for (const byte of Buffer.from(char, 'utf8')) out += percent(byte);
    }
  }
  return out;
}

/** Template literals are the author's: kept as written, except characters a URL cannot carry raw. */
function encodeLiteral(literal: string): string {
  let out = '';
  for (let i = 0; i < literal.length; i++) {
    const code = literal.charCodeAt(i);
    if (UNRESERVED.has(code) || RESERVED_IN_QUERY.has(code)) out += literal[i];
    else if (code === 0x25 && HEX.test(literal.slice(i + 1, i + 3))) out += '%';
    else if (code < 0x80) out += percent(code);
    else {
      const point = literal.codePointAt(i)!;
      if (point > 0xffff) i++;
      for (const byte of Buffer.from(String.fromCodePoint(point), 'utf8')) out += percent(byte);
    }
  }
  return out;
}

function percent(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function charSet(spec: string): ReadonlySet<number> {
  const set = new Set<number>();
  for (let i = 0; i < spec.length; i++) {
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      for (let c = spec.charCodeAt(i); c <= spec.charCodeAt(i + 2); c++) set.add(c);
      i += 2;
    } else set.add(spec.charCodeAt(i));
  }
  return set;
}

function invalid(url: string, reason: string) {
  return httpClientErrors.URL_INVALID({ url, reason });
}
