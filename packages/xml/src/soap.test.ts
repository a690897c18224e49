import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { convertJsonToXml, convertXmlToJson } from './json-xml.js';
import {
  buildEnvelope,
  buildFault,
  MEDIARY_FAULT_NAMESPACE,
  parseEnvelope,
  SOAP11_NAMESPACE,
  SOAP12_NAMESPACE,
  SoapFaultError,
  soapActionOf,
  soapHeaders,
  soapVersionOf,
} from './soap.js';
import { attributeValue, textContent, xmlElement } from './xml-tree.js';
import { evaluateXPathToNodes } from './xpath.js';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.each([
  ['1.1', SOAP11_NAMESPACE],
  ['1.2', SOAP12_NAMESPACE],
] as const)('SOAP %s', (version, namespace) => {
  it('builds an envelope around a text body and header blocks, and reads them back', () => {
    const body = convertJsonToXml({ appointmentNumber: 1, doctor: { name: 'Ann' } }, { mode: 'plain' });
    const xml = buildEnvelope({ version, body, headers: '<t:trace xmlns:t="urn:t">abc</t:trace>' });
    expect(xml.startsWith(`<soap:Envelope xmlns:soap="${namespace}"><soap:Header><t:trace`)).toBe(true);
    const envelope = parseEnvelope(xml);
    expect(envelope.version).toBe(version);
    expect(envelope.headers.map((h) => [h.localName, h.namespace, textContent(h)])).toEqual([
      ['trace', 'urn:t', 'abc'],
    ]);
    expect(envelope.body?.name).toBe('appointmentNumber');
    expect(envelope.fault).toBeUndefined();
    const [, bodyElement] = envelope.document.root.children;
    if (bodyElement?.type !== 'element') throw new Error('fixture');
    expect(convertXmlToJson(bodyElement, { mode: 'plain', inferTypes: true })).toEqual({
      appointmentNumber: 1,
      doctor: { name: 'Ann' },
    });
  });

  it('builds an envelope around an element of the object form', () => {
    const quote = xmlElement('q:getQuote', {
      namespace: 'urn:q',
      children: [xmlElement('q:symbol', { namespace: 'urn:q', children: ['X'] })],
    });
    const envelope = parseEnvelope(buildEnvelope({ version, body: quote }));
    expect(envelope.headers).toEqual([]);
    expect(envelope.body).toMatchObject({ localName: 'getQuote', namespace: 'urn:q' });
  });

  it('refuses a body with a DOCTYPE or with bare text', () => {
    const doctype = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
    expect(xmlErrors.DOCTYPE_FORBIDDEN.is(errorOf(() => buildEnvelope({ version, body: doctype })))).toBe(
      true,
    );
    expect(xmlErrors.SOAP_MALFORMED.is(errorOf(() => buildEnvelope({ version, body: 'hello' })))).toBe(true);
  });
});

describe('SOAP faults', () => {
  it('writes a 1.1 fault with soap:Client/soap:Server and a Mediary error code in the detail', () => {
    const xml = buildFault({
      version: '1.1',
      code: 'Server',
      message: 'Backend down',
      detail: { code: 'MEDIARY_X' },
    });
    expect(xml).toBe(
      `<soap:Envelope xmlns:soap="${SOAP11_NAMESPACE}"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode>` +
        '<faultstring>Backend down</faultstring><detail><mf:code xmlns:mf="urn:mediary:fault">MEDIARY_X</mf:code></detail>' +
        '</soap:Fault></soap:Body></soap:Envelope>',
    );
    const { fault } = parseEnvelope(xml);
    expect(fault).toMatchObject({ code: 'Server', subcodes: [], reason: 'Backend down' });
    expect(fault?.detail?.children[0]).toMatchObject({
      localName: 'code',
      namespace: MEDIARY_FAULT_NAMESPACE,
    });
  });

  it('writes a 1.2 fault with Code/Value, subcodes, Reason/Text and Detail, and reads it back', () => {
    const xml = buildFault({
      version: '1.2',
      code: 'Sender',
      subcodes: ['InvalidInput'],
      message: 'Bad date',
      detail: { code: 'MEDIARY_XML_INVALID' },
    });
    const envelope = parseEnvelope(xml);
    expect(envelope.fault).toMatchObject({ code: 'Sender', subcodes: ['InvalidInput'], reason: 'Bad date' });
    expect(textContent(envelope.fault?.detail ?? envelope.document.root)).toBe('MEDIARY_XML_INVALID');
    const [reasonText] = evaluateXPathToNodes('//soap:Reason/soap:Text', envelope.document, {
      namespaces: { soap: SOAP12_NAMESPACE },
    });
    if (reasonText?.type !== 'element') throw new Error('fixture');
    expect(attributeValue(reasonText, 'lang', 'http://www.w3.org/XML/1998/namespace')).toBe('en');
  });

  it('reads faults written by other SOAP stacks, e.g. a dotted 1.1 code with an actor', () => {
    const xml =
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>' +
      '<faultcode>s:Server.Database</faultcode><faultstring> Timeout </faultstring><faultactor>urn:db</faultactor>' +
      '<detail><e:info xmlns:e="urn:e">x</e:info></detail></s:Fault></s:Body></s:Envelope>';
    expect(parseEnvelope(xml).fault).toMatchObject({
      code: 'Server.Database',
      reason: 'Timeout',
      actor: 'urn:db',
    });
  });

  it('carries a backend fault in SoapFaultError', () => {
    const envelope = parseEnvelope(buildFault({ version: '1.2', code: 'Receiver', message: 'Down' }));
    if (envelope.fault === undefined) throw new Error('fixture');
    const error = new SoapFaultError(envelope.version, envelope.fault);
    expect(error).toMatchObject({
      code: 'MEDIARY_SOAP_FAULT',
      status: 502,
      retryable: false,
      version: '1.2',
    });
    expect(error.message).toBe('The SOAP service answered with a SOAP 1.2 fault Receiver: Down');
    expect(error.fault.reason).toBe('Down');
    expect(xmlErrors.SOAP_FAULT.is(error)).toBe(true);
  });
});

describe('parseEnvelope', () => {
  it.each([
    ['<Envelope/>', 'not in a SOAP namespace'],
    [`<soap:Envelope xmlns:soap="${SOAP11_NAMESPACE}"/>`, 'without a Body'],
    [`<soap:Envelope xmlns:soap="${SOAP12_NAMESPACE}"><soap:Body/></soap:Envelope>`, 'with a 1.2 body'],
  ])('accepts or refuses %j (%s)', (xml, why) => {
    if (why === 'with a 1.2 body') {
      expect(parseEnvelope(xml)).toMatchObject({ version: '1.2', body: undefined });
      return;
    }
    expect(xmlErrors.SOAP_MALFORMED.is(errorOf(() => parseEnvelope(xml)))).toBe(true);
  });
});

describe('SOAP actions and content types', () => {
  it('reads the action from SOAPAction (1.1) or the content type (1.2), case-insensitively', () => {
    expect(soapActionOf({ SOAPAction: '"urn:getQuote"' })).toBe('urn:getQuote');
    expect(soapActionOf({ soapaction: ['""'] })).toBe('');
    expect(
      soapActionOf(new Headers({ 'Content-Type': 'application/soap+xml; charset=utf-8; action="urn:a"' })),
    ).toBe('urn:a');
    expect(soapActionOf('application/soap+xml;action=urn:b')).toBe('urn:b');
    expect(soapActionOf({ 'content-type': 'text/xml' })).toBeUndefined();
  });

  it('writes the headers for each version', () => {
    expect(soapHeaders('1.1', 'urn:a')).toEqual({
      'content-type': 'text/xml; charset=utf-8',
      soapaction: '"urn:a"',
    });
    expect(soapHeaders('1.2', 'urn:a')).toEqual({
      'content-type': 'application/soap+xml; charset=utf-8; action="urn:a"',
    });
    expect(soapHeaders('1.2')).toEqual({ 'content-type': 'application/soap+xml; charset=utf-8' });
    expect(soapVersionOf('text/xml; charset=utf-8')).toBe('1.1');
    expect(soapVersionOf('application/soap+xml')).toBe('1.2');
    expect(soapVersionOf('application/json')).toBeUndefined();
  });
});
