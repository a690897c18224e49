/**
 * Escaping of text and attribute values for XML output, shared by {@link serializeXml} and the plain-mode
 * JSON writer, and the error both throw for what XML 1.0 cannot carry.
 *
 * Text escapes `&`, `<`, `>` and carriage returns; attribute values escape `&`, `<`, `"` and literal
 * tabs/newlines/carriage returns, which the parser would otherwise normalise to spaces.
 *
 * @module
 */

import type { MediaryError } from '@mediary/core';
import { xmlErrors } from '../errors.js';
import { describeChar, INVALID_CHAR } from './chars.js';

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#xD;',
};
const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};
const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/;

/** `MEDIARY_XML_UNSERIALIZABLE` with `reason`. */
export function unserializable(reason: string): MediaryError {
  return xmlErrors.UNSERIALIZABLE({ reason });
}

/** Throws `MEDIARY_XML_UNSERIALIZABLE` when `value` has a character XML 1.0 cannot carry. */
export function checkChars(value: string, where: string): void {
  const bad = INVALID_CHAR.exec(value);
  if (bad !== null)
    throw unserializable(`Character ${describeChar(bad[0])} in ${where} cannot be written in XML 1.0`);
}

/** Escapes text known to hold only XML 1.0 characters. */
export function escapeValidText(value: string): string {
  // Most text needs no escape; testing first avoids building a new string for it.
  return TEXT_SPECIAL.test(value) ? value.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] ?? c) : value;
}

/** Escapes an attribute value known to hold only XML 1.0 characters (without the quotes). */
export function escapeValidAttribute(value: string): string {
  return ATTRIBUTE_SPECIAL.test(value)
    ? value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c)
    : value;
}

/** Escapes text, refusing characters XML 1.0 cannot carry. */
export function escapeText(value: string): string {
  checkChars(value, 'text');
  return escapeValidText(value);
}

/** Escapes the value of attribute `name`, refusing characters XML 1.0 cannot carry. */
export function escapeAttribute(value: string, name: string): string {
  checkChars(value, `attribute "${name}"`);
  return escapeValidAttribute(value);
}
