/**
 * JSON ⇄ XML for the `xml` scenario, with fast-xml-parser. The builder is created once: its options are
 * compiled per instance, and per-request construction would be measured as transformation cost.
 *
 * Mapping: the document element is `<root>`; object keys become elements, arrays repeat their element, and a
 * top-level array becomes repeated `<item>` elements. Keys are used as element names unchanged, so JSON keys
 * that are not XML names (`"1st"`, `"a b"`) give ill-formed XML: acceptable for the benchmark's payloads,
 * not for a general converter.
 *
 * @module
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

const builder = new XMLBuilder({ ignoreAttributes: true, suppressEmptyNode: false });
const parser = new XMLParser({ ignoreAttributes: true });

/**
 * Serialises parsed JSON as an XML document.
 *
 * @example
 * jsonToXml({ route: 'a', items: [1, 2] });
 * // '<?xml version="1.0" encoding="UTF-8"?><root><route>a</route><items>1</items><items>2</items></root>'
 */
export function jsonToXml(value: unknown): string {
  return XML_DECLARATION + builder.build({ root: Array.isArray(value) ? { item: value } : value });
}

/**
 * Parses an XML document into plain objects (used by tests to check the `xml` scenario's output).
 *
 * @example
 * xmlToJson('<root><a>1</a></root>'); // { root: { a: 1 } }
 */
export function xmlToJson(xml: string): unknown {
  return parser.parse(xml, true);
}
