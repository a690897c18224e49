/**
 * What both JSON → XML writers share: the reserved keys, where in the value a writer is, and the errors
 * they throw for values JSON cannot carry.
 *
 * @module
 */

import type { MediaryError } from '@mediary/core';
import { xmlErrors } from '../errors.js';
import { XMLNS_NAMESPACE, type XmlAttribute } from '../xml-tree.js';

/** The XML Schema instance namespace, whose `xsi:nil="true"` stands for `null` in plain mode. */
export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';
/** Keys that start with it are attributes. */
export const ATTRIBUTE_KEY = '@';
/** The key of an element's text. */
export const TEXT_KEY = '#text';

/**
 * Where the writers are in the value: a chain of keys and indexes, turned into text (`a.b[0]`) only when an
 * error names it — building the text for every member would cost more than writing the member.
 */
export type ValuePath = { readonly parent: ValuePath; readonly step: string | number } | undefined;

/** `MEDIARY_XML_CONVERSION`: `message` at `path` (a path of {@link childPath} steps, `''` for the root). */
export function conversionError(message: string, path: string, cause?: unknown): MediaryError {
  return xmlErrors.CONVERSION(
    { reason: `${message} at ${path === '' ? 'the root' : path}` },
    { details: { path }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** `MEDIARY_XML_TOO_DEEP` for a value nested deeper than `maxDepth` at `path`. */
export function tooDeep(maxDepth: number, path: string): MediaryError {
  return xmlErrors.TOO_DEEP(
    { reason: `the value nests deeper than ${maxDepth} levels at ${path}` },
    { details: { path } },
  );
}

/** `path.key`, or `path["odd key"]` when the key is no identifier. */
export function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The text of a path, as error messages show it (`.items[0].name`). */
export function pathText(path: ValuePath): string {
  const steps: (string | number)[] = [];
  for (let at = path; at !== undefined; at = at.parent) steps.push(at.step);
  let text = '';
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    text = typeof step === 'number' ? `${text}[${step}]` : childPath(text, step);
  }
  return text;
}

/** Whether `value` is an object literal (or has a `null` prototype), not a class instance. */
export function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The text of a JSON number (`-0` kept). */
export function numberText(value: number, path: ValuePath): string {
  if (!Number.isFinite(value)) throw conversionError(`${value} is not a JSON number`, pathText(path));
  return Object.is(value, -0) ? '-0' : String(value);
}

/** `A function`, `An instance of Date`: what a value that is not JSON is, for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null)
    return `An instance of ${value.constructor?.name ?? 'a class'}`;
  return `A ${typeof value}`;
}

/** The attribute `xmlns="uri"` (prefix `''`) or `xmlns:prefix="uri"`. */
export function namespaceDeclaration(prefix: string, uri: string): XmlAttribute {
  return prefix === ''
    ? {
        type: 'attribute',
        name: 'xmlns',
        prefix: '',
        localName: 'xmlns',
        namespace: XMLNS_NAMESPACE,
        value: uri,
      }
    : {
        type: 'attribute',
        name: `xmlns:${prefix}`,
        prefix: 'xmlns',
        localName: prefix,
        namespace: XMLNS_NAMESPACE,
        value: uri,
      };
}
