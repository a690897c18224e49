/**
 * Reversible escaping of arbitrary strings into XML names and XML 1.0 text, in the style of .NET's
 * `XmlConvert.EncodeLocalName`: a character that cannot appear becomes `_xHHHH_` (one per UTF-16 code
 * unit, upper-case hex). The escape character is escaped too: every `_` that is followed by `x` becomes
 * `_x005F_`, so in an encoded string `_x` always starts an escape and decoding is unambiguous. The empty
 * string, which is no name at all, is written `_x_`, a form the encoder never produces otherwise.
 */

import { INVALID_CHAR, NCNAME_CHAR, NCNAME_START_CHAR } from './chars.js';

const EMPTY_NAME = '_x_';
const ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

function escapeUnits(char: string): string {
  let out = '';
  for (let i = 0; i < char.length; i++)
    out += `_x${char.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}_`;
  return out;
}

function encode(value: string, allowed: (char: string, atStart: boolean) => boolean): string {
  let out = '';
  for (let i = 0; i < value.length; ) {
    const codePoint = value.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(codePoint);
    if (char === '_' && value[i + 1] === 'x') out += '_x005F_';
    else if (allowed(char, out === '')) out += char;
    else out += escapeUnits(char);
    i += char.length;
  }
  return out;
}

/** An ASCII NCName with no `_x` in it: the usual JSON key, which encodes to itself. */
const PLAIN_ASCII_NAME = /^(?!.*_x)[A-Za-z_][\w.-]*$/;

/** Encodes any string as an NCName (no colons), reversibly. */
export function encodeName(key: string): string {
  if (PLAIN_ASCII_NAME.test(key)) return key;
  if (key === '') return EMPTY_NAME;
  return encode(key, (char, atStart) => (atStart ? NCNAME_START_CHAR : NCNAME_CHAR).test(char));
}

/** Reverses {@link encodeName}; names that contain no escapes come back unchanged. */
export function decodeName(name: string): string {
  if (name === EMPTY_NAME) return '';
  return name.includes('_x')
    ? name.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    : name;
}

/** Whether `text` has characters that XML 1.0 cannot carry even as character references. */
export function needsTextEscape(text: string): boolean {
  return INVALID_CHAR.test(text);
}

/** Encodes a string so that it contains only XML 1.0 characters, reversibly. */
export function encodeText(text: string): string {
  return encode(text, (char) => !INVALID_CHAR.test(char));
}

/** Reverses {@link encodeText}. */
export function decodeText(text: string): string {
  return text.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
