/**
 * Explicit JSON ⇄ XML conversion of the message body. Mediary never converts implicitly (JSON stays JSON,
 * XML stays XML); these steps do it when a route asks, with the rules of {@link convertJsonToXml} and
 * {@link convertXmlToJson}, and set the content type that goes with the new body.
 *
 * @module
 */
import { defineMediator, type Mediator, type Vars } from '@mediary/core';
import { xmlErrors } from '../errors.js';
import {
  convertJsonToXml,
  convertXmlToJson,
  type JsonToXmlOptions,
  type XmlToJsonOptions,
} from '../json-xml.js';
import { readXml } from './xml-view.js';

/** The content type {@link jsonToXml} sets unless told otherwise. */
export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json';

/** Options of the {@link xmlToJson} step: the conversion rules, and the content type to set. */
export interface XmlToJsonStepOptions extends Omit<XmlToJsonOptions, 'limits'> {
  /** Default `application/json`. */
  readonly contentType?: string;
}

/** Options of the {@link jsonToXml} step: the conversion rules, and the content type to set. */
export interface JsonToXmlStepOptions extends JsonToXmlOptions {
  /** Default `application/xml; charset=utf-8`. */
  readonly contentType?: string;
}

/**
 * Replaces an XML body with JSON. The default `typed` mode reads back exactly what {@link jsonToXml} wrote
 * (arrays of one element stay arrays); `plain` mode reads XML written by others (`arrays` hints which
 * elements are always arrays).
 *
 * @example
 * ```ts
 * steps: [xmlToJson({ mode: 'plain', stripPrefixes: true, inferTypes: true, arrays: ['items.item'] }), call('orders')]
 * ```
 */
export function xmlToJson<V extends Vars = Vars>(options: XmlToJsonStepOptions = {}): Mediator<V> {
  const { contentType = JSON_CONTENT_TYPE, ...rules } = options;
  return defineMediator<V>('xmlToJson', async (ctx) => {
    const document = await readXml(ctx.message);
    ctx.message.setJson(convertXmlToJson(document, rules), contentType);
  });
}

/**
 * Replaces a JSON body with XML. The default `typed` mode is lossless (`root` names the document
 * element, default `root`); `plain` mode writes clean XML for services — give `root`, or a body object with
 * exactly one member, so the result is one document.
 *
 * @example
 * ```ts
 * steps: [jsonToXml({ mode: 'plain', root: 'order', namespace: 'urn:shop' }), call('legacy-orders')]
 * ```
 */
export function jsonToXml<V extends Vars = Vars>(options: JsonToXmlStepOptions = {}): Mediator<V> {
  const { contentType = XML_CONTENT_TYPE, ...rules } = options;
  const fragmentPossible = rules.mode === 'plain' && rules.root === undefined;
  return defineMediator<V>('jsonToXml', async (ctx) => {
    const value = await ctx.message.json();
    if (fragmentPossible && !hasOneElementMember(value)) {
      throw xmlErrors.CONVERSION(
        { reason: 'a message body needs one root element: give the root option, or a body with one member' },
        { details: { path: '' } },
      );
    }
    ctx.message.setText(convertJsonToXml(value, rules), contentType);
  });
}

function hasOneElementMember(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const only = (value as Record<string, unknown>)[keys[0]!];
  // An array member repeats its element, so it must hold exactly one item to make one root.
  return !Array.isArray(only) || only.length === 1;
}
