/**
 * A JSON client calls a Mediary REST API that fronts SOAP backends, over real sockets: JSON in → SOAP
 * request → SOAP reply → JSON out, for SOAP 1.1 and 1.2, against a small `node:http` SOAP service written
 * here and against a service built with the `soap` package (a SOAP stack nobody here wrote).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, createEngine, type Engine, respond, silentLogger } from '@mediary/core';
// @mediary/http is not a dependency of this package yet (package.json is the lead's to change): the
// workspace source is imported by path until `"@mediary/http": "workspace:*"` is a devDependency.
import { httpApi, httpEndpoint, httpServer } from '@mediary/http';
import soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEnvelope,
  buildFault,
  childElements,
  parseEnvelope,
  SOAP11_NAMESPACE,
  type SoapVersion,
  soapActionOf,
  soapUnwrap,
  soapWrap,
  textContent,
} from '../src/index.js';

const QUOTES = 'urn:quotes';

/** What the hand-written SOAP service received. */
interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly soapAction: string | undefined;
  readonly action: string | undefined;
  readonly body: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A tiny SOAP service: `/soap11` and `/soap12` answer `getQuote` with a price, or a fault for the symbol
 * `FAIL`; `/html` answers like a broken proxy would.
 */
function quoteService(received: Received[]) {
  return createServer((req, res) => {
    void readBody(req).then((text) => {
      const contentType = req.headers['content-type'];
      received.push({
        path: req.url ?? '',
        contentType,
        soapAction: req.headers.soapaction as string | undefined,
        action: soapActionOf(req.headers as Record<string, string>),
        body: text,
      });
      if (req.url === '/html') {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>Bad gateway');
        return;
      }
      const version: SoapVersion = req.url === '/soap12' ? '1.2' : '1.1';
      const type = version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
      const envelope = parseEnvelope(text);
      const symbol = textContent(childElements(envelope.body!, 'symbol', QUOTES)[0]!);
      if (symbol === 'FAIL') {
        const fault =
          version === '1.1'
            ? buildFault({ version, code: 'Server', message: 'The exchange is closed' })
            : buildFault({ version, code: 'Receiver', message: 'The exchange is closed' });
        res.writeHead(500, { 'content-type': type });
        res.end(fault);
        return;
      }
      const reply = buildEnvelope({
        version,
        body: `<getQuoteResponse xmlns="${QUOTES}"><symbol>${symbol}</symbol><price>12.5</price><tags>tech</tags></getQuoteResponse>`,
      });
      res.writeHead(200, { 'content-type': type });
      res.end(reply);
    });
  });
}

/** The WSDL of the `soap`-package service: one document/literal operation, SOAP 1.1. */
function stockWsdl(location: string): string {
  return `<?xml version="1.0"?>
<wsdl:definitions name="Stock" targetNamespace="${QUOTES}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="${QUOTES}" xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:types>
    <xs:schema targetNamespace="${QUOTES}" elementFormDefault="qualified">
      <xs:element name="getQuote"><xs:complexType><xs:sequence>
        <xs:element name="symbol" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="getQuoteResponse"><xs:complexType><xs:sequence>
        <xs:element name="symbol" type="xs:string"/>
        <xs:element name="price" type="xs:double"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="getQuoteIn"><wsdl:part name="parameters" element="tns:getQuote"/></wsdl:message>
  <wsdl:message name="getQuoteOut"><wsdl:part name="parameters" element="tns:getQuoteResponse"/></wsdl:message>
  <wsdl:portType name="StockPort">
    <wsdl:operation name="getQuote"><wsdl:input message="tns:getQuoteIn"/><wsdl:output message="tns:getQuoteOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="StockBinding" type="tns:StockPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="getQuote">
      <soap:operation soapAction="urn:getQuote"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="StockService">
    <wsdl:port name="StockPort" binding="tns:StockBinding"><soap:address location="${location}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>`;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The REST API: each resource wraps the JSON body for one SOAP backend and unwraps the reply into JSON. */
function quotesApi() {
  const toSoap = (version: SoapVersion) =>
    soapWrap({ version, action: 'urn:getQuote', json: { root: 'getQuote', namespace: QUOTES } });
  const toJson = soapUnwrap({ into: 'json', json: { inferTypes: true, arrays: ['tags'] } });
  return httpApi({
    name: 'quotes',
    context: '/api',
    resources: [
      {
        method: 'POST',
        path: '/v1/quotes',
        accepts: ['application/json'],
        steps: [toSoap('1.1'), call('soap11'), toJson, respond()],
      },
      {
        method: 'POST',
        path: '/v2/quotes',
        accepts: ['application/json'],
        steps: [toSoap('1.2'), call('soap12'), toJson, respond()],
      },
      { method: 'POST', path: '/broken', steps: [toSoap('1.1'), call('html'), toJson, respond()] },
      {
        method: 'POST',
        path: '/stock',
        steps: [
          toSoap('1.1'),
          call('stock'),
          soapUnwrap({ into: 'json', json: { inferTypes: true } }),
          respond(),
        ],
      },
    ],
  });
}

async function postJson(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, contentType: String(res.headers.get('content-type')), text: await res.text() };
}

describe('a REST API in front of SOAP backends', () => {
  const received: Received[] = [];
  let backend: Server | undefined;
  let stock: Server | undefined;
  let engine: Engine;
  let base: string;
  const stockRequests: unknown[] = [];

  beforeAll(async () => {
    backend = quoteService(received);
    const backendUrl = await listen(backend);
    stock = createServer();
    const stockUrl = await listen(stock);
    soap.listen(
      stock,
      '/stock',
      {
        StockService: {
          StockPort: {
            getQuote(args: { symbol: string }) {
              stockRequests.push(args);
              return { symbol: args.symbol, price: 99.25 };
            },
          },
        },
      },
      stockWsdl(`${stockUrl}/stock`),
    );
    engine = createEngine({ logger: silentLogger });
    for (const [name, path] of [
      ['soap11', '/soap11'],
      ['soap12', '/soap12'],
      ['html', '/html'],
    ] as const) {
      engine.addEndpoint(httpEndpoint({ name, url: `${backendUrl}${path}`, method: 'POST' }));
    }
    engine.addEndpoint(httpEndpoint({ name: 'stock', url: `${stockUrl}/stock`, method: 'POST' }));
    const server = httpServer({ port: 0, apis: [quotesApi()] });
    engine.use(server);
    await engine.start();
    base = `${server.url}/api`;
  });

  afterAll(async () => {
    await engine?.stop();
    await close(backend);
    await close(stock);
  });

  it('turns JSON into a SOAP 1.1 request and the SOAP reply into JSON', async () => {
    const reply = await postJson(`${base}/v1/quotes`, { symbol: 'ACME' });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.contentType).toBe('application/json');
    expect(JSON.parse(reply.text)).toEqual({ symbol: 'ACME', price: 12.5, tags: ['tech'] });
    const sent = received.at(-1)!;
    expect(sent).toMatchObject({
      path: '/soap11',
      contentType: 'text/xml; charset=utf-8',
      soapAction: '"urn:getQuote"',
    });
    const envelope = parseEnvelope(sent.body);
    expect(envelope.document.root.namespace).toBe(SOAP11_NAMESPACE);
    expect(envelope.body).toMatchObject({ localName: 'getQuote', namespace: QUOTES });
  });

  it('speaks SOAP 1.2 with the action in the content type', async () => {
    const reply = await postJson(`${base}/v2/quotes`, { symbol: 'ACME' });
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ symbol: 'ACME', price: 12.5, tags: ['tech'] });
    const sent = received.at(-1)!;
    expect(sent.contentType).toBe('application/soap+xml; charset=utf-8; action="urn:getQuote"');
    expect(sent.soapAction).toBeUndefined();
    expect(sent.action).toBe('urn:getQuote');
    expect(parseEnvelope(sent.body).version).toBe('1.2');
  });

  it.each([
    ['1.1', 'v1', 'Server'],
    ['1.2', 'v2', 'Receiver'],
  ])('turns a SOAP %s fault into a JSON error reply with a 502 status', async (version, path, code) => {
    const reply = await postJson(`${base}/${path}/quotes`, { symbol: 'FAIL' });
    expect(reply.status).toBe(502);
    expect(reply.contentType).toBe('application/json');
    expect(JSON.parse(reply.text)).toEqual({
      error: {
        code: 'MEDIARY_SOAP_FAULT',
        message: `The SOAP service answered with a SOAP ${version} fault ${code}: The exchange is closed`,
      },
    });
  });

  it('answers 502 when the backend replies with something that is not SOAP', async () => {
    const reply = await postJson(`${base}/broken`, { symbol: 'ACME' });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: 'MEDIARY_SOAP_BAD_REPLY' } });
  });

  it('is understood by a SOAP service built with the soap package', async () => {
    const reply = await postJson(`${base}/stock`, { symbol: 'ACME' });
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ symbol: 'ACME', price: 99.25 });
    expect(stockRequests).toEqual([{ symbol: 'ACME' }]);
  });
});
