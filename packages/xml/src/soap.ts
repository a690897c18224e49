/**
 * SOAP 1.1 and 1.2 envelopes and faults on top of the object form.
 *
 * | | SOAP 1.1 | SOAP 1.2 |
 * | --- | --- | --- |
 * | envelope namespace | `http://schemas.xmlsoap.org/soap/envelope/` | `http://www.w3.org/2003/05/soap-envelope` |
 * | content type | `text/xml; charset=utf-8` | `application/soap+xml; charset=utf-8; action="…"` |
 * | action | `SOAPAction: "…"` header | `action` parameter of the content type |
 * | fault codes | `Client`, `Server`, `VersionMismatch`, `MustUnderstand` | `Sender`, `Receiver`, `VersionMismatch`, `MustUnderstand`, `DataEncodingUnknown` |
 *
 * @module
 */

import { MediaryError } from '@mediary/core';
import { xmlErrors } from './errors.js';
import { encodeName } from './internal/name-codec.js';
import { parseXml, type XmlLimits } from './parse-xml.js';
import { serializeXml } from './serialize-xml.js';
import {
  childElements,
  textContent,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
  xmlElement,
} from './xml-tree.js';

/** The SOAP version. */
export type SoapVersion = '1.1' | '1.2';

/** Envelope namespace of SOAP 1.1. */
export const SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
/** Envelope namespace of SOAP 1.2. */
export const SOAP12_NAMESPACE = 'http://www.w3.org/2003/05/soap-envelope';
/** Namespace of the elements {@link buildFault} writes into the fault detail from a record. */
export const MEDIARY_FAULT_NAMESPACE = 'urn:mediary:fault';

const ENVELOPE_NAMESPACE: Readonly<Record<SoapVersion, string>> = {
  '1.1': SOAP11_NAMESPACE,
  '1.2': SOAP12_NAMESPACE,
};

/** Fault codes of SOAP 1.1. */
export type Soap11FaultCode = 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';
/** Fault codes of SOAP 1.2. */
export type Soap12FaultCode =
  | 'Sender'
  | 'Receiver'
  | 'VersionMismatch'
  | 'MustUnderstand'
  | 'DataEncodingUnknown';

/** A fault as {@link parseEnvelope} reads it, the same shape for both versions. */
export interface SoapFault {
  /** The local part of the code, e.g. `Server` (1.1 `faultcode`) or `Receiver` (1.2 `Code/Value`). */
  readonly code: string;
  /** SOAP 1.2 subcodes, outermost first, as local parts. Empty for 1.1. */
  readonly subcodes: readonly string[];
  /** `faultstring` (1.1) or the first `Reason/Text` (1.2). */
  readonly reason: string;
  /** `faultactor` (1.1) or `Role` (1.2). */
  readonly actor?: string;
  /** The `detail` (1.1) or `Detail` (1.2) element. */
  readonly detail?: XmlElement;
}

/** A parsed envelope. */
export interface SoapEnvelope {
  readonly version: SoapVersion;
  /** The header blocks: the element children of `Header`. */
  readonly headers: readonly XmlElement[];
  /** The first element child of `Body` (the fault element for a fault), if any. */
  readonly body: XmlElement | undefined;
  readonly fault?: SoapFault;
  readonly document: XmlDocument;
}

/** What goes into a `Body` or a `Header`: XML text (one or more elements) or elements of the object form. */
export type SoapContent = string | XmlElement | readonly XmlElement[];

/** Options of {@link buildEnvelope}. */
export interface BuildEnvelopeOptions {
  readonly version: SoapVersion;
  readonly body?: SoapContent;
  readonly headers?: SoapContent;
  /** Limits for parsing `body`/`headers` given as text. */
  readonly limits?: XmlLimits;
}

/** A fault detail: a record written as elements in {@link MEDIARY_FAULT_NAMESPACE}, or an element. */
export type SoapFaultDetail = Readonly<Record<string, string | number | boolean>> | XmlElement;

interface FaultCommon {
  readonly message: string;
  readonly detail?: SoapFaultDetail;
}

/** Options of {@link buildFault}; the codes allowed depend on the version. */
export type BuildFaultOptions =
  | (FaultCommon & { readonly version: '1.1'; readonly code: Soap11FaultCode; readonly actor?: string })
  | (FaultCommon & {
      readonly version: '1.2';
      readonly code: Soap12FaultCode;
      /** Subcode values as `prefix:local` with `namespaces`, or local names in {@link MEDIARY_FAULT_NAMESPACE}. */
      readonly subcodes?: readonly string[];
      readonly lang?: string;
      readonly role?: string;
    });

/**
 * The error that carries a fault answered by a SOAP backend: a `MediaryError` with the code
 * `MEDIARY_SOAP_FAULT` (502), plus the SOAP version and the fault as read. `details` holds `version`,
 * `faultCode` and `faultReason`.
 *
 * @example
 * ```ts
 * const envelope = parseEnvelope(reply);
 * if (envelope.fault) throw new SoapFaultError(envelope.version, envelope.fault);
 * ```
 */
export class SoapFaultError extends MediaryError {
  readonly version: SoapVersion;
  readonly fault: SoapFault;

  constructor(version: SoapVersion, fault: SoapFault, options: { readonly cause?: unknown } = {}) {
    // Built through the catalog entry so message and details follow its template.
    const base = xmlErrors.SOAP_FAULT({ version, faultCode: fault.code, faultReason: fault.reason });
    super(xmlErrors.SOAP_FAULT, base.message, {
      details: base.details,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.version = version;
    this.fault = fault;
  }
}

function malformed(reason: string, cause?: unknown): MediaryError {
  return xmlErrors.SOAP_MALFORMED({ reason }, cause === undefined ? {} : { cause });
}

/**
 * Writes an envelope around a body and optional header blocks.
 *
 * @throws {MediaryError} the parse errors of {@link parseXml} for text content, or `MEDIARY_SOAP_MALFORMED`
 *   when text content has text outside elements.
 * @example
 * ```ts
 * buildEnvelope({ version: '1.1', body: '<getQuote xmlns="urn:q"><symbol>X</symbol></getQuote>' });
 * // '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><getQuote …
 * ```
 */
export function buildEnvelope(options: BuildEnvelopeOptions): string {
  const namespace = ENVELOPE_NAMESPACE[options.version];
  const children: XmlElement[] = [];
  if (options.headers !== undefined) {
    children.push(
      xmlElement('soap:Header', { namespace, children: contentOf(options.headers, options.limits) }),
    );
  }
  const body = options.body === undefined ? [] : contentOf(options.body, options.limits);
  children.push(xmlElement('soap:Body', { namespace, children: body }));
  return serializeXml(xmlElement('soap:Envelope', { namespace, children }));
}

function contentOf(content: SoapContent, limits: XmlLimits | undefined): XmlNode[] {
  if (typeof content !== 'string')
    return 'type' in content ? [content as XmlElement] : [...(content as XmlElement[])];
  const fragment = content.replace(/^\uFEFF?\s*<\?xml[ \t\r\n][^>]*\?>/, '');
  // Wrapping makes one document of several elements; the wrapper is dropped again below.
  const wrapper = parseXml(`<mediary-fragment>${fragment}</mediary-fragment>`, limits).root;
  const nodes = wrapper.children.filter((node) => !(node.type === 'text' && node.value.trim() === ''));
  if (nodes.some((node) => node.type === 'text' || node.type === 'cdata')) {
    throw malformed('SOAP body and header content must be elements, not text');
  }
  return nodes;
}

/**
 * Reads an envelope of either version: its header blocks, its body element and, for a fault, the fault.
 *
 * @throws {MediaryError} the parse errors of {@link parseXml}, or `MEDIARY_SOAP_MALFORMED` when the document is
 *   not a SOAP 1.1 or 1.2 envelope with a `Body`.
 * @example
 * ```ts
 * const { version, body, fault } = parseEnvelope(responseText);
 * if (fault) throw new SoapFaultError(version, fault);
 * ```
 */
export function parseEnvelope(input: string | Uint8Array | XmlDocument, limits?: XmlLimits): SoapEnvelope {
  const document = typeof input === 'string' || input instanceof Uint8Array ? parseXml(input, limits) : input;
  const root = document.root;
  const version =
    root.namespace === SOAP11_NAMESPACE ? '1.1' : root.namespace === SOAP12_NAMESPACE ? '1.2' : undefined;
  if (version === undefined || root.localName !== 'Envelope') {
    throw malformed(`Expected a SOAP Envelope, found <${root.name}> in namespace "${root.namespace}"`);
  }
  const namespace = ENVELOPE_NAMESPACE[version];
  const parts = childElements(root);
  const header = parts[0]?.localName === 'Header' && parts[0].namespace === namespace ? parts[0] : undefined;
  const bodyElement = parts[header === undefined ? 0 : 1];
  if (bodyElement === undefined || bodyElement.localName !== 'Body' || bodyElement.namespace !== namespace) {
    throw malformed(`The SOAP ${version} envelope has no Body`);
  }
  const body = childElements(bodyElement)[0];
  const headers = header === undefined ? [] : childElements(header);
  const isFault = body !== undefined && body.localName === 'Fault' && body.namespace === namespace;
  if (!isFault) return { version, headers, body, document };
  const fault = version === '1.1' ? readFault11(body) : readFault12(body);
  return { version, headers, body, fault, document };
}

function localPart(qname: string): string {
  const trimmed = qname.trim();
  return trimmed.slice(trimmed.indexOf(':') + 1);
}

function readFault11(fault: XmlElement): SoapFault {
  // SOAP 1.1 fault children are unqualified.
  const child = (name: string): XmlElement | undefined => childElements(fault, name, '')[0];
  const code = child('faultcode');
  if (code === undefined) throw malformed('The SOAP 1.1 fault has no faultcode');
  const actor = child('faultactor');
  const detail = child('detail');
  return {
    code: localPart(textContent(code)),
    subcodes: [],
    reason: textContent(child('faultstring') ?? code).trim(),
    ...(actor === undefined ? {} : { actor: textContent(actor).trim() }),
    ...(detail === undefined ? {} : { detail }),
  };
}

function readFault12(fault: XmlElement): SoapFault {
  const child = (parent: XmlElement, name: string): XmlElement | undefined =>
    childElements(parent, name, SOAP12_NAMESPACE)[0];
  const code = child(fault, 'Code');
  const value = code === undefined ? undefined : child(code, 'Value');
  if (code === undefined || value === undefined) throw malformed('The SOAP 1.2 fault has no Code/Value');
  const subcodes: string[] = [];
  for (let sub = child(code, 'Subcode'); sub !== undefined; sub = child(sub, 'Subcode')) {
    const subValue = child(sub, 'Value');
    if (subValue !== undefined) subcodes.push(localPart(textContent(subValue)));
  }
  const reason = child(fault, 'Reason');
  const text = reason === undefined ? undefined : child(reason, 'Text');
  const role = child(fault, 'Role');
  const detail = child(fault, 'Detail');
  return {
    code: localPart(textContent(value)),
    subcodes,
    reason: text === undefined ? '' : textContent(text).trim(),
    ...(role === undefined ? {} : { actor: textContent(role).trim() }),
    ...(detail === undefined ? {} : { detail }),
  };
}

/**
 * Writes a fault envelope. A record `detail` becomes elements in {@link MEDIARY_FAULT_NAMESPACE}, which
 * is how a Mediary error code travels to a SOAP client.
 *
 * @example
 * ```ts
 * buildFault({ version: '1.1', code: 'Server', message: 'Backend down', detail: { code: 'MEDIARY_HTTP_UNAVAILABLE' } });
 * // … <faultcode>soap:Server</faultcode><faultstring>Backend down</faultstring>
 * //   <detail><mf:code xmlns:mf="urn:mediary:fault">MEDIARY_HTTP_UNAVAILABLE</mf:code></detail> …
 * ```
 */
export function buildFault(options: BuildFaultOptions): string {
  const namespace = ENVELOPE_NAMESPACE[options.version];
  let fault: XmlElement;
  if (options.version === '1.1') {
    const children = [
      xmlElement('faultcode', { children: [`soap:${options.code}`] }),
      xmlElement('faultstring', { children: [options.message] }),
      ...(options.actor === undefined ? [] : [xmlElement('faultactor', { children: [options.actor] })]),
      ...(options.detail === undefined ? [] : [detailElement('detail', '', options.detail)]),
    ];
    fault = xmlElement('soap:Fault', { namespace, children });
  } else {
    let subcode: XmlElement | undefined;
    for (const value of [...(options.subcodes ?? [])].reverse()) {
      const qualified = value.includes(':') ? value : `mf:${value}`;
      const valueElement = xmlElement('soap:Value', { namespace, children: [qualified] });
      subcode = xmlElement('soap:Subcode', {
        namespace,
        // The prefix inside the value text must be declared; mf is the only one this function invents.
        ...(qualified.startsWith('mf:') ? { attributes: { 'xmlns:mf': MEDIARY_FAULT_NAMESPACE } } : {}),
        children: subcode === undefined ? [valueElement] : [valueElement, subcode],
      });
    }
    const codeValue = xmlElement('soap:Value', { namespace, children: [`soap:${options.code}`] });
    const children = [
      xmlElement('soap:Code', {
        namespace,
        children: subcode === undefined ? [codeValue] : [codeValue, subcode],
      }),
      xmlElement('soap:Reason', {
        namespace,
        children: [
          xmlElement('soap:Text', {
            namespace,
            attributes: { 'xml:lang': options.lang ?? 'en' },
            children: [options.message],
          }),
        ],
      }),
      ...(options.role === undefined
        ? []
        : [xmlElement('soap:Role', { namespace, children: [options.role] })]),
      ...(options.detail === undefined ? [] : [detailElement('soap:Detail', namespace, options.detail)]),
    ];
    fault = xmlElement('soap:Fault', { namespace, children });
  }
  const body = xmlElement('soap:Body', { namespace, children: [fault] });
  return serializeXml(xmlElement('soap:Envelope', { namespace, children: [body] }));
}

function detailElement(name: string, namespace: string, detail: SoapFaultDetail): XmlElement {
  if ('type' in detail && detail.type === 'element')
    return xmlElement(name, { namespace, children: [detail as XmlElement] });
  const children = Object.entries(detail as Readonly<Record<string, string | number | boolean>>).map(
    ([key, value]) =>
      xmlElement(`mf:${encodeName(key)}`, { namespace: MEDIARY_FAULT_NAMESPACE, children: [String(value)] }),
  );
  return xmlElement(name, { namespace, children });
}

/** Header lookup accepted by {@link soapActionOf}: a fetch `Headers`, or a Node-style record. */
export type SoapHeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(source: SoapHeaderSource, name: string): string | undefined {
  if (typeof source.get === 'function')
    return (source as { get(name: string): string | null }).get(name) ?? undefined;
  const record = source as Readonly<Record<string, string | readonly string[] | undefined>>;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== name) continue;
    const value = record[key];
    return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed;
}

/**
 * The SOAP action of a request: the `SOAPAction` header (1.1) or the `action` parameter of the content
 * type (1.2). Given a string, reads it as a content type. `''` means the action was sent empty.
 *
 * @example
 * ```ts
 * soapActionOf({ SOAPAction: '"urn:getQuote"' }); // 'urn:getQuote'
 * soapActionOf('application/soap+xml; charset=utf-8; action="urn:getQuote"'); // 'urn:getQuote'
 * ```
 */
export function soapActionOf(source: SoapHeaderSource | string): string | undefined {
  if (typeof source !== 'string') {
    const soapAction = header(source, 'soapaction');
    if (soapAction !== undefined) return unquote(soapAction);
  }
  const contentType = typeof source === 'string' ? source : header(source, 'content-type');
  if (contentType === undefined) return undefined;
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq !== -1 && parameter.slice(0, eq).trim().toLowerCase() === 'action')
      return unquote(parameter.slice(eq + 1));
  }
  return undefined;
}

/**
 * The SOAP version a content type announces: `text/xml` is 1.1, `application/soap+xml` is 1.2.
 *
 * @example
 * ```ts
 * soapVersionOf('application/soap+xml; charset=utf-8'); // '1.2'
 * ```
 */
export function soapVersionOf(contentType: string): SoapVersion | undefined {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'text/xml') return '1.1';
  if (mediaType === 'application/soap+xml') return '1.2';
  return undefined;
}

/**
 * The HTTP headers that carry an envelope of `version` with `action`.
 *
 * @example
 * ```ts
 * soapHeaders('1.1', 'urn:getQuote'); // { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:getQuote"' }
 * soapHeaders('1.2', 'urn:getQuote'); // { 'content-type': 'application/soap+xml; charset=utf-8; action="urn:getQuote"' }
 * ```
 */
export function soapHeaders(version: SoapVersion, action?: string): Record<string, string> {
  const quoted = action === undefined ? undefined : `"${action.replace(/["\\\r\n]/g, '')}"`;
  if (version === '1.1') {
    return quoted === undefined
      ? { 'content-type': 'text/xml; charset=utf-8' }
      : { 'content-type': 'text/xml; charset=utf-8', soapaction: quoted };
  }
  return {
    'content-type': `application/soap+xml; charset=utf-8${quoted === undefined ? '' : `; action=${quoted}`}`,
  };
}
