/**
 * Builds a slimdom DOM from the object form, for fontoxpath. slimdom's own parser is never used: it
 * expands internal entities from a DOCTYPE, and every document must pass `parseXml`'s checks first.
 */

import * as slimdom from 'slimdom';
import type { XmlAttribute, XmlDocument, XmlElement, XmlNode } from '../xml-tree.js';

/** A node of the object form that XPath can select. */
export type XPathNode = XmlDocument | XmlNode | XmlAttribute;

/** A DOM and the way back from its nodes to the object form's nodes. */
export interface DomView {
  readonly document: slimdom.Document;
  readonly context: slimdom.Node;
  readonly original: ReadonlyMap<slimdom.Node, XPathNode>;
}

/** Converts a document or an element (which then becomes the root of a new document). */
export function toDom(input: XmlDocument | XmlElement): DomView {
  const document = new slimdom.Document();
  const original = new Map<slimdom.Node, XPathNode>();
  if (input.type === 'document') original.set(document, input);
  const topLevel: readonly XmlNode[] = input.type === 'document' ? input.children : [input];
  // An explicit stack: trees built in code are not depth-limited the way parsed ones are.
  const pending: { node: XmlNode; parent: slimdom.Node }[] = topLevel.map((node) => ({
    node,
    parent: document,
  }));
  pending.reverse();
  let contextElement: slimdom.Element | undefined;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, parent } = next;
    const created = createNode(document, node, original);
    parent.appendChild(created);
    if (node === input) contextElement = created as slimdom.Element;
    if (node.type === 'element') {
      for (let i = node.children.length - 1; i >= 0; i--)
        pending.push({ node: node.children[i]!, parent: created });
    }
  }
  return { document, context: contextElement ?? document, original };
}

function createNode(
  document: slimdom.Document,
  node: XmlNode,
  original: Map<slimdom.Node, XPathNode>,
): slimdom.Node {
  let created: slimdom.Node;
  switch (node.type) {
    case 'element': {
      const element = document.createElementNS(node.namespace === '' ? null : node.namespace, node.name);
      for (const attr of node.attributes) {
        const namespace = attr.namespace === '' ? null : attr.namespace;
        element.setAttributeNS(namespace, attr.name, attr.value);
        const created = element.getAttributeNodeNS(namespace, attr.localName);
        if (created !== null) original.set(created, attr);
      }
      created = element;
      break;
    }
    case 'text':
      created = document.createTextNode(node.value);
      break;
    case 'cdata':
      created = document.createCDATASection(node.value);
      break;
    case 'comment':
      created = document.createComment(node.value);
      break;
    case 'pi':
      created = document.createProcessingInstruction(node.target, node.data);
      break;
  }
  original.set(created, node);
  return created;
}
