/**
 * A single-pass, non-recursive XML 1.0 + Namespaces parser that enforces the limits while it reads.
 *
 * Written here rather than delegated because safety has to be decided before any expansion happens:
 * the parser never expands anything but the five predefined entities and character references, stops at
 * a DOCTYPE before reading it, and counts depth, attributes and text length as it goes, so a hostile
 * document costs at most one linear scan of input that is already size-limited.
 */

import type { ErrorFactory } from '@mediary/core';
import { xmlErrors } from '../errors.js';
import type { XmlAttribute, XmlDeclaration, XmlDocument, XmlElement, XmlNode } from '../xml-tree.js';
import { XML_NAMESPACE, XMLNS_NAMESPACE } from '../xml-tree.js';
import { describeChar, INVALID_CHAR, isQName, isXmlChar, NAME_STICKY, NCNAME } from './chars.js';

/** Limits with every field present. */
export interface ResolvedLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxAttributes: number;
  readonly maxTextLength: number;
}

interface MutableElement {
  type: 'element';
  name: string;
  prefix: string;
  localName: string;
  namespace: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
}

interface Frame {
  readonly element: MutableElement;
  readonly scope: ReadonlyMap<string, string>;
  readonly start: number;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ROOT_SCOPE: ReadonlyMap<string, string> = new Map([['xml', XML_NAMESPACE]]);
const DECLARATION =
  /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])(1\.[0-9]+)\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\3)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(yes|no)\5)?[ \t\n]*\?>/y;
const WHITESPACE_ONLY = /^[ \t\n]*$/;
const DOCTYPE = /<!DOCTYPE/iy;
// A reference longer than this cannot be valid; stopping early keeps the error message short.
const MAX_REFERENCE_LENGTH = 40;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x9 || code === 0xa;
}

/** The 1-based line and column of `index` in `text`, computed only when an error needs it. */
export /** Binds a prefix in `scope`, copying the parent's scope on the first binding of an element. */
function declare(
  scope: ReadonlyMap<string, string>,
  parentScope: ReadonlyMap<string, string>,
  prefix: string,
  uri: string,
): ReadonlyMap<string, string> {
  const own = scope === parentScope ? new Map(parentScope) : (scope as Map<string, string>);
  own.set(prefix, uri);
  return own;
}

function positionOf(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < index; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/** Parses one document. `text` must already be within `limits.maxBytes`. */
export function parseDocument(input: string, limits: ResolvedLimits): XmlDocument {
  // XML processors normalise line ends before parsing (XML 1.0 §2.11); doing it up front keeps every
  // later step simple, and it does not move line numbers.
  const text = input.includes('\r') ? input.replace(/\r\n?/g, '\n') : input;
  return new Parser(text, limits).parse();
}

class Parser {
  readonly #text: string;
  readonly #limits: ResolvedLimits;
  #index = 0;
  readonly #stack: Frame[] = [];
  readonly #prolog: XmlNode[] = [];
  #root: MutableElement | undefined;

  constructor(text: string, limits: ResolvedLimits) {
    this.#text = text;
    this.#limits = limits;
  }

  parse(): XmlDocument {
    const text = this.#text;
    if (text.charCodeAt(0) === 0xfeff) this.#index = 1;
    const declaration = this.#declaration();
    while (this.#index < text.length) {
      const lt = text.indexOf('<', this.#index);
      const end = lt === -1 ? text.length : lt;
      if (end > this.#index) this.#characters(this.#index, end);
      if (lt === -1) break;
      this.#index = lt;
      const next = text.charCodeAt(lt + 1);
      if (next === 0x2f /* / */) this.#endTag();
      else if (next === 0x21 /* ! */) this.#markupDeclaration();
      else if (next === 0x3f /* ? */) this.#processingInstruction();
      else this.#startTag();
    }
    const open = this.#stack.at(-1);
    if (open !== undefined) {
      this.#fail(xmlErrors.MALFORMED, `Element <${open.element.name}> is never closed`, open.start);
    }
    if (this.#root === undefined) this.#fail(xmlErrors.MALFORMED, 'The document has no root element', 0);
    const root: XmlElement = this.#root;
    return declaration === undefined
      ? { type: 'document', children: this.#prolog, root }
      : { type: 'document', declaration, children: this.#prolog, root };
  }

  #fail(error: ErrorFactory, reason: string, index: number): never {
    const { line, column } = positionOf(this.#text, index);
    throw error({ reason: `${reason} (line ${line}, column ${column})`, line, column });
  }

  #declaration(): XmlDeclaration | undefined {
    const text = this.#text;
    if (!text.startsWith('<?xml', this.#index)) return undefined;
    const after = text.charCodeAt(this.#index + 5);
    if (!isSpace(after)) return undefined; // a PI such as <?xml-stylesheet?> is not the declaration
    DECLARATION.lastIndex = this.#index;
    const match = DECLARATION.exec(text);
    if (match === null)
      this.#fail(xmlErrors.MALFORMED, 'The XML declaration is not well-formed', this.#index);
    this.#index = DECLARATION.lastIndex;
    const [, , version = '1.0', , encoding, , standalone] = match;
    return {
      version,
      ...(encoding === undefined ? {} : { encoding }),
      ...(standalone === undefined ? {} : { standalone: standalone === 'yes' }),
    };
  }

  #append(node: XmlNode): void {
    const parent = this.#stack.at(-1);
    if (parent === undefined) this.#prolog.push(node);
    else parent.element.children.push(node);
  }

  #checkChars(from: number, to: number): void {
    const slice = this.#text.slice(from, to);
    const bad = INVALID_CHAR.exec(slice);
    if (bad !== null) {
      this.#fail(
        xmlErrors.MALFORMED,
        `Character ${describeChar(bad[0])} is not allowed in XML 1.0`,
        from + bad.index,
      );
    }
  }

  #characters(from: number, to: number): void {
    const text = this.#text;
    if (this.#stack.length === 0) {
      if (!WHITESPACE_ONLY.test(text.slice(from, to))) {
        this.#fail(xmlErrors.MALFORMED, 'Text is not allowed outside the root element', from);
      }
      return;
    }
    this.#checkChars(from, to);
    const cdataEnd = text.indexOf(']]>', from);
    if (cdataEnd !== -1 && cdataEnd < to) {
      this.#fail(xmlErrors.MALFORMED, "']]>' is not allowed in text", cdataEnd);
    }
    const value = this.#decode(from, to);
    this.#checkLength(value.length, from, 'A text node');
    this.#append({ type: 'text', value });
  }

  #checkLength(length: number, at: number, what: string): void {
    if (length > this.#limits.maxTextLength) {
      this.#fail(
        xmlErrors.TEXT_TOO_LONG,
        `${what} is longer than ${this.#limits.maxTextLength} characters`,
        at,
      );
    }
  }

  /** Decodes the predefined entities and character references in `text[from, to)`. */
  #decode(from: number, to: number): string {
    const text = this.#text;
    let amp = text.indexOf('&', from);
    if (amp === -1 || amp >= to) return text.slice(from, to);
    let out = '';
    let index = from;
    while (amp !== -1 && amp < to) {
      out += text.slice(index, amp);
      const semi = text.indexOf(';', amp);
      if (semi === -1 || semi >= to || semi - amp > MAX_REFERENCE_LENGTH) {
        this.#fail(xmlErrors.MALFORMED, "'&' must start a reference such as &amp;amp;", amp);
      }
      out += this.#reference(text.slice(amp + 1, semi), amp);
      index = semi + 1;
      amp = text.indexOf('&', index);
    }
    return out + text.slice(index, to);
  }

  #reference(ref: string, at: number): string {
    if (ref.startsWith('#')) {
      const hex = ref.startsWith('#x');
      const digits = ref.slice(hex ? 2 : 1);
      const valid = hex ? /^[0-9A-Fa-f]+$/.test(digits) : /^[0-9]+$/.test(digits);
      const codePoint = valid ? Number.parseInt(digits, hex ? 16 : 10) : Number.NaN;
      if (!isXmlChar(codePoint)) {
        this.#fail(xmlErrors.MALFORMED, `Character reference &${ref}; is not an XML 1.0 character`, at);
      }
      return String.fromCodePoint(codePoint);
    }
    const value = PREDEFINED[ref];
    if (value === undefined) {
      // Only the predefined entities exist without a DOCTYPE, and DOCTYPEs are refused.
      this.#fail(xmlErrors.MALFORMED, `Entity &${ref}; is not declared`, at);
    }
    return value;
  }

  #markupDeclaration(): void {
    const text = this.#text;
    const start = this.#index;
    if (text.startsWith('<!--', start)) {
      const end = text.indexOf('-->', start + 4);
      if (end === -1) this.#fail(xmlErrors.MALFORMED, 'Comment is never closed', start);
      const doubleDash = text.indexOf('--', start + 4);
      if (doubleDash < end || (end > start + 4 && text.charCodeAt(end - 1) === 0x2d)) {
        this.#fail(xmlErrors.MALFORMED, "'--' is not allowed inside a comment", doubleDash);
      }
      this.#checkChars(start + 4, end);
      this.#checkLength(end - start - 4, start, 'A comment');
      this.#append({ type: 'comment', value: text.slice(start + 4, end) });
      this.#index = end + 3;
      return;
    }
    if (text.startsWith('<![CDATA[', start)) {
      if (this.#stack.length === 0) this.#fail(xmlErrors.MALFORMED, 'CDATA outside the root element', start);
      const end = text.indexOf(']]>', start + 9);
      if (end === -1) this.#fail(xmlErrors.MALFORMED, 'CDATA section is never closed', start);
      this.#checkChars(start + 9, end);
      this.#checkLength(end - start - 9, start, 'A CDATA section');
      this.#append({ type: 'cdata', value: text.slice(start + 9, end) });
      this.#index = end + 3;
      return;
    }
    DOCTYPE.lastIndex = start;
    if (DOCTYPE.test(text)) {
      // Refused before reading a single declaration: no external entity (XXE) is ever resolved and no
      // internal entity (billion laughs, quadratic blow-up) is ever expanded.
      this.#fail(xmlErrors.DOCTYPE_FORBIDDEN, 'a DOCTYPE was found', start);
    }
    this.#fail(xmlErrors.MALFORMED, "'<!' must start a comment or a CDATA section", start);
  }

  #processingInstruction(): void {
    const text = this.#text;
    const start = this.#index;
    const target = this.#name(start + 2, 'processing instruction target');
    if (target.toLowerCase() === 'xml') {
      this.#fail(xmlErrors.MALFORMED, 'The XML declaration is only allowed at the very start', start);
    }
    if (!NCNAME.test(target)) this.#fail(xmlErrors.MALFORMED, `Invalid PI target "${target}"`, start);
    const end = text.indexOf('?>', this.#index);
    if (end === -1) this.#fail(xmlErrors.MALFORMED, 'Processing instruction is never closed', start);
    if (end > this.#index && !isSpace(text.charCodeAt(this.#index))) {
      this.#fail(xmlErrors.MALFORMED, 'Expected whitespace after the PI target', this.#index);
    }
    let dataStart = this.#index;
    while (dataStart < end && isSpace(text.charCodeAt(dataStart))) dataStart++;
    this.#checkChars(dataStart, end);
    this.#checkLength(end - dataStart, start, 'A processing instruction');
    this.#append({ type: 'pi', target, data: text.slice(dataStart, end) });
    this.#index = end + 2;
  }

  /** Reads a Name at `from`, leaving `#index` after it. */
  #name(from: number, what: string): string {
    NAME_STICKY.lastIndex = from;
    const match = NAME_STICKY.exec(this.#text);
    if (match === null) this.#fail(xmlErrors.MALFORMED, `Expected a ${what}`, from);
    this.#index = NAME_STICKY.lastIndex;
    return match[0];
  }

  #skipSpace(): boolean {
    const text = this.#text;
    const start = this.#index;
    while (isSpace(text.charCodeAt(this.#index))) this.#index++;
    return this.#index > start;
  }

  #startTag(): void {
    const text = this.#text;
    const start = this.#index;
    if (this.#stack.length === 0 && this.#root !== undefined) {
      this.#fail(xmlErrors.MALFORMED, 'Only one root element is allowed', start);
    }
    if (this.#stack.length >= this.#limits.maxDepth) {
      this.#fail(xmlErrors.TOO_DEEP, `Elements nest deeper than ${this.#limits.maxDepth} levels`, start);
    }
    const name = this.#name(start + 1, 'element name');
    const raw: { name: string; value: string; at: number }[] = [];
    let selfClosing = false;
    for (;;) {
      const spaced = this.#skipSpace();
      const code = text.charCodeAt(this.#index);
      if (code === 0x3e /* > */) {
        this.#index++;
        break;
      }
      if (code === 0x2f /* / */ && text.charCodeAt(this.#index + 1) === 0x3e) {
        this.#index += 2;
        selfClosing = true;
        break;
      }
      if (Number.isNaN(code)) this.#fail(xmlErrors.MALFORMED, `Start tag <${name}> is never closed`, start);
      if (!spaced)
        this.#fail(xmlErrors.MALFORMED, `Expected whitespace, '>' or '/>' in <${name}>`, this.#index);
      raw.push(this.#attribute(name));
      if (raw.length > this.#limits.maxAttributes) {
        this.#fail(
          xmlErrors.TOO_MANY_ATTRIBUTES,
          `Element <${name}> has more than ${this.#limits.maxAttributes} attributes`,
          start,
        );
      }
    }
    const parentScope = this.#stack.at(-1)?.scope ?? ROOT_SCOPE;
    const { element, scope } = this.#resolve(name, raw, parentScope, start);
    this.#append(element);
    if (this.#stack.length === 0) this.#root = element;
    if (!selfClosing) this.#stack.push({ element, scope, start });
  }

  #attribute(elementName: string): { name: string; value: string; at: number } {
    const text = this.#text;
    const at = this.#index;
    const name = this.#name(at, `attribute name in <${elementName}>`);
    this.#skipSpace();
    if (text.charCodeAt(this.#index) !== 0x3d /* = */) {
      this.#fail(xmlErrors.MALFORMED, `Attribute "${name}" needs a value`, this.#index);
    }
    this.#index++;
    this.#skipSpace();
    const quote = text[this.#index];
    if (quote !== '"' && quote !== "'") {
      this.#fail(xmlErrors.MALFORMED, `The value of "${name}" must be quoted`, this.#index);
    }
    const from = this.#index + 1;
    const to = text.indexOf(quote, from);
    if (to === -1) this.#fail(xmlErrors.MALFORMED, `The value of "${name}" is never closed`, this.#index);
    const lt = text.indexOf('<', from);
    if (lt !== -1 && lt < to) this.#fail(xmlErrors.MALFORMED, `'<' is not allowed in attribute values`, lt);
    this.#checkChars(from, to);
    // Attribute-value normalisation (XML 1.0 §3.3.3): literal whitespace becomes a space, while
    // whitespace written as a character reference survives — hence normalise before decoding.
    let value = this.#decode(from, to);
    if (/[\t\n]/.test(text.slice(from, to))) value = normalizeAttributeWhitespace(text, from, to, value);
    this.#checkLength(value.length, at, `The value of "${name}"`);
    this.#index = to + 1;
    return { name, value, at };
  }

  #resolve(
    name: string,
    raw: readonly { name: string; value: string; at: number }[],
    parentScope: ReadonlyMap<string, string>,
    start: number,
  ): { element: MutableElement; scope: ReadonlyMap<string, string> } {
    // Most elements have no attributes: no scope copy, no duplicate check.
    if (raw.length === 0) {
      const qname = this.#qname(name, parentScope, true, start);
      return {
        element: { type: 'element', name, ...qname, attributes: [], children: [] },
        scope: parentScope,
      };
    }
    let scope = parentScope;
    for (const attr of raw) {
      if (attr.name === 'xmlns') {
        if (attr.value === XML_NAMESPACE || attr.value === XMLNS_NAMESPACE) {
          this.#fail(xmlErrors.MALFORMED, `Namespace ${attr.value} cannot be the default namespace`, attr.at);
        }
        scope = declare(scope, parentScope, '', attr.value);
      } else if (attr.name.startsWith('xmlns:')) {
        const prefix = attr.name.slice(6);
        const reserved = prefix === 'xmlns' || (prefix === 'xml') !== (attr.value === XML_NAMESPACE);
        if (attr.value === '' || reserved || attr.value === XMLNS_NAMESPACE || !NCNAME.test(prefix)) {
          this.#fail(
            xmlErrors.MALFORMED,
            `Invalid namespace declaration ${attr.name}="${attr.value}"`,
            attr.at,
          );
        }
        scope = declare(scope, parentScope, prefix, attr.value);
      }
    }
    const qname = this.#qname(name, scope, true, start);
    const attributes: XmlAttribute[] = [];
    const seen = new Set<string>();
    for (const attr of raw) {
      const resolved =
        attr.name === 'xmlns' || attr.name.startsWith('xmlns:')
          ? { ...this.#split(attr.name, attr.at), namespace: XMLNS_NAMESPACE }
          : this.#qname(attr.name, scope, false, attr.at);
      const key = `${resolved.namespace}\u0000${resolved.localName}`;
      if (seen.has(key)) this.#fail(xmlErrors.MALFORMED, `Attribute "${attr.name}" is repeated`, attr.at);
      seen.add(key);
      attributes.push({ type: 'attribute', name: attr.name, ...resolved, value: attr.value });
    }
    return { element: { type: 'element', name, ...qname, attributes, children: [] }, scope };
  }

  #split(name: string, at: number): { prefix: string; localName: string } {
    if (!isQName(name)) this.#fail(xmlErrors.MALFORMED, `"${name}" is not a valid namespaced name`, at);
    const colon = name.indexOf(':');
    return colon === -1
      ? { prefix: '', localName: name }
      : { prefix: name.slice(0, colon), localName: name.slice(colon + 1) };
  }

  #qname(
    name: string,
    scope: ReadonlyMap<string, string>,
    isElement: boolean,
    at: number,
  ): { prefix: string; localName: string; namespace: string } {
    const { prefix, localName } = this.#split(name, at);
    if (prefix === '') return { prefix, localName, namespace: isElement ? (scope.get('') ?? '') : '' };
    const namespace = scope.get(prefix);
    if (namespace === undefined) this.#fail(xmlErrors.MALFORMED, `Prefix "${prefix}" is not declared`, at);
    return { prefix, localName, namespace };
  }

  #endTag(): void {
    const text = this.#text;
    const start = this.#index;
    const name = this.#name(start + 2, 'element name in the end tag');
    this.#skipSpace();
    if (text.charCodeAt(this.#index) !== 0x3e)
      this.#fail(xmlErrors.MALFORMED, `Expected '>' in </${name}>`, this.#index);
    this.#index++;
    const open = this.#stack.pop();
    if (open === undefined) this.#fail(xmlErrors.MALFORMED, `End tag </${name}> has no start tag`, start);
    if (open.element.name !== name) {
      const { line, column } = positionOf(text, open.start);
      this.#fail(
        xmlErrors.MALFORMED,
        `Expected </${open.element.name}> (opened at line ${line}, column ${column}), found </${name}>`,
        start,
      );
    }
  }
}

/** Re-applies §3.3.3 to an attribute whose literal contained tabs or newlines. */
function normalizeAttributeWhitespace(text: string, from: number, to: number, decoded: string): string {
  if (!text.slice(from, to).includes('&')) return decoded.replace(/[\t\n]/g, ' ');
  // References present: normalise the literal pieces only, then decode them one by one.
  let out = '';
  let index = from;
  for (let amp = text.indexOf('&', from); amp !== -1 && amp < to; amp = text.indexOf('&', index)) {
    out += text.slice(index, amp).replace(/[\t\n]/g, ' ');
    const semi = text.indexOf(';', amp);
    out += decodeKnownReference(text.slice(amp + 1, semi));
    index = semi + 1;
  }
  return out + text.slice(index, to).replace(/[\t\n]/g, ' ');
}

/** Decodes a reference that the parser has already validated. */
function decodeKnownReference(ref: string): string {
  if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
  if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
  return PREDEFINED[ref] ?? '';
}
