/**
 * Plain-mode JSON → XML (`convertJsonToXml(value, { mode: 'plain' })`), written as text in one walk over
 * the value: no element tree is built and then serialised, because on large bodies the tree cost as much as
 * the writing.
 *
 * The text and the errors are exactly those of building the tree and writing it with {@link serializeXml}
 * (a property test holds the two together), which fixes two orders:
 * - conversion errors (values JSON cannot carry, too deep) are thrown as the walk meets them, and win over
 *   any serializer error, because the tree was complete before the serializer ran;
 * - serializer errors (a prefix bound otherwise, a declaration no XML can carry) are kept, the first in
 *   document order, and thrown when the walk ends.
 *
 * Namespaces follow the serializer's rules through the shared {@link needPrefix}. The one thing the walk
 * cannot know at the start is whether the root will declare `xsi` (it does when a `null` occurs anywhere):
 * the walk assumes it will, and is repeated in the rare case where that assumption changed the text.
 *
 * @module
 */

import type { XmlAttribute } from '../xml-tree.js';
import { isQName } from './chars.js';
import {
  ATTRIBUTE_KEY,
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
} from './json-conversion.js';
import { encodeName, needsTextEscape } from './name-codec.js';
import { bindPrefix, INITIAL_SCOPE, needPrefix, type Scope, type TagState } from './namespace-scope.js';
import { escapeAttribute, escapeValidAttribute, escapeValidText, unserializable } from './xml-escape.js';

/** What plain mode reads from {@link JsonToXmlOptions}. */
export interface PlainXmlOptions {
  readonly root?: string | undefined;
  readonly namespace?: string | undefined;
  readonly namespaces?: Readonly<Record<string, string>> | undefined;
  readonly declaration?: boolean | undefined;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const ITEM = 'item';
const AT_SIGN = ATTRIBUTE_KEY.charCodeAt(0);

/**
 * Text that is valid XML 1.0 and needs no escape matches nothing here (BMP characters only; anything
 * else takes the slow path). One scan answers both questions for the usual JSON string.
 */
const TEXT_NEEDS_CARE = /[^\t\n\x20-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd]/;
/** The same for attribute values, where `"`, tabs and newlines are escaped but `>` is not. */
const ATTRIBUTE_NEEDS_CARE = /[^\x20\x21\x23-\x25\x27-\x3b\x3d-\ud7ff\ue000-\ufffd]/;

/** An element or attribute name as plain mode writes it for a key. */
interface QualifiedName {
  readonly name: string;
  readonly prefix: string;
  readonly namespace: string;
}

const NO_DECLARATIONS: readonly XmlAttribute[] = [];
const NO_NAMES: readonly QualifiedName[] = [];
const NIL_ATTRIBUTE: readonly QualifiedName[] = [
  { name: 'xsi:nil', prefix: 'xsi', namespace: XSI_NAMESPACE },
];
const NIL_DECLARATION = namespaceDeclaration('xsi', XSI_NAMESPACE);

interface Writer {
  readonly maxDepth: number;
  /** The namespace of unprefixed elements. */
  readonly namespace: string;
  /** The `namespaces` option: prefixes keys may use. */
  readonly prefixes: ReadonlyMap<string, string>;
  /**
   * The options bind `xsi` to another namespace than XML Schema instance's, so `xsi:` attributes may need
   * declarations of their own, which change the scope of the element's children: only then are an
   * object's attribute names looked at before its children are written.
   */
  readonly xsiRebound: boolean;
  /** Names per key, computed once per document: the same keys recur in every item of an array. */
  readonly elementNames: Map<string, QualifiedName>;
  readonly attributeNames: Map<string, QualifiedName>;
  /** A `null` was written as `xsi:nil`. */
  nil: boolean;
  /** The first error the serializer would have thrown, thrown once the walk is complete. */
  unserializable: unknown;
  /** Set by {@link writeContent} for its caller: the element's attributes, as written. */
  attributes: string;
  /** Set by {@link writeContent} for its caller: the element has no children (`<a/>`). */
  empty: boolean;
}

/**
 * Writes `value` as plain-mode XML (see {@link convertJsonToXml}).
 *
 * @throws {MediaryError} `MEDIARY_XML_CONVERSION`, `MEDIARY_XML_TOO_DEEP`, and `MEDIARY_XML_UNSERIALIZABLE`
 *   for names and namespaces XML cannot carry, exactly as writing the element tree would.
 */
export function writePlainXml(value: unknown, options: PlainXmlOptions, maxDepth: number): string {
  const prefixes = new Map(Object.entries(options.namespaces ?? {}));
  const xsi = prefixes.get('xsi');
  const writer: Writer = {
    maxDepth,
    namespace: options.namespace ?? '',
    prefixes,
    xsiRebound: xsi !== undefined && xsi !== XSI_NAMESPACE,
    elementNames: new Map(),
    attributeNames: new Map(),
    nil: false,
    unserializable: undefined,
    attributes: '',
    empty: true,
  };
  const declarations: XmlAttribute[] = [];
  if (options.namespace !== undefined) declarations.push(namespaceDeclaration('', options.namespace));
  for (const [prefix, uri] of prefixes) declarations.push(namespaceDeclaration(prefix, uri));

  let xml: string;
  if (options.root === undefined) {
    xml = writeFragment(writer, value, declarations);
  } else {
    if (!isQName(options.root)) {
      throw conversionError(`"${options.root}" is not a valid root element name`, '');
    }
    xml = writeRoot(writer, options.root, value, declarations, true);
    if (options.declaration === true) xml = XML_DECLARATION + xml;
  }
  if (writer.unserializable !== undefined) throw writer.unserializable;
  return xml;
}

/** Without a root: the object's members as sibling elements, each declaring the namespaces itself. */
function writeFragment(w: Writer, value: unknown, declarations: readonly XmlAttribute[]): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
    throw conversionError('Plain mode without a root needs an object', '');
  }
  let xml = '';
  // Attributes and text cannot be written without a root, but their values are still checked first.
  let misplaced = false;
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined) continue;
    if (key === TEXT_KEY) {
      scalarText(member, undefined, key);
      misplaced = true;
    } else if (key.charCodeAt(0) === AT_SIGN) {
      if (member === null) continue;
      scalarText(member, undefined, key);
      misplaced = true;
    } else {
      const name = elementName(w, key);
      if (!Array.isArray(member)) {
        xml += writeElement(w, name, member, 2, undefined, key, INITIAL_SCOPE, declarations);
        continue;
      }
      const path = { parent: undefined, step: key };
      for (let i = 0; i < member.length; i++) {
        xml += writeElement(w, name, member[i], 2, path, i, INITIAL_SCOPE, declarations);
      }
    }
  }
  if (misplaced) throw conversionError('Attributes and text need a root element', '');
  return xml;
}

/**
 * The document element. Its start tag declares `xsi` only if a `null` occurs somewhere inside, which is
 * known only at the end: the children are written assuming it does (`assumeNil`), the start tag is
 * resolved at the end, and the walk is repeated without the assumption if it made a difference.
 */
function writeRoot(
  w: Writer,
  name: string,
  value: unknown,
  declarations: readonly XmlAttribute[],
  assumeNil: boolean,
): string {
  const colon = name.indexOf(':');
  const prefix = colon === -1 ? '' : name.slice(0, colon);
  const namespace = colon === -1 ? w.namespace : (w.prefixes.get(prefix) ?? '');
  const qualified: QualifiedName = { name, prefix, namespace };
  if (w.maxDepth < 1) throw tooDeep(w.maxDepth, '');
  const withNil = [...declarations, NIL_DECLARATION];
  if (value === null) return writeNil(w, qualified, INITIAL_SCOPE, withNil);

  const namespaced = w.xsiRebound ? namespacedAttributes(w, value) : NO_NAMES;
  const assumed = resolveStartTag(qualified, assumeNil ? withNil : declarations, namespaced, INITIAL_SCOPE);
  const content = writeContent(w, value, 1, undefined, undefined, assumed.scope);
  const { attributes, empty } = w;
  const actual =
    w.nil === assumeNil
      ? assumed
      : resolveStartTag(qualified, w.nil ? withNil : declarations, namespaced, INITIAL_SCOPE);
  if (!sameScope(assumed.scope, actual.scope, !w.xsiRebound)) {
    w.unserializable = undefined;
    return writeRoot(w, name, value, declarations, w.nil);
  }
  // The root's start tag comes first in the text, so its error is the one the serializer met first.
  if (actual.error !== undefined) w.unserializable = actual.error;
  return empty
    ? `<${name}${actual.text}${attributes}/>`
    : `<${name}${actual.text}${attributes}>${content}</${name}>`;
}

/**
 * Whether children written in scope `a` read the same in scope `b`. Unless the options bind `xsi` to
 * another namespace, only `xsi:nil` looks `xsi` up, and it exists only when the root declares `xsi`: a
 * difference there then changes nothing.
 */
function sameScope(a: Scope, b: Scope, ignoreXsi: boolean): boolean {
  if (a === b) return true;
  for (const [prefix, uri] of a) if (b.get(prefix) !== uri && !(ignoreXsi && prefix === 'xsi')) return false;
  for (const [prefix, uri] of b) if (a.get(prefix) !== uri && !(ignoreXsi && prefix === 'xsi')) return false;
  return true;
}

/** One element for `value` at `parent`/`step` (the path is built only when needed). */
function writeElement(
  w: Writer,
  qualified: QualifiedName,
  value: unknown,
  depth: number,
  parent: ValuePath,
  step: string | number,
  scope: Scope,
  declarations: readonly XmlAttribute[],
): string {
  if (depth > w.maxDepth) throw tooDeep(w.maxDepth, pathText({ parent, step }));
  if (value === null) return writeNil(w, qualified, scope, declarations);
  const { name, prefix, namespace } = qualified;
  let head = name;
  let childScope = scope;
  const namespaced = w.xsiRebound ? namespacedAttributes(w, value) : NO_NAMES;
  if (declarations.length > 0 || namespaced.length > 0 || (scope.get(prefix) ?? '') !== namespace) {
    const tag = resolveStartTag(qualified, declarations, namespaced, scope);
    if (tag.error !== undefined) w.unserializable ??= tag.error;
    head += tag.text;
    childScope = tag.scope;
  }
  const content = writeContent(w, value, depth, parent, step, childScope);
  return w.empty ? `<${head}${w.attributes}/>` : `<${head}${w.attributes}>${content}</${name}>`;
}

function writeNil(
  w: Writer,
  qualified: QualifiedName,
  scope: Scope,
  declarations: readonly XmlAttribute[],
): string {
  w.nil = true;
  const { name, prefix, namespace } = qualified;
  if (
    declarations.length === 0 &&
    (scope.get(prefix) ?? '') === namespace &&
    scope.get('xsi') === XSI_NAMESPACE
  ) {
    return `<${name} xsi:nil="true"/>`;
  }
  const tag = resolveStartTag(qualified, declarations, NIL_ATTRIBUTE, scope);
  if (tag.error !== undefined) w.unserializable ??= tag.error;
  return `<${name}${tag.text} xsi:nil="true"/>`;
}

/**
 * The content of an element holding `value` (not `null`), returned; its attributes and whether it is
 * empty are left in `w.attributes` and `w.empty` for the caller, which reads them straight away.
 */
function writeContent(
  w: Writer,
  value: unknown,
  depth: number,
  parent: ValuePath,
  step: string | number | undefined,
  scope: Scope,
): string {
  if (Array.isArray(value)) {
    // An array directly inside an array has no key to repeat, so its items become <item> elements.
    const path = step === undefined ? parent : { parent, step };
    const item = elementName(w, ITEM);
    let content = '';
    for (let i = 0; i < value.length; i++) {
      content += writeElement(w, item, value[i], depth + 1, path, i, scope, NO_DECLARATIONS);
    }
    w.attributes = '';
    w.empty = value.length === 0;
    return content;
  }
  // `null` never gets here: it is written as `xsi:nil` by the caller.
  if (typeof value === 'object' && value !== null && isPlainObject(value)) {
    return writeMembers(w, value, depth, step === undefined ? parent : { parent, step }, scope);
  }
  const text = scalarText(value, parent, step);
  w.attributes = '';
  w.empty = false;
  return text;
}

function writeMembers(
  w: Writer,
  value: Record<string, unknown>,
  depth: number,
  path: ValuePath,
  scope: Scope,
): string {
  let attributes = '';
  let content = '';
  let empty = true;
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined) continue;
    if (key === TEXT_KEY) {
      content += scalarText(member, path, key);
      empty = false;
    } else if (key.charCodeAt(0) === AT_SIGN) {
      if (member === null) continue; // an absent attribute is XML's null
      const { name } = attributeName(w, key);
      attributes += ` ${name}="${attributeText(member, path, key)}"`;
    } else {
      const name = elementName(w, key);
      if (!Array.isArray(member)) {
        content += writeElement(w, name, member, depth + 1, path, key, scope, NO_DECLARATIONS);
        empty = false;
        continue;
      }
      const memberPath = { parent: path, step: key };
      for (let i = 0; i < member.length; i++) {
        content += writeElement(w, name, member[i], depth + 1, memberPath, i, scope, NO_DECLARATIONS);
      }
      if (member.length > 0) empty = false;
    }
  }
  w.attributes = attributes;
  w.empty = empty;
  return content;
}

/** The escaped text of a scalar member. */
function scalarText(value: unknown, parent: ValuePath, step: string | number | undefined): string {
  if (typeof value === 'string') {
    if (!TEXT_NEEDS_CARE.test(value)) return value;
    checkCarried(value, parent, step);
    return escapeValidText(value);
  }
  return nonStringText(value, parent, step);
}

/** The escaped value of an attribute member. */
function attributeText(value: unknown, parent: ValuePath, step: string): string {
  if (typeof value === 'string') {
    if (!ATTRIBUTE_NEEDS_CARE.test(value)) return value;
    checkCarried(value, parent, step);
    return escapeValidAttribute(value);
  }
  return nonStringText(value, parent, step);
}

function checkCarried(value: string, parent: ValuePath, step: string | number | undefined): void {
  if (needsTextEscape(value)) {
    throw conversionError(
      'The string has characters XML 1.0 cannot carry',
      pathText(step === undefined ? parent : { parent, step }),
    );
  }
}

/** Numbers and booleans (whose text needs no escape); anything else is no JSON value. */
function nonStringText(value: unknown, parent: ValuePath, step: string | number | undefined): string {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !Object.is(value, -0)) return String(value);
    return numberText(value, step === undefined ? parent : { parent, step });
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw conversionError(
    `${describe(value)} is not a JSON value`,
    pathText(step === undefined ? parent : { parent, step }),
  );
}

/** The element name for a key: a declared `prefix:local` stays, the rest is encoded. */
function elementName(w: Writer, key: string): QualifiedName {
  let name = w.elementNames.get(key);
  if (name === undefined) {
    name = prefixedName(w, key) ?? { name: encodeName(key), prefix: '', namespace: w.namespace };
    w.elementNames.set(key, name);
  }
  return name;
}

/** The attribute name for an `@` key; `xmlns` would declare a namespace, so it is escaped like any misfit. */
function attributeName(w: Writer, key: string): QualifiedName {
  let name = w.attributeNames.get(key);
  if (name === undefined) {
    const local = key.slice(ATTRIBUTE_KEY.length);
    name = prefixedName(w, local) ?? {
      name: local === 'xmlns' ? '_x0078_mlns' : encodeName(local),
      prefix: '',
      namespace: '',
    };
    w.attributeNames.set(key, name);
  }
  return name;
}

function prefixedName(w: Writer, key: string): QualifiedName | undefined {
  const colon = key.indexOf(':');
  if (colon === -1 || !isQName(key)) return undefined;
  const prefix = key.slice(0, colon);
  const namespace = w.prefixes.get(prefix);
  return namespace === undefined ? undefined : { name: key, prefix, namespace };
}

/** The prefixed attributes an object will have, in order (only their names matter to the scope). */
function namespacedAttributes(w: Writer, value: unknown): readonly QualifiedName[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
    return NO_NAMES;
  }
  const names: QualifiedName[] = [];
  for (const key of Object.keys(value)) {
    if (key.charCodeAt(0) !== AT_SIGN) continue;
    const member = value[key];
    if (member === undefined || member === null) continue;
    const name = attributeName(w, key);
    if (name.prefix !== '') names.push(name);
  }
  return names;
}

/** A start tag's namespace part: the children's scope, and what follows the name before other attributes. */
interface StartTag {
  readonly scope: Scope;
  /** Added declarations, then `declarations` as written. */
  readonly text: string;
  /** The serializer's error for this tag, if any. */
  readonly error?: unknown;
}

/**
 * What the serializer's start tag does for an element whose attributes are `declarations` (all `xmlns`)
 * followed by the content attributes, of which only the prefixed ones (`namespaced`) can matter: it binds
 * the declarations, makes the element's prefix and then each attribute's prefix mean what they must, and
 * writes the declarations, in that order, so that the first error is the serializer's first error.
 */
function resolveStartTag(
  qualified: QualifiedName,
  declarations: readonly XmlAttribute[],
  namespaced: readonly QualifiedName[],
  parentScope: Scope,
): StartTag {
  const state: TagState = { attributes: declarations, parentScope, scope: parentScope, added: [] };
  try {
    for (const declaration of declarations) {
      bindPrefix(state, declaration.name === 'xmlns' ? '' : declaration.localName, declaration.value);
    }
    needPrefix(state, qualified.prefix, qualified.namespace, `Element <${qualified.name}>`);
    let written = '';
    for (const declaration of declarations) {
      if (!isQName(declaration.name)) {
        throw unserializable(`"${declaration.name}" is not a valid attribute name`);
      }
      written += ` ${declaration.name}="${escapeAttribute(declaration.value, declaration.name)}"`;
    }
    for (const attribute of namespaced) {
      needPrefix(state, attribute.prefix, attribute.namespace, `Attribute "${attribute.name}"`);
    }
    let text = '';
    for (const added of state.added) text += ` ${added}`;
    return { scope: state.scope, text: text + written };
  } catch (error) {
    return { scope: state.scope, text: '', error };
  }
}
