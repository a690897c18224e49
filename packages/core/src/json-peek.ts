/**
 * Reading one top-level member of a JSON body without building the rest of it: content-based routing on a
 * field of a large document costs a scan of its bytes instead of a full `JSON.parse` (every object, array
 * and string of the document allocated, then thrown away).
 *
 * The contract, exact for every body:
 *
 * - **Valid JSON**: the result is what `JSON.parse` gives for the member — the value of the top-level
 *   object's own member `key`, the LAST one when the key is repeated (as `JSON.parse` keeps it), with keys
 *   compared after decoding escapes (`"\u0072oute"` is `route`). A member of a nested object never matches.
 *   `undefined` when the object has no such member or the body is not an object (an array, a string…).
 * - **Only as far as needed**: the scan stops at the first top-level member `key` when the body ends with
 *   `}` and the bytes after the member cannot hold a second one (neither `"key"` nor an escape appears in
 *   them: two memchr-speed searches); otherwise it goes on to the end. Routing on a field near the start of
 *   a large body costs little more than passing it through.
 * - **Invalid JSON**: what the scanner reads is checked against the JSON grammar (nested values included,
 *   only without building them), and a fault there is `MEDIARY_JSON_MALFORMED` as `JSON.parse` would
 *   reject it; so is a body cut off anywhere (it does not end with `}`, so the scan reads it all). Other
 *   faults after the member are not looked for when the scan stops early: like a pass-through proxy, the
 *   route forwards what it did not need to read. `{ validate: true }` checks the whole body first, so
 *   a body is accepted exactly when `JSON.parse` accepts its UTF-8 text.
 * - **Limits**: as {@link Message.json}: the body is collected within `limits.maxBodyBytes`, and nesting
 *   deeper than `limits.maxJsonDepth` fails with `MEDIARY_JSON_TOO_DEEP`.
 * - **Other bodies**: a body already held as a value, and form or XML bodies, are read with
 *   {@link Message.json} (form fields, or its refusal of XML), so the result never differs from
 *   `(await message.json())[key]` for an own member.
 *
 * The body is collected once and cached in the message, so the same bytes are forwarded afterwards
 * (pass-through of the original, unchanged). The value returned is parsed from the member's bytes alone: a
 * fresh value, not shared with what `json()` returns.
 *
 * @module
 */
import { bodyKind } from './content-type.js';
import type { MessageContext, Vars } from './context.js';
import { coreErrors } from './errors.js';
import type { Expr } from './expression.js';
import type { Message } from './message.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** A key prepared once: its UTF-8 bytes for the common case of a plain key in the body. */
interface Key {
  readonly text: string;
  readonly bytes: Uint8Array;
  /** `"key"` as it appears in a body that spells it without escapes. */
  readonly quoted: Buffer;
  /** True when the key holds a character with a short escape (`"`, `\`, `/`, controls). */
  readonly escaped: boolean;
}

const UNICODE_ESCAPE = Buffer.from('\\u', 'latin1');

/** Where a member's value lies in the body. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * The value of the top-level member `key` of a JSON body (see the module's contract).
 *
 * @example
 * const route = await peekJsonField(ctx.message, 'route'); // 'a' for {"route":"a","items":[…]}
 */
export function peekJsonField(
  message: Message,
  key: string,
  options: JsonFieldOptions = {},
): Promise<unknown> {
  return peek(message, prepareKey(key), options.validate ?? false);
}

/** How {@link jsonField} and {@link peekJsonField} read the body. */
export interface JsonFieldOptions {
  /**
   * Default false: the scan stops once the answer is known, and bytes after the member are forwarded
   * unchecked. True: the whole body is checked against the JSON grammar first, so a body `JSON.parse` would
   * refuse is refused (`MEDIARY_JSON_MALFORMED`) wherever its fault lies.
   */
  readonly validate?: boolean;
}

/**
 * An expression for the top-level member `key` of the message's JSON body, read by {@link peekJsonField}:
 * routing on one field of a large body scans it instead of parsing it.
 *
 * @example
 * choice({
 *   on: jsonField('route'),
 *   cases: [{ equals: 'a', steps: [call('route-a')] }],
 *   otherwise: [call('route-b')],
 * })
 */
export function jsonField<T = unknown, V extends Vars = Vars>(
  key: string,
  options: JsonFieldOptions = {},
): Expr<T, V> {
  const prepared = prepareKey(key);
  const validate = options.validate ?? false;
  return function jsonField(ctx: MessageContext<V>): Promise<T> {
    return peek(ctx.message, prepared, validate) as Promise<T>;
  };
}

function prepareKey(key: string): Key {
  return {
    text: key,
    bytes: Buffer.from(key, 'utf8'),
    quoted: Buffer.from(`"${key}"`, 'utf8'),
    escaped: hasShortEscape(key),
  };
}

/** Whether a character of `key` may be written with a two-character escape (`\"`, `\\`, `\/`, `\n`…). */
function hasShortEscape(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === QUOTE || c === BACKSLASH || c === 0x2f || c < 0x20) return true;
  }
  return false;
}

async function peek(message: Message, key: Key, validate: boolean): Promise<unknown> {
  const kind = bodyKind(message.contentType);
  if (message.bodyState === 'value' || kind === 'form' || kind === 'xml') {
    return ownMember(await message.json(), key.text);
  }
  if (message.bodyState === 'empty') throw coreErrors.JSON_MALFORMED({ reason: 'the body is empty' });
  const bytes = await message.bytes();
  const span = findMember(bytes, key, message.limits.maxJsonDepth, validate);
  if (span === undefined) return undefined;
  return JSON.parse(utf8(bytes, span.start, span.end));
}

function ownMember(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function utf8(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/**
 * Scans the body, checking the grammar, and returns the span of the last top-level member `key`;
 * `undefined` when there is none or the body is not an object. Unless `validate` asks for the whole body,
 * the scan ends at a member that the rest of the bytes cannot repeat.
 */
function findMember(b: Uint8Array, key: Key, maxDepth: number, validate: boolean): Span | undefined {
  const n = b.length;
  const open: number[] = [];
  let i = skipSpace(b, 0, n);
  if (b[i] !== OPEN_OBJECT) {
    i = skipSpace(b, skipValue(b, i, n, 0, maxDepth, open), n);
    if (i !== n) throw malformed(b, i);
    return undefined;
  }
  if (maxDepth < 1) throw coreErrors.JSON_TOO_DEEP({ limit: maxDepth });
  let found: Span | undefined;
  i = skipSpace(b, i + 1, n);
  if (b[i] === CLOSE_OBJECT) i++;
  else {
    for (;;) {
      if (b[i] !== QUOTE) throw malformed(b, i);
      const keyStart = i + 1;
      i = endOfString(b, keyStart, n);
      const keyEnd = i - 1;
      i = skipSpace(b, i, n);
      if (b[i] !== COLON) throw malformed(b, i);
      const start = skipSpace(b, i + 1, n);
      i = skipValue(b, start, n, 1, maxDepth, open);
      // A later duplicate replaces an earlier one, as JSON.parse keeps the last.
      if (keyMatches(b, keyStart, keyEnd, key)) {
        found = { start, end: i };
        if (!validate && closesObject(b) && !mayRepeat(b, i, key)) return found;
      }
      i = skipSpace(b, i, n);
      if (b[i] === COMMA) {
        i = skipSpace(b, i + 1, n);
        continue;
      }
      if (b[i] === CLOSE_OBJECT) {
        i++;
        break;
      }
      throw malformed(b, i);
    }
  }
  if (skipSpace(b, i, n) !== n) throw malformed(b, skipSpace(b, i, n));
  return found;
}

/**
 * Whether the body ends as the object it starts: a cut-off body (the usual broken upload) never stops a
 * scan early, so it is refused wherever it was cut.
 */
function closesObject(b: Uint8Array): boolean {
  let end = b.length - 1;
  while (end > 0 && (b[end] === 0x20 || b[end] === 0x0a || b[end] === 0x0d || b[end] === 0x09)) end--;
  return b[end] === CLOSE_OBJECT;
}

/**
 * Whether the bytes after `from` could hold another member named `key` — the only thing that could change
 * the answer once the first one is found. Two searches at memchr speed decide it for nearly every body: a
 * plain key repeated appears as the bytes `"key"`, and any other spelling of it needs an escape (`\u0072`, or
 * for a key with `"`, `\` or `/` in it, a short escape), so a body with neither after the member cannot have a
 * second one. When either appears (in a value, a nested key or a real duplicate), the scan goes on to the end.
 */
function mayRepeat(b: Uint8Array, from: number, key: Key): boolean {
  const rest = Buffer.from(b.buffer, b.byteOffset + from, b.length - from);
  if (key.escaped) return rest.includes(BACKSLASH);
  return rest.includes(UNICODE_ESCAPE) || rest.includes(key.quoted);
}

/**
 * Whether the key between `start` and `end` (inside its quotes) decodes to `key`. A plain ASCII key is
 * compared byte for byte; one with escapes or other characters is decoded as JSON.parse would decode it.
 */
function keyMatches(b: Uint8Array, start: number, end: number, key: Key): boolean {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === BACKSLASH || c >= 0x80) {
      plain = false;
      break;
    }
  }
  if (!plain) return JSON.parse(utf8(b, start - 1, end + 1)) === key.text;
  const expected = key.bytes;
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[start + i] !== expected[i]) return false;
  return true;
}

/**
 * Checks one value starting at `i` (no leading space) and returns the index after it. Iterative: `open`
 * holds the containers entered (their opening byte), so depth is bounded by `maxDepth`, not the stack.
 */
function skipValue(
  b: Uint8Array,
  start: number,
  n: number,
  depth: number,
  maxDepth: number,
  open: number[],
): number {
  const base = open.length;
  let i = start;
  for (;;) {
    // A value starts at i.
    const c = b[i];
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) throw coreErrors.JSON_TOO_DEEP({ limit: maxDepth });
      i = skipSpace(b, i + 1, n);
      const close = c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      if (b[i] === close) {
        i++;
        depth--;
      } else {
        open.push(c);
        if (c === OPEN_OBJECT) i = memberValue(b, i, n);
        continue;
      }
    } else if (c === QUOTE) {
      i = endOfString(b, i + 1, n);
    } else if (c === 0x74) {
      i = endOfLiteral(b, i, n, 'true');
    } else if (c === 0x66) {
      i = endOfLiteral(b, i, n, 'false');
    } else if (c === 0x6e) {
      i = endOfLiteral(b, i, n, 'null');
    } else {
      i = endOfNumber(b, i);
    }
    // A value ended at i: close the containers it completes, or move to the next element.
    for (;;) {
      if (open.length === base) return i;
      i = skipSpace(b, i, n);
      const inObject = open[open.length - 1] === OPEN_OBJECT;
      const d = b[i];
      if (d === COMMA) {
        i = skipSpace(b, i + 1, n);
        if (inObject) i = memberValue(b, i, n);
        break;
      }
      if (d === (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i++;
        open.pop();
        depth--;
        continue;
      }
      throw malformed(b, i);
    }
  }
}

/** Checks `"key" :` of an object member at `i` and returns where its value starts. */
function memberValue(b: Uint8Array, i: number, n: number): number {
  if (b[i] !== QUOTE) throw malformed(b, i);
  i = skipSpace(b, endOfString(b, i + 1, n), n);
  if (b[i] !== COLON) throw malformed(b, i);
  return skipSpace(b, i + 1, n);
}

/** `i` is just after the opening quote; returns the index after the closing one. */
function endOfString(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = b[i + 1];
      if (e === 0x75) {
        if (!(isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]) && isHex(b[i + 5]))) {
          throw malformed(b, i);
        }
        i += 6;
        continue;
      }
      // \" \\ \/ \b \f \n \r \t
      if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        i += 2;
        continue;
      }
      throw malformed(b, i);
    }
    // Control characters must be escaped inside strings.
    if (c < 0x20) throw malformed(b, i);
    i++;
  }
  throw malformed(b, n);
}

function isHex(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
  );
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function endOfNumber(b: Uint8Array, i: number): number {
  if (b[i] === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else throw malformed(b, i);
  if (b[i] === DOT) {
    i++;
    if (!isDigit(b[i])) throw malformed(b, i);
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    if (!isDigit(b[i])) throw malformed(b, i);
    while (isDigit(b[i])) i++;
  }
  return i;
}

function endOfLiteral(b: Uint8Array, i: number, n: number, literal: string): number {
  if (i + literal.length > n) throw malformed(b, n);
  for (let k = 0; k < literal.length; k++) {
    if (b[i + k] !== literal.charCodeAt(k)) throw malformed(b, i + k);
  }
  return i + literal.length;
}

/** JSON whitespace: space, tab, line feed, carriage return. */
function skipSpace(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
  return i;
}

function malformed(b: Uint8Array, at: number) {
  const reason =
    at >= b.length ? 'unexpected end of the body' : `unexpected byte 0x${b[at]!.toString(16)} at ${at}`;
  return coreErrors.JSON_MALFORMED({ reason });
}
