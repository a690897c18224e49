/**
 * XSD validation of the message body as a step.
 *
 * @module
 */
import { defineMediator, type Mediator, type Vars } from '@mediary/core';
import { assertValid, type CompiledXsd, compileXsd } from '../xsd.js';
import { readXml } from './xml-view.js';

/**
 * Validates the XML body against an XSD. The schema is compiled once, on the first message (libxml2-wasm
 * loads then), and kept for the life of the route. An invalid body fails with `MEDIARY_XML_INVALID` (400)
 * whose message starts with the line of the first problem and libxml2's reason; `details.errors` lists
 * them all. A body that is not well-formed fails with the parse error first.
 *
 * @example
 * ```ts
 * const orderXsd = readFileSync(new URL('./order.xsd', import.meta.url), 'utf8');
 * steps: [validateXml(orderXsd), xmlToJson({ mode: 'plain' }), call('orders')]
 * ```
 */
export function validateXml<V extends Vars = Vars>(xsdSource: string): Mediator<V> {
  let schema: Promise<CompiledXsd> | undefined;
  return defineMediator<V>('validateXml', async (ctx) => {
    // The safety checks (and their clear errors) come from the cached view before libxml2 sees anything.
    await readXml(ctx.message);
    schema ??= compileXsd(xsdSource, { limits: { maxBytes: ctx.message.limits.maxBodyBytes } });
    // The original bytes, not the parsed tree: the lines libxml2 reports are then the sender's lines.
    assertValid(await schema, await ctx.message.bytes());
  });
}
