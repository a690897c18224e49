/**
 * Writing the object form back to XML text.
 *
 * Text is escaped so that parsing the output gives the same tree back (`&`, `<`, `>` and carriage
 * returns in text; `&`, `<`, `"` and literal tabs/newlines/carriage returns in attributes, which the
 * parser would otherwise normalise to spaces). Missing namespace declarations are added where an
 * element or attribute needs them, so trees built in code need not declare prefixes by hand.
 *
 * @module
 */

import { isQName, NCNAME } from './internal/chars.js';
import {
  bindPrefix,
  INITIAL_SCOPE,
  needPrefix,
  type Scope,
  type TagState,
} from './internal/namespace-scope.js';
import { checkChars, escapeAttribute, escapeText, unserializable } from './internal/xml-escape.js';
import type { XmlAttribute, XmlDocument, XmlElement, XmlNode } from './xml-tree.js';
import { XMLNS_NAMESPACE } from './xml-tree.js';

/** Options of {@link serializeXml}. */
export interface SerializeXmlOptions {
  /**
   * Write an XML declaration. Defaults to whether the document had one; never for a lone element. The
   * declaration says `UTF-8` when it names an encoding at all, because the result is a JavaScript
   * string that is written out as UTF-8.
   */
  readonly declaration?: boolean;
}

/**
 * Writes a document or an element as XML text. `parseXml(serializeXml(doc))` equals `doc` for every
 * parsed document (declaration encoding aside, see {@link SerializeXmlOptions.declaration}).
 *
 * @throws {MediaryError} `MEDIARY_XML_UNSERIALIZABLE` for a name, character, comment or CDATA section that
 *   XML cannot carry (e.g. U+0001 in text, `--` in a comment).
 * @example
 * ```ts
 * serializeXml(parseXml('<a x="1&#10;2">&lt;b&gt;</a>')); // '<a x="1&#xA;2">&lt;b&gt;</a>'
 * ```
 */
export function serializeXml(node: XmlDocument | XmlElement, options: SerializeXmlOptions = {}): string {
  if (node.type === 'element') return writeElement(node);
  const out: string[] = [];
  const declaration = node.declaration;
  if (options.declaration ?? declaration !== undefined) {
    let decl = `<?xml version="${declaration?.version ?? '1.0'}"`;
    if (declaration === undefined || declaration.encoding !== undefined) decl += ' encoding="UTF-8"';
    if (declaration?.standalone !== undefined)
      decl += ` standalone="${declaration.standalone ? 'yes' : 'no'}"`;
    out.push(`${decl}?>`);
  }
  for (const child of node.children)
    out.push(child.type === 'element' ? writeElement(child) : writeLeaf(child));
  return out.join('');
}

function writeLeaf(node: Exclude<XmlNode, XmlElement>): string {
  switch (node.type) {
    case 'text':
      return escapeText(node.value);
    case 'cdata':
      checkChars(node.value, 'a CDATA section');
      // ']]>' cannot appear inside a section, so split it across two.
      return `<![CDATA[${node.value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
    case 'comment':
      checkChars(node.value, 'a comment');
      if (node.value.includes('--') || node.value.endsWith('-')) {
        throw unserializable(`Comment "${node.value.slice(0, 40)}" contains '--' or ends with '-'`);
      }
      return `<!--${node.value}-->`;
    case 'pi':
      checkChars(node.data, 'a processing instruction');
      if (!NCNAME.test(node.target) || node.target.toLowerCase() === 'xml' || node.data.includes('?>')) {
        throw unserializable(`Processing instruction "${node.target}" cannot be written`);
      }
      return node.data === '' ? `<?${node.target}?>` : `<?${node.target} ${node.data}?>`;
  }
}

interface Frame {
  readonly element: XmlElement;
  readonly scope: Scope;
  next: number;
}

/** Writes one element tree with an explicit stack, so depth is limited by memory only. */
function writeElement(root: XmlElement): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  const open = (element: XmlElement, parentScope: Scope): void => {
    const { tag, scope } = startTag(element, parentScope);
    if (element.children.length === 0) {
      out.push(`${tag}/>`);
      return;
    }
    out.push(`${tag}>`);
    stack.push({ element, scope, next: 0 });
  };
  open(root, INITIAL_SCOPE);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const child = frame.element.children[frame.next++];
    if (child === undefined) {
      out.push(`</${frame.element.name}>`);
      stack.pop();
    } else if (child.type === 'element') {
      open(child, frame.scope);
    } else {
      out.push(writeLeaf(child));
    }
  }
  return out.join('');
}

/** The start tag without its closing `>`, declaring whatever namespaces the element needs. */
function startTag(element: XmlElement, parentScope: Scope): { tag: string; scope: Scope } {
  if (!isQName(element.name)) throw unserializable(`"${element.name}" is not a valid element name`);
  // The common case: no attributes and a namespace already in scope.
  if (element.attributes.length === 0 && (parentScope.get(element.prefix) ?? '') === element.namespace) {
    return { tag: `<${element.name}`, scope: parentScope };
  }
  const state: TagState = { attributes: element.attributes, parentScope, scope: parentScope, added: [] };
  for (const attr of element.attributes) {
    if (attr.namespace !== XMLNS_NAMESPACE) continue;
    bindPrefix(state, attr.name === 'xmlns' ? '' : attr.localName, attr.value);
  }
  needPrefix(state, element.prefix, element.namespace, `Element <${element.name}>`);
  let attributes = '';
  for (const attr of element.attributes) {
    attributes += ` ${attributeName(attr, state)}="${escapeAttribute(attr.value, attr.name)}"`;
  }
  let declarations = '';
  for (const declaration of state.added) declarations += ` ${declaration}`;
  return { tag: `<${element.name}${declarations}${attributes}`, scope: state.scope };
}

function attributeName(attr: XmlAttribute, state: TagState): string {
  if (!isQName(attr.name)) throw unserializable(`"${attr.name}" is not a valid attribute name`);
  if (attr.namespace === XMLNS_NAMESPACE) return attr.name;
  if (attr.prefix === '') {
    if (attr.namespace !== '') throw unserializable(`Attribute "${attr.name}" has a namespace but no prefix`);
    return attr.name;
  }
  needPrefix(state, attr.prefix, attr.namespace, `Attribute "${attr.name}"`);
  return attr.name;
}
