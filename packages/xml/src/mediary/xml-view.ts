/**
 * The XML view of a message body: parsed once per body, on first use, with the limits the message carries
 * (the engine's), and cached beside the body — every XPath, conversion and SOAP step of a route shares one
 * parse, and clones that did not set a new body share it too.
 *
 * @module
 */
import { bodyKind, coreErrors, defineBodyView, type Message } from '@mediary/core';
import { parseXml, type XmlLimits } from '../parse-xml.js';
import type { XmlDocument } from '../xml-tree.js';

/**
 * The body view that parses XML with {@link parseXml}'s safety rules (no DOCTYPE, size, depth, attribute
 * and text limits). The size limit is the message's `maxBodyBytes`; the other limits are the parser's
 * defaults. A body that declares itself JSON or a form is refused with `MEDIARY_CONTENT_TYPE_UNSUPPORTED`
 * (415) rather than misread; XML stays XML and JSON stays JSON unless a step converts explicitly.
 *
 * @example
 * ```ts
 * const doc = await ctx.message.view(xmlView);
 * doc.root.localName; // 'order'
 * ```
 */
export const xmlView = defineBodyView<XmlDocument>('xml', async (message) => {
  const kind = bodyKind(message.contentType);
  if (kind === 'json' || kind === 'form') {
    throw coreErrors.CONTENT_TYPE_UNSUPPORTED({ contentType: message.contentType, as: 'XML' });
  }
  return parseXml(await message.bytes(), xmlLimitsOf(message));
});

/**
 * The body of a message as a parsed XML document (the cached {@link xmlView}). Treat the result as
 * read-only: clones share it. To change the body, set a new one.
 *
 * @example
 * ```ts
 * const doc = await readXml(ctx.message);
 * const id = attributeValue(doc.root, 'id');
 * ```
 */
export function readXml(message: Message): Promise<XmlDocument> {
  return message.view(xmlView);
}

function xmlLimitsOf(message: Message): XmlLimits {
  return { maxBytes: message.limits.maxBodyBytes };
}
