/**
 * Safe XML parsing into the object form of `xml-tree.ts`.
 *
 * Safe by default: a DOCTYPE is refused outright, so no external entity is ever fetched (XXE) and no
 * entity is ever expanded (billion laughs, quadratic blow-up); only the five predefined entities and
 * character references are decoded. Size, depth, attribute count and text length are limited while
 * parsing, without recursion, so a hostile document fails fast with a stable error code.
 *
 * @module
 */

import { TextDecoder } from 'node:util';
import type { MediaryError } from '@mediary/core';
import { xmlErrors } from './errors.js';
import { parseDocument, type ResolvedLimits } from './internal/parser.js';
import type { XmlDocument } from './xml-tree.js';

/** Limits applied while parsing; every field is optional and falls back to {@link defaultXmlLimits}. */
export interface XmlLimits {
  /** Largest input, in bytes (UTF-8 bytes for a string). Default 10 MiB. */
  readonly maxBytes?: number;
  /** Deepest element nesting; the root element is depth 1. Default 256. */
  readonly maxDepth?: number;
  /** Most attributes on one element, namespace declarations included. Default 256. */
  readonly maxAttributes?: number;
  /**
   * Longest single text node, CDATA section, comment, processing instruction or attribute value, in
   * UTF-16 code units after decoding. Default 10 MiB.
   */
  readonly maxTextLength?: number;
}

/** The limits used when none are given. */
export const defaultXmlLimits: Readonly<Required<XmlLimits>> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 256,
  maxAttributes: 256,
  maxTextLength: 10 * 1024 * 1024,
});

/** Fills in defaults. Exported for the other modules of this package, not from the package. */
export function resolveLimits(limits: XmlLimits = {}): ResolvedLimits {
  return { ...defaultXmlLimits, ...limits };
}

/**
 * Parses an XML document (a string, or bytes in UTF-8, UTF-16 or the encoding the declaration names)
 * into the object form documented in the package README.
 *
 * @throws {MediaryError} `MEDIARY_XML_MALFORMED` (with `details.line`/`column`), `MEDIARY_XML_DOCTYPE_FORBIDDEN`,
 *   `MEDIARY_XML_TOO_LARGE`, `MEDIARY_XML_TOO_DEEP`, `MEDIARY_XML_TOO_MANY_ATTRIBUTES`,
 *   `MEDIARY_XML_TEXT_TOO_LONG`.
 * @example
 * ```ts
 * const doc = parseXml('<p:order xmlns:p="urn:shop" id="7">pen<![CDATA[<b>]]></p:order>');
 * doc.root.localName;            // 'order'
 * doc.root.namespace;            // 'urn:shop'
 * doc.root.attributes[1]?.value; // '7'
 * doc.root.children;             // [{ type: 'text', value: 'pen' }, { type: 'cdata', value: '<b>' }]
 * ```
 */
export function parseXml(input: string | Uint8Array, limits?: XmlLimits): XmlDocument {
  const resolved = resolveLimits(limits);
  const text = typeof input === 'string' ? checkedString(input, resolved) : decodeBytes(input, resolved);
  return parseDocument(text, resolved);
}

function tooLarge(size: string, limits: ResolvedLimits): MediaryError {
  return xmlErrors.TOO_LARGE({
    reason: `${size} bytes, more than the limit of ${limits.maxBytes}`,
    maxBytes: limits.maxBytes,
  });
}

function checkedString(input: string, limits: ResolvedLimits): string {
  // UTF-8 never needs fewer bytes than UTF-16 code units, so a long string is refused without counting.
  if (input.length > limits.maxBytes) throw tooLarge(`at least ${input.length}`, limits);
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > limits.maxBytes) throw tooLarge(String(bytes), limits);
  return input;
}

function decodeBytes(input: Uint8Array, limits: ResolvedLimits): string {
  if (input.byteLength > limits.maxBytes) throw tooLarge(String(input.byteLength), limits);
  const label = sniffEncoding(input);
  let decoder: TextDecoder;
  try {
    // ignoreBOM keeps the BOM in the text, where the parser skips it; fatal refuses broken bytes.
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch (cause) {
    throw xmlErrors.MALFORMED({ reason: `unsupported encoding "${label}"` }, { cause });
  }
  try {
    return decoder.decode(input);
  } catch (cause) {
    throw xmlErrors.MALFORMED({ reason: `the bytes are not valid ${label}` }, { cause });
  }
}

/** Chooses a decoder from the byte order mark or the declaration (XML 1.0 Appendix F). */
function sniffEncoding(bytes: Uint8Array): string {
  const [b0, b1, b2] = bytes;
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return 'utf-8';
  if (b0 === 0xfe && b1 === 0xff) return 'utf-16be';
  if (b0 === 0xff && b1 === 0xfe) return 'utf-16le';
  if (b0 === 0x00 && b1 === 0x3c) return 'utf-16be';
  if (b0 === 0x3c && b1 === 0x00) return 'utf-16le';
  // The declaration is ASCII, so reading its first bytes as Latin-1 is safe whatever follows.
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const match = /^<\?xml[^>]*?encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(head);
  return match?.[1]?.toLowerCase() ?? 'utf-8';
}
