/**
 * The object form of an XML document that {@link parseXml} returns and {@link serializeXml} writes.
 *
 * It is a plain, JSON-serialisable tree that keeps everything a mediation step may need to reproduce
 * the document: element order, mixed content, CDATA sections, comments, processing instructions, and
 * for every element and attribute its qualified name as written, its prefix, local name and resolved
 * namespace URI. Namespace declarations stay attributes (namespace `http://www.w3.org/2000/xmlns/`), so
 * writing a parsed tree back declares exactly what the input declared.
 *
 * @module
 */

import { xmlErrors } from './errors.js';

/** The namespace the `xml:` prefix is bound to in every document. */
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
/** The namespace of namespace declarations (`xmlns`, `xmlns:p`). */
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

/** An attribute. `namespace` is `''` for an unprefixed attribute (XML namespaces do not default them). */
export interface XmlAttribute {
  readonly type: 'attribute';
  /** The qualified name as written, e.g. `xsi:type`. */
  readonly name: string;
  /** `''` when the name has no prefix. */
  readonly prefix: string;
  readonly localName: string;
  /** The resolved namespace URI, `''` for none. */
  readonly namespace: string;
  /** The value after entity decoding and attribute-value normalisation. */
  readonly value: string;
}

/** An element with its attributes (in document order) and its children. */
export interface XmlElement {
  readonly type: 'element';
  /** The qualified name as written, e.g. `soap:Envelope`. */
  readonly name: string;
  /** `''` when the name has no prefix. */
  readonly prefix: string;
  readonly localName: string;
  /** The resolved namespace URI, `''` for none. */
  readonly namespace: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
}

/** Character data, entity references decoded. Two text nodes are never adjacent in a parsed tree. */
export interface XmlText {
  readonly type: 'text';
  readonly value: string;
}

/** A CDATA section, kept apart from text so that writing it back reproduces the section. */
export interface XmlCData {
  readonly type: 'cdata';
  readonly value: string;
}

/** A comment. */
export interface XmlComment {
  readonly type: 'comment';
  readonly value: string;
}

/** A processing instruction such as `<?xml-stylesheet href="a.xsl"?>`. */
export interface XmlProcessingInstruction {
  readonly type: 'pi';
  readonly target: string;
  readonly data: string;
}

/** Any node that can be a child of an element. */
export type XmlNode = XmlElement | XmlText | XmlCData | XmlComment | XmlProcessingInstruction;

/** The XML declaration, when the input had one. */
export interface XmlDeclaration {
  readonly version: string;
  readonly encoding?: string;
  readonly standalone?: boolean;
}

/**
 * A whole document: the prolog and epilog (comments and processing instructions) and the one root
 * element, in order. `root` is the same object as the element in `children`.
 */
export interface XmlDocument {
  readonly type: 'document';
  readonly declaration?: XmlDeclaration;
  readonly children: readonly XmlNode[];
  readonly root: XmlElement;
}

/** Options of {@link xmlElement}. */
export interface XmlElementOptions {
  /** The namespace of the element; its prefix comes from `name`. Declared when written if needed. */
  readonly namespace?: string;
  /**
   * Attributes by qualified name. `xmlns`/`xmlns:p` become declarations, `xml:*` is bound to the XML
   * namespace, and any other prefix must be the element's own or one declared in this record.
   */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Child nodes; a string becomes a text node. */
  readonly children?: readonly (XmlNode | string)[];
}

function splitName(name: string): { prefix: string; localName: string } {
  const colon = name.indexOf(':');
  return colon === -1
    ? { prefix: '', localName: name }
    : { prefix: name.slice(0, colon), localName: name.slice(colon + 1) };
}

/**
 * Builds an element of the object form without writing the prefix bookkeeping by hand.
 *
 * @example
 * ```ts
 * const order = xmlElement('o:order', {
 *   namespace: 'urn:shop',
 *   attributes: { id: '42' },
 *   children: [xmlElement('o:item', { namespace: 'urn:shop', children: ['pen'] })],
 * });
 * serializeXml(order); // '<o:order xmlns:o="urn:shop" id="42"><o:item>pen</o:item></o:order>'
 * ```
 */
export function xmlElement(name: string, options: XmlElementOptions = {}): XmlElement {
  const { prefix, localName } = splitName(name);
  const namespace = options.namespace ?? '';
  const declared = new Map<string, string>([['xml', XML_NAMESPACE]]);
  if (prefix !== '') declared.set(prefix, namespace);
  const entries = Object.entries(options.attributes ?? {});
  for (const [attrName, value] of entries) {
    if (attrName.startsWith('xmlns:')) declared.set(attrName.slice(6), value);
  }
  const attributes = entries.map(([attrName, value]): XmlAttribute => {
    const split = splitName(attrName);
    if (attrName === 'xmlns' || split.prefix === 'xmlns') {
      return { type: 'attribute', name: attrName, ...split, namespace: XMLNS_NAMESPACE, value };
    }
    if (split.prefix === '') return { type: 'attribute', name: attrName, ...split, namespace: '', value };
    const attrNamespace = declared.get(split.prefix);
    if (attrNamespace === undefined) {
      throw xmlErrors.UNSERIALIZABLE({
        reason: `attribute "${attrName}" of <${name}> uses prefix "${split.prefix}", which is not declared`,
      });
    }
    return { type: 'attribute', name: attrName, ...split, namespace: attrNamespace, value };
  });
  const children = (options.children ?? []).map(
    (child): XmlNode => (typeof child === 'string' ? { type: 'text', value: child } : child),
  );
  return { type: 'element', name, prefix, localName, namespace, attributes, children };
}

/**
 * The element children of `element`, optionally only those with a given local name and namespace.
 *
 * @example
 * ```ts
 * const [body] = childElements(envelope, 'Body', 'http://www.w3.org/2003/05/soap-envelope');
 * ```
 */
export function childElements(element: XmlElement, localName?: string, namespace?: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (const child of element.children) {
    if (child.type !== 'element') continue;
    if (localName !== undefined && child.localName !== localName) continue;
    if (namespace !== undefined && child.namespace !== namespace) continue;
    found.push(child);
  }
  return found;
}

/**
 * The value of an attribute by local name and namespace (`''` for an unprefixed attribute).
 *
 * @example
 * ```ts
 * attributeValue(element, 'type', 'http://www.w3.org/2001/XMLSchema-instance'); // 'xsd:string'
 * ```
 */
export function attributeValue(element: XmlElement, localName: string, namespace = ''): string | undefined {
  return element.attributes.find((a) => a.localName === localName && a.namespace === namespace)?.value;
}

/**
 * The text of a node as XPath's string value sees it: the text and CDATA of all descendants, in order.
 *
 * @example
 * ```ts
 * textContent(parseXml('<a>x<b>y</b><![CDATA[z]]></a>').root); // 'xyz'
 * ```
 */
export function textContent(node: XmlNode | XmlDocument): string {
  if (node.type === 'text' || node.type === 'cdata') return node.value;
  if (node.type !== 'element' && node.type !== 'document') return '';
  let text = '';
  // An explicit stack so that a deep tree built in code cannot overflow the call stack.
  const pending: XmlNode[] = [...node.children].reverse();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.type === 'text' || next.type === 'cdata') text += next.value;
    else if (next.type === 'element')
      for (let i = next.children.length - 1; i >= 0; i--) pending.push(next.children[i]!);
  }
  return text;
}
