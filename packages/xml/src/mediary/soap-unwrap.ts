/**
 * `soapUnwrap`: the SOAP envelope comes off the body. What was inside `Body` becomes the body (as XML, or
 * as JSON), the header blocks and the action go into variables, and a fault becomes an error — so the steps
 * after it, and the error handler, deal with content, not envelopes.
 *
 * @module
 */
import { defineMediator, isMediaryError, type Mediator, type MessageContext, type Vars } from '@mediary/core';
import { xmlErrors } from '../errors.js';
import { convertXmlToJson, type XmlToJsonOptions } from '../json-xml.js';
import { serializeXml } from '../serialize-xml.js';
import {
  parseEnvelope,
  SOAP11_NAMESPACE,
  SOAP12_NAMESPACE,
  type SoapEnvelope,
  SoapFaultError,
  soapActionOf,
} from '../soap.js';
import { XMLNS_NAMESPACE, type XmlAttribute, type XmlElement } from '../xml-tree.js';
import { XML_CONTENT_TYPE } from './convert.js';
import { readXml } from './xml-view.js';

/** Variables {@link soapUnwrap} sets. */
export interface SoapVars {
  /** The header blocks (element children of `soap:Header`), in the object form; `[]` when none. */
  soapHeaders: readonly XmlElement[];
  /** `SOAPAction` (1.1) or the content type's `action` (1.2), unquoted; `undefined` when not sent. */
  soapAction: string | undefined;
  /** The envelope's version; {@link soapFaultReply} answers in it by default. */
  soapVersion: '1.1' | '1.2';
}

/** Options of {@link soapUnwrap}. */
export interface SoapUnwrapOptions {
  /** What the body becomes: the body element as XML (default), or its content as JSON (plain mode). */
  readonly into?: 'xml' | 'json';
  /**
   * Plain-mode rules for `into: 'json'`. Default `stripPrefixes: true`, since clients choose prefixes
   * freely; values stay strings unless `inferTypes`.
   */
  readonly json?: Omit<XmlToJsonOptions, 'mode' | 'limits'>;
  /**
   * The body elements this service accepts, as `{namespace}localName` or a bare local name (any
   * namespace). Another element fails with `MEDIARY_SOAP_UNKNOWN_OPERATION` (400). Default: any.
   */
  readonly operations?: readonly string[];
}

const ENVELOPE_NAMESPACES = new Set([SOAP11_NAMESPACE, SOAP12_NAMESPACE]);

/**
 * Unwraps a SOAP 1.1 or 1.2 envelope — an inbound request or a backend's reply.
 *
 * - The body becomes the first element inside `Body`: as XML (`application/xml`, with the namespace
 *   declarations it used from the envelope), or with `into: 'json'` its content as JSON in plain mode.
 * - `vars.soapHeaders` gets the header blocks, `vars.soapAction` the action, `vars.soapVersion` the version;
 *   the `SOAPAction` header is removed, since the body is no longer SOAP.
 * - A fault throws {@link SoapFaultError} (`MEDIARY_SOAP_FAULT`, 502), so the route's error handler sees it.
 * - On a backend's reply (a message with a status), anything that is not a usable envelope — malformed
 *   XML, no envelope, an error status without a fault — is `MEDIARY_SOAP_BAD_REPLY` (502): the backend's
 *   fault, not the client's. On a request the same problems are the client's (400), and so is an empty
 *   `Body`; in a reply, an empty `Body` or no body at all (a one-way operation) leaves the body empty.
 *
 * @example
 * ```ts
 * // a SOAP backend behind a REST API:
 * steps: [soapWrap({ version: '1.1', action: 'urn:getQuote' }), call('quotes'), soapUnwrap({ into: 'json' }), respond()]
 * // a SOAP front:
 * steps: [soapUnwrap({ operations: ['{urn:shop}order'] }), validateXml(orderXsd), xmlToJson({ mode: 'plain' }), call('orders')]
 * ```
 */
export function soapUnwrap<V extends Vars = Vars>(options: SoapUnwrapOptions = {}): Mediator<V> {
  const into = options.into ?? 'xml';
  const json: XmlToJsonOptions = { stripPrefixes: true, ...options.json, mode: 'plain' };
  const accepts = options.operations?.map(parseOperation);
  return defineMediator<V>('soapUnwrap', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const isReply = c.message.status !== undefined;
    // A one-way operation answers 202 (or 200) with nothing at all.
    if (isReply && c.message.isEmpty && (c.message.status ?? 200) < 300) {
      c.vars.soapHeaders = [];
      return;
    }
    const envelope = await readEnvelope(c, isReply);
    if (envelope.fault) throw new SoapFaultError(envelope.version, envelope.fault);
    const status = c.message.status ?? 200;
    if (isReply && status >= 400) {
      throw xmlErrors.SOAP_BAD_REPLY({ status, reason: 'an error status without a SOAP fault' });
    }
    const body = envelope.body;
    if (body === undefined && !isReply) throw xmlErrors.SOAP_MALFORMED({ reason: 'the SOAP Body is empty' });
    if (body !== undefined && accepts && !accepts.some((accept) => accept(body))) {
      throw xmlErrors.SOAP_UNKNOWN_OPERATION({
        element: `{${body.namespace}}${body.localName}`,
        expected: options.operations?.join(', '),
      });
    }
    c.vars.soapHeaders = envelope.headers;
    c.vars.soapAction = soapActionOf(c.message.headers.toObject());
    c.vars.soapVersion = envelope.version;
    c.message.headers.delete('soapaction');
    // An empty Body in a reply is a one-way operation's answer: nothing to hand on.
    if (body === undefined) c.message.setBody(undefined);
    else if (into === 'json') c.message.setJson(convertXmlToJson(body, json));
    else c.message.setText(serializeXml(withInScopeNamespaces(body, envelope)), XML_CONTENT_TYPE);
  });
}

async function readEnvelope(ctx: MessageContext, isReply: boolean): Promise<SoapEnvelope> {
  try {
    return parseEnvelope(await readXml(ctx.message));
  } catch (error) {
    // A backend's unreadable reply is a bad gateway; only errors of the 5xx class (a timeout while the body
    // was arriving) keep their own code.
    if (!isReply || (isMediaryError(error) && error.status >= 500)) throw error;
    const reason = isMediaryError(error) ? error.message : 'the reply could not be read';
    throw xmlErrors.SOAP_BAD_REPLY({ status: ctx.message.status, reason }, { cause: error });
  }
}

function parseOperation(operation: string): (element: XmlElement) => boolean {
  const match = /^\{([^}]*)\}(.+)$/.exec(operation);
  if (!match) return (element) => element.localName === operation;
  const [, namespace, localName] = match;
  return (element) => element.namespace === namespace && element.localName === localName;
}

/**
 * The body element with the namespace declarations it inherited from `Envelope` and `Body` (except the
 * envelope's own), so prefixes used in content — `xsi:type="tns:Quote"` — still resolve once it stands
 * alone. Names the serialiser would declare anyway are covered either way.
 */
function withInScopeNamespaces(body: XmlElement, envelope: SoapEnvelope): XmlElement {
  const declared = new Set(body.attributes.filter(isDeclaration).map((a) => a.localName));
  const inherited: XmlAttribute[] = [];
  const root = envelope.document.root;
  const bodyElement = root.children.find(
    (child): child is XmlElement => child.type === 'element' && child.localName === 'Body',
  );
  for (const ancestor of [bodyElement, root]) {
    for (const attribute of ancestor?.attributes ?? []) {
      if (!isDeclaration(attribute) || ENVELOPE_NAMESPACES.has(attribute.value)) continue;
      // `xmlns="…"` has the local name `xmlns`; `xmlns:p="…"` has `p`. The nearest declaration wins.
      if (declared.has(attribute.localName)) continue;
      declared.add(attribute.localName);
      inherited.push(attribute);
    }
  }
  return inherited.length === 0 ? body : { ...body, attributes: [...inherited, ...body.attributes] };
}

function isDeclaration(attribute: XmlAttribute): boolean {
  return attribute.namespace === XMLNS_NAMESPACE;
}
