/**
 * JSON ⇄ XML conversion with explicit rules (see the README, "JSON ⇄ XML").
 *
 * Two modes. **typed** (the default) is lossless: `convertXmlToJson(convertJsonToXml(v))` deep-equals `v` for every
 * JSON value, because types the XML cannot show are written as `m:type` markers in the reserved
 * namespace {@link JSON_NAMESPACE}. **plain** writes the clean XML a SOAP service expects, and reads
 * XML written by others, at the price of the usual ambiguities (a single element is a value unless the
 * `arrays` hint says otherwise).
 *
 * @module
 */

import { isQName } from './internal/chars.js';
import {
  ATTRIBUTE_KEY,
  childPath,
  conversionError,
  describe,
  isPlainObject,
  namespaceDeclaration,
  numberText,
  pathText,
  TEXT_KEY,
  tooDeep,
  type ValuePath,
  XSI_NAMESPACE,
} from './internal/json-conversion.js';
import { decodeName, decodeText, encodeName, encodeText, needsTextEscape } from './internal/name-codec.js';
import { writePlainXml } from './internal/plain-writer.js';
import { parseXml, type XmlLimits } from './parse-xml.js';
import { serializeXml } from './serialize-xml.js';
import {
  XMLNS_NAMESPACE,
  type XmlAttribute,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
} from './xml-tree.js';

export { XSI_NAMESPACE };

/** The namespace of the typed-mode markers, bound to the prefix `m`. */
export const JSON_NAMESPACE = 'urn:mediary:json';

/** A value JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Options of {@link convertJsonToXml}. */
export interface JsonToXmlOptions {
  /** `typed` (default): lossless, with markers. `plain`: clean XML without markers. */
  readonly mode?: 'typed' | 'plain';
  /**
   * The root element's name. Typed mode defaults to `root`; in plain mode, leaving it out writes the
   * object's members as a sequence of sibling elements (a fragment, e.g. for a SOAP body).
   */
  readonly root?: string;
  /** A default namespace for every element written. */
  readonly namespace?: string;
  /** Plain mode: prefixes that keys may use (`{ p: 'urn:x' }` lets key `p:name` be an element in `urn:x`). */
  readonly namespaces?: Readonly<Record<string, string>>;
  /** Deepest nesting accepted, root included; default 256, matching the parser's default. */
  readonly maxDepth?: number;
  /** Write an XML declaration first. Default `false`. */
  readonly declaration?: boolean;
}

/** Options of {@link convertXmlToJson}. */
export interface XmlToJsonOptions {
  /** Must match the mode the XML was written with; default `typed`. */
  readonly mode?: 'typed' | 'plain';
  /**
   * Plain mode: which elements are always arrays, even when they occur once. Either paths of keys from
   * the root's content joined with `.` (`*` matches any one key, e.g. `'items.item'`, `'*.line'`), or a
   * predicate over the path.
   */
  readonly arrays?: readonly string[] | ((path: readonly string[]) => boolean);
  /** Plain mode: use local names as keys (`Body` instead of `soap:Body`). Default `false`. */
  readonly stripPrefixes?: boolean;
  /**
   * Plain mode: turn `true`/`false` into booleans and canonical numbers (those that print back to the
   * same text, so `007` and `1.50` stay strings) into numbers. Default `false`: values are strings.
   */
  readonly inferTypes?: boolean;
  /** Plain mode: return `{ [rootName]: content }` instead of the root's content. Default `false`. */
  readonly includeRoot?: boolean;
  /** Limits for parsing when the input is a string. */
  readonly limits?: XmlLimits;
}

const DEFAULT_MAX_DEPTH = 256;
const XML_WHITESPACE_ONLY = /^[ \t\n\r]*$/;

type MarkerType = 'null' | 'number' | 'boolean' | 'array' | 'object' | 'escaped' | 'string';

function splitName(name: string): { prefix: string; localName: string } {
  const colon = name.indexOf(':');
  return colon === -1
    ? { prefix: '', localName: name }
    : { prefix: name.slice(0, colon), localName: name.slice(colon + 1) };
}

function element(
  name: string,
  namespace: string,
  attributes: readonly XmlAttribute[],
  children: readonly XmlNode[],
): XmlElement {
  return { type: 'element', name, ...splitName(name), namespace, attributes, children };
}

function attribute(name: string, namespace: string, value: string): XmlAttribute {
  return { type: 'attribute', name, ...splitName(name), namespace, value };
}

function marker(type: MarkerType): XmlAttribute {
  return attribute('m:type', JSON_NAMESPACE, type);
}

/** Sets `key` as an own, enumerable property, so `__proto__` is data and never a prototype. */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Converts a JSON value to XML text.
 *
 * @throws {MediaryError} `MEDIARY_XML_CONVERSION` for values JSON cannot carry (`NaN`, `Infinity`, functions,
 *   class instances, `undefined` in arrays) and for shapes plain mode cannot write; `MEDIARY_XML_TOO_DEEP`.
 * @example
 * ```ts
 * convertJsonToXml({ tags: ['a'], n: 1 });
 * // '<root xmlns:m="urn:mediary:json"><tags m:type="array"><item>a</item></tags><n m:type="number">1</n></root>'
 * convertJsonToXml({ appointmentNumber: 1, doctor: { name: 'Ann' } }, { mode: 'plain' });
 * // '<appointmentNumber>1</appointmentNumber><doctor><name>Ann</name></doctor>'
 * ```
 */
export function convertJsonToXml(value: unknown, options: JsonToXmlOptions = {}): string {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (options.mode === 'plain') return writePlainXml(value, options, maxDepth);
  const rootName = options.root ?? 'root';
  checkRootName(rootName);
  const state = { markers: false };
  const root = typedElement(
    rootName,
    value,
    { maxDepth, namespace: options.namespace ?? '', state },
    1,
    undefined,
  );
  const attributes = state.markers
    ? [namespaceDeclaration('m', JSON_NAMESPACE), ...root.attributes]
    : root.attributes;
  return serializeXml(
    { type: 'document', children: [{ ...root, attributes }], root: { ...root, attributes } },
    { declaration: options.declaration ?? false },
  );
}

function checkRootName(name: string): void {
  if (!isQName(name)) throw conversionError(`"${name}" is not a valid root element name`, '');
}

interface TypedContext {
  readonly maxDepth: number;
  readonly namespace: string;
  readonly state: { markers: boolean };
}

function mark(context: TypedContext, attributes: XmlAttribute[], type: MarkerType): void {
  context.state.markers = true;
  attributes.push(marker(type));
}

function typedElement(
  name: string,
  value: unknown,
  context: TypedContext,
  depth: number,
  path: ValuePath,
): XmlElement {
  if (depth > context.maxDepth) throw tooDeep(context.maxDepth, pathText(path));
  const attributes: XmlAttribute[] = [];
  const children: XmlNode[] = [];
  if (value === null) {
    mark(context, attributes, 'null');
  } else if (typeof value === 'string') {
    if (needsTextEscape(value)) {
      mark(context, attributes, 'escaped');
      children.push({ type: 'text', value: encodeText(value) });
    } else if (value !== '') {
      children.push({ type: 'text', value });
    }
  } else if (typeof value === 'number') {
    mark(context, attributes, 'number');
    children.push({ type: 'text', value: numberText(value, path) });
  } else if (typeof value === 'boolean') {
    mark(context, attributes, 'boolean');
    children.push({ type: 'text', value: String(value) });
  } else if (Array.isArray(value)) {
    mark(context, attributes, 'array');
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const itemPath = { parent: path, step: i };
      if (item === undefined) throw conversionError('undefined is not a JSON value', pathText(itemPath));
      children.push(typedElement('item', item, context, depth + 1, itemPath));
    }
  } else if (typeof value === 'object' && isPlainObject(value)) {
    let elementChildren = 0;
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue; // as JSON.stringify does
      if (key === TEXT_KEY && typeof member === 'string' && isCarriedAsText(member)) {
        children.push({ type: 'text', value: member });
      } else if (key.startsWith(ATTRIBUTE_KEY) && typeof member === 'string' && !needsTextEscape(member)) {
        attributes.push(attribute(attributeName(key.slice(1)), '', member));
      } else {
        elementChildren++;
        children.push(typedElement(encodeName(key), member, context, depth + 1, { parent: path, step: key }));
      }
    }
    // Without child elements or attributes the element would read back as a string.
    if (elementChildren === 0 && attributes.length === 0) mark(context, attributes, 'object');
  } else {
    throw conversionError(`${describe(value)} is not a JSON value`, pathText(path));
  }
  return element(name, context.namespace, attributes, children);
}

/** An attribute name for a key; `xmlns` would declare a namespace, so it is escaped like any misfit. */
function attributeName(key: string): string {
  return key === 'xmlns' ? '_x0078_mlns' : encodeName(key);
}

/** `#text` is written as text only when reading it back cannot confuse it with formatting whitespace. */
function isCarriedAsText(text: string): boolean {
  return !XML_WHITESPACE_ONLY.test(text) && !needsTextEscape(text);
}

/**
 * Converts XML (text, a parsed document or an element) to JSON by the rules of the chosen mode.
 *
 * @throws {MediaryError} the parse errors of {@link parseXml} for text input; `MEDIARY_XML_CONVERSION` when a
 *   typed-mode marker does not fit its content (e.g. `m:type="number"` around `abc`).
 * @example
 * ```ts
 * convertXmlToJson(convertJsonToXml({ tags: ['a'] })); // { tags: ['a'] }
 * convertXmlToJson('<r><line>1</line></r>', { mode: 'plain', arrays: ['line'] }); // { line: ['1'] }
 * ```
 */
export function convertXmlToJson(
  input: string | Uint8Array | XmlDocument | XmlElement,
  options: XmlToJsonOptions = {},
): JsonValue {
  const root =
    typeof input === 'string' || input instanceof Uint8Array
      ? parseXml(input, options.limits).root
      : input.type === 'document'
        ? input.root
        : input;
  if (options.mode === 'plain') {
    const value = plainValue(root, [], plainContext(options));
    if (options.includeRoot !== true) return value;
    const wrapped: Record<string, JsonValue> = {};
    defineKey(wrapped, options.stripPrefixes === true ? root.localName : root.name, value);
    return wrapped;
  }
  return typedValue(root, '');
}

function markerOf(el: XmlElement): string | undefined {
  return el.attributes.find((a) => a.namespace === JSON_NAMESPACE && a.localName === 'type')?.value;
}

function textOf(el: XmlElement): string {
  let text = '';
  for (const child of el.children) if (child.type === 'text' || child.type === 'cdata') text += child.value;
  return text;
}

function isDataAttribute(attr: XmlAttribute): boolean {
  return attr.namespace !== XMLNS_NAMESPACE && attr.namespace !== JSON_NAMESPACE;
}

function typedValue(el: XmlElement, path: string): JsonValue {
  const type = markerOf(el);
  switch (type) {
    case 'null':
      return null;
    case 'number': {
      const text = textOf(el).trim();
      const number = Number(text);
      if (text === '' || !Number.isFinite(number)) throw conversionError(`"${text}" is not a number`, path);
      return number;
    }
    case 'boolean': {
      const text = textOf(el).trim();
      if (text !== 'true' && text !== 'false') throw conversionError(`"${text}" is not a boolean`, path);
      return text === 'true';
    }
    case 'escaped':
      return decodeText(textOf(el));
    case 'string':
      return textOf(el);
    case 'array':
      return el.children
        .filter((child): child is XmlElement => child.type === 'element')
        .map((item, i) => typedValue(item, `${path}[${i}]`));
    case 'object':
      return typedObject(el, path);
    case undefined: {
      const hasStructure =
        el.children.some((c) => c.type === 'element') || el.attributes.some(isDataAttribute);
      return hasStructure ? typedObject(el, path) : textOf(el);
    }
    default:
      throw conversionError(`Unknown m:type "${type}"`, path);
  }
}

function typedObject(el: XmlElement, path: string): Record<string, JsonValue> {
  const object: Record<string, JsonValue> = {};
  for (const attr of el.attributes) {
    if (isDataAttribute(attr)) defineKey(object, ATTRIBUTE_KEY + decodeName(attr.name), attr.value);
  }
  let text = '';
  const repeated = new Set<string>();
  for (const child of el.children) {
    if (child.type === 'text' || child.type === 'cdata') {
      text += child.value;
      continue;
    }
    if (child.type !== 'element') continue;
    const key = decodeName(child.name);
    addMember(object, key, typedValue(child, childPath(path, key)), repeated);
  }
  if (!XML_WHITESPACE_ONLY.test(text)) defineKey(object, TEXT_KEY, text);
  return object;
}

/** Adds a member; a key seen twice (only in XML not written by this module) collects into an array. */
function addMember(
  object: Record<string, JsonValue>,
  key: string,
  value: JsonValue,
  repeated: Set<string>,
): void {
  if (!Object.hasOwn(object, key)) {
    defineKey(object, key, value);
    return;
  }
  const existing = object[key] as JsonValue;
  if (repeated.has(key)) {
    (existing as JsonValue[]).push(value);
    return;
  }
  defineKey(object, key, [existing, value]);
  repeated.add(key);
}

// ---------------------------------------------------------------------------------------------------
// Plain mode

interface PlainContext {
  readonly isArray: (path: readonly string[]) => boolean;
  readonly stripPrefixes: boolean;
  readonly inferTypes: boolean;
}

function plainContext(options: XmlToJsonOptions): PlainContext {
  const arrays = options.arrays ?? [];
  const isArray =
    typeof arrays === 'function'
      ? arrays
      : (path: readonly string[]): boolean =>
          arrays.some((pattern) => {
            const parts = pattern.split('.');
            return parts.length === path.length && parts.every((part, i) => part === '*' || part === path[i]);
          });
  return { isArray, stripPrefixes: options.stripPrefixes === true, inferTypes: options.inferTypes === true };
}

const CANONICAL_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function infer(text: string, context: PlainContext): JsonValue {
  if (!context.inferTypes) return text;
  if (text === 'true' || text === 'false') return text === 'true';
  if (CANONICAL_NUMBER.test(text)) {
    const number = Number(text);
    if (Number.isFinite(number) && String(number) === text) return number;
  }
  return text;
}

function isNil(el: XmlElement): boolean {
  return el.attributes.some(
    (a) => a.namespace === XSI_NAMESPACE && a.localName === 'nil' && a.value === 'true',
  );
}

function plainValue(el: XmlElement, path: readonly string[], context: PlainContext): JsonValue {
  if (isNil(el)) return null;
  const attributes = el.attributes.filter(
    (a) => a.namespace !== XMLNS_NAMESPACE && !(a.namespace === XSI_NAMESPACE && a.localName === 'nil'),
  );
  const elements = el.children.filter((child): child is XmlElement => child.type === 'element');
  const text = textOf(el);
  if (elements.length === 0 && attributes.length === 0) return infer(text, context);
  const object: Record<string, JsonValue> = {};
  for (const attr of attributes) {
    defineKey(
      object,
      ATTRIBUTE_KEY + (context.stripPrefixes ? attr.localName : attr.name),
      infer(attr.value, context),
    );
  }
  const repeated = new Set<string>();
  for (const child of elements) {
    const key = decodeName(context.stripPrefixes ? child.localName : child.name);
    const keyPath = [...path, key];
    const value = plainValue(child, keyPath, context);
    if (context.isArray(keyPath) && !Object.hasOwn(object, key)) {
      defineKey(object, key, [value]);
      repeated.add(key);
    } else {
      addMember(object, key, value, repeated);
    }
  }
  if (!XML_WHITESPACE_ONLY.test(text)) defineKey(object, TEXT_KEY, infer(text, context));
  return object;
}
