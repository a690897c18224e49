/**
 * T7 over real sockets, driven by a SOAP client nobody here wrote (the `soap` npm package): it reads the WSDL,
 * calls `reserve`, and gets faults it understands. Raw requests check the wire format SCENARIOS.md gives.
 */
import { createEngine, type Engine, silentLogger } from '@mediary/core';
import { type HttpServer, httpServer } from '@mediary/http';
import { MEDIARY_FAULT_NAMESPACE, parseEnvelope, parseXml, serializeXml, textContent } from '@mediary/xml';
import soap from 'soap';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hospitalEndpoints } from '../src/endpoints.js';
import { type HospitalBackend, startHospitalBackend } from '../src/hospital-backend.js';
import { createHealthcareIntegration } from '../src/integration.js';
import { HEALTHCARE_NAMESPACE, HEALTHCARE_SERVICE_PATH, withHealthcareSoap } from '../src/soap-front.js';
import { garbageBackend, patient, startFakeBackend } from './support.js';

interface Front {
  readonly engine: Engine;
  readonly server: HttpServer;
  readonly url: string;
}

async function startFront(hospitalUrl: string): Promise<Front> {
  const engine = createEngine({ logger: silentLogger });
  for (const endpoint of hospitalEndpoints({ hospitalUrl, timeoutMs: 5000 })) engine.addEndpoint(endpoint);
  const server = httpServer(withHealthcareSoap({ name: 'soap-front', port: 0 }));
  engine.use(server);
  await engine.start();
  return { engine, server, url: `${server.url}${HEALTHCARE_SERVICE_PATH}` };
}

/** The arguments of `reserve`, as the SOAP client takes them. */
const reserveArgs = {
  category: 'surgery',
  hospital: 'grand oak community hospital',
  doctor: 'thomas collins',
  appointment_date: '2025-04-02',
  patient,
};

/** The request SCENARIOS.md describes, written by hand. */
function reserveEnvelope(fields: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <reserve xmlns="urn:mediary:healthcare">
${fields}
    </reserve>
  </soapenv:Body>
</soapenv:Envelope>`;
}

const patientXml = `      <patient>
        <name>John Doe</name><dob>1940-03-19</dob><ssn>234-23-525</ssn>
        <address>California</address><phone>8770586755</phone><email>johndoe@gmail.com</email>
      </patient>`;

const goodFields = `      <category>surgery</category>
      <hospital>grand oak community hospital</hospital>
      <doctor>thomas collins</doctor>
      <appointment_date>2025-04-02</appointment_date>
${patientXml}`;

async function postSoap(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:reserve"', ...headers },
    body,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** A SOAP 1.1 fault reply: HTTP 500, text/xml, the fault code and the Mediary code in the detail. */
function expectFault(reply: { status: number; headers: Record<string, unknown>; text: string }) {
  expect(reply.status, reply.text).toBe(500);
  expect(String(reply.headers['content-type'])).toMatch(/^text\/xml/);
  const envelope = parseEnvelope(reply.text);
  expect(envelope.version).toBe('1.1');
  const detail = envelope.fault?.detail;
  const code = detail?.children.find(
    (node) =>
      node.type === 'element' && node.localName === 'code' && node.namespace === MEDIARY_FAULT_NAMESPACE,
  );
  return { fault: envelope.fault!, code: code === undefined ? undefined : textContent(code) };
}

/** What the `soap` client rejects with for a fault. */
interface SoapClientError extends Error {
  readonly root?: {
    Envelope?: {
      Body?: { Fault?: { faultcode?: string; faultstring?: string; detail?: { code?: string } } };
    };
  };
  readonly response?: { status?: number };
}

async function soapFailure(call: Promise<unknown>): Promise<SoapClientError> {
  try {
    await call;
  } catch (error) {
    return error as SoapClientError;
  }
  throw new Error('expected the SOAP call to fail');
}

describe('T7: the SOAP front, with the bundled hospital backend', () => {
  let hospital: HospitalBackend;
  let front: Front;

  beforeAll(async () => {
    hospital = await startHospitalBackend();
    front = await startFront(hospital.url);
  });

  afterAll(async () => {
    await front?.engine.stop();
    await hospital?.close();
  });

  it('serves a WSDL 1.1 whose address comes from the request Host', async () => {
    const res = await request(`${front.url}?wsdl`, { headers: { host: 'soap.example.org:8290' } });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/xml/);
    const wsdl = parseXml(text).root;
    expect(wsdl).toMatchObject({ localName: 'definitions', namespace: 'http://schemas.xmlsoap.org/wsdl/' });
    expect(text).toContain(
      '<soap:address location="http://soap.example.org:8290/services/HealthcareService"/>',
    );
    expect(text).toContain('<soap:operation soapAction="urn:reserve" style="document"/>');
    expect(text).toContain(
      '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>',
    );
    expect(text).toContain('<xs:element name="reserve">');
    expect(text).toContain('<xs:element name="reserveResponse">');
  });

  it('does not echo a Host that is not a plain host and port into the WSDL', async () => {
    const res = await request(`${front.url}?WSDL`, { headers: { host: 'x"/><evil a="' } });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(text).not.toContain('evil');
    expect(text).toContain('location="http://localhost/services/HealthcareService"');
  });

  it('lets a SOAP client read the WSDL, call reserve and get the backend reply as typed elements', async () => {
    const client = await soap.createClientAsync(`${front.url}?wsdl`);
    const [first] = await client.reserveAsync(reserveArgs);
    expect(first).toEqual({
      appointmentNumber: expect.any(Number),
      doctor: {
        name: 'thomas collins',
        hospital: 'grand oak community hospital',
        category: 'surgery',
        availability: '9.00 a.m - 11.00 a.m',
        fee: 7000,
      },
      patient,
      hospital: 'grand oak community hospital',
      fee: 7000,
      confirmed: false,
      appointmentDate: '2025-04-02',
    });
    const [second] = await client.reserveAsync({
      ...reserveArgs,
      hospital: 'clemency medical center',
      doctor: 'anne clement',
    });
    expect(second.appointmentNumber).toBe(first.appointmentNumber + 1);
    expect(second.fee).toBe(12000);
    expect(hospital.calls.slice(-2).map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /grandoaks/categories/surgery/reserve',
      'POST /clemency/categories/surgery/reserve',
    ]);
  });

  it('answers an unknown hospital with soap:Client and no backend call', async () => {
    const client = await soap.createClientAsync(`${front.url}?wsdl`);
    const callsBefore = hospital.calls.length;
    const error = await soapFailure(client.reserveAsync({ ...reserveArgs, hospital: 'st. nowhere' }));
    expect(error.response?.status).toBe(500);
    expect(error.root?.Envelope?.Body?.Fault).toMatchObject({
      faultcode: 'soap:Client',
      faultstring: expect.stringContaining('st. nowhere'),
      detail: { code: 'MEDIARY_HEALTHCARE_UNKNOWN_HOSPITAL' },
    });
    expect(hospital.calls.length).toBe(callsBefore);
  });

  it('answers the hand-written request of SCENARIOS.md with a reserveResponse envelope', async () => {
    const reply = await postSoap(front.url, reserveEnvelope(goodFields));
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers['content-type']).toBe('text/xml; charset=utf-8');
    const envelope = parseEnvelope(reply.text);
    expect(envelope.version).toBe('1.1');
    expect(envelope.fault).toBeUndefined();
    expect(envelope.body).toMatchObject({ localName: 'reserveResponse', namespace: HEALTHCARE_NAMESPACE });
    const xml = serializeXml(envelope.body!);
    expect(xml).toMatch(
      /^<reserveResponse xmlns="urn:mediary:healthcare"><appointmentNumber>\d+<\/appointmentNumber><doctor><name>thomas collins<\/name>/,
    );
    expect(xml).toContain(
      '<fee>7000</fee><confirmed>false</confirmed><appointmentDate>2025-04-02</appointmentDate>',
    );
    expect(xml).toContain('<patient><name>John Doe</name><dob>1940-03-19</dob>');
  });

  it('accepts the request elements in any order and with prefixes', async () => {
    const fields = `<h:patient><h:name>Jane Roe</h:name></h:patient><h:doctor>seth mears</h:doctor>
      <h:hospital>pine valley community hospital</h:hospital><h:category>surgery</h:category>`;
    const body = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:h="urn:mediary:healthcare">
      <s:Body><h:reserve>${fields}</h:reserve></s:Body></s:Envelope>`;
    const reply = await postSoap(front.url, body);
    expect(reply.status, reply.text).toBe(200);
    expect(hospital.calls.at(-1)?.path).toBe('/pinevalley/categories/surgery/reserve');
  });

  it.each([
    ['malformed XML', reserveEnvelope('<category>surgery</category><hospital>'), 'MEDIARY_XML_MALFORMED'],
    ['a body that is not an envelope', '<reserve xmlns="urn:mediary:healthcare"/>', 'MEDIARY_SOAP_MALFORMED'],
    [
      'another operation',
      reserveEnvelope('')
        .replace(/<reserve xmlns/, '<cancel xmlns')
        .replace('</reserve>', '</cancel>'),
      'MEDIARY_SOAP_UNKNOWN_OPERATION',
    ],
    [
      'a missing doctor',
      reserveEnvelope(goodFields.replace('<doctor>thomas collins</doctor>', '')),
      'MEDIARY_XML_INVALID',
    ],
    [
      'a doctor the hospital does not have',
      reserveEnvelope(goodFields.replace('thomas collins', 'doctor who')),
      'MEDIARY_HTTP_STATUS',
    ],
  ])('answers %s with soap:Client', async (_why, body, code) => {
    const reply = await postSoap(front.url, body);
    const { fault, code: detailCode } = expectFault(reply);
    expect(fault.code).toBe('Client');
    expect(detailCode).toBe(code);
    expect(reply.text).not.toMatch(/\bat .+\(.*:\d+:\d+\)|node:internal|\.ts:\d+/);
  });

  it('puts the line of the schema problem in the fault string', async () => {
    const reply = await postSoap(
      front.url,
      reserveEnvelope(goodFields.replace('<doctor>thomas collins</doctor>', '')),
    );
    expect(expectFault(reply).fault.reason).toMatch(/^The XML is not valid against its schema: line \d+: /);
  });
});

describe('T7: faults for backend failures', () => {
  const cleanup: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  it('answers soap:Server when the backend is down', async () => {
    const hospital = await startHospitalBackend();
    const url = hospital.url;
    await hospital.close();
    const front = await startFront(url);
    cleanup.push(() => front.engine.stop());
    // The WSDL comes from Mediary, so the client starts even though the backend is gone.
    const client = await soap.createClientAsync(`${front.url}?wsdl`);
    const error = await soapFailure(client.reserveAsync(reserveArgs));
    expect(error.response?.status).toBe(500);
    expect(error.root?.Envelope?.Body?.Fault).toMatchObject({
      faultcode: 'soap:Server',
      detail: { code: 'MEDIARY_HTTP_UNREACHABLE' },
    });
  });

  it('answers soap:Server when the backend sends garbage', async () => {
    const backend = await garbageBackend();
    cleanup.push(() => backend.close());
    const front = await startFront(backend.url);
    cleanup.push(() => front.engine.stop());
    const { fault, code } = expectFault(await postSoap(front.url, reserveEnvelope(goodFields)));
    expect(fault.code).toBe('Server');
    expect(code).toBe('MEDIARY_HEALTHCARE_BAD_REPLY');
  });

  it('sends the backend the T2 nested JSON form, routed by hospital', async () => {
    const received: { path: string; contentType: string | undefined; body: unknown }[] = [];
    const backend = await startFakeBackend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            confirmed: false,
            fee: 7000,
            appointmentNumber: 41,
            hospital: 'grand oak community hospital',
            appointmentDate: '2025-04-02',
            patient,
            doctor: { fee: 7000, name: 'thomas collins' },
          }),
        );
      });
    });
    cleanup.push(() => backend.close());
    const front = await startFront(backend.url);
    cleanup.push(() => front.engine.stop());
    const client = await soap.createClientAsync(`${front.url}?wsdl`);
    const [result] = await client.reserveAsync(reserveArgs);
    expect(received).toEqual([
      {
        path: '/grandoaks/categories/surgery/reserve',
        contentType: 'application/json',
        body: {
          patient,
          doctor: 'thomas collins',
          hospital_id: 'grandoaks',
          hospital: 'grand oak community hospital',
          appointment_date: '2025-04-02',
        },
      },
    ]);
    // The reply's fields come back in the schema's order, whatever order the backend used.
    expect(result).toMatchObject({
      appointmentNumber: 41,
      doctor: { name: 'thomas collins', fee: 7000 },
      fee: 7000,
    });
  });
});

describe('T7 in the healthcare integration', () => {
  it('is served by createHealthcareIntegration beside the REST routes', async () => {
    const hospital = await startHospitalBackend();
    const { engine, server } = createHealthcareIntegration({
      hospitalUrl: hospital.url,
      port: 0,
      logger: silentLogger,
    });
    try {
      await engine.start();
      const client = await soap.createClientAsync(`${server.url}${HEALTHCARE_SERVICE_PATH}?wsdl`);
      const [result] = await client.reserveAsync(reserveArgs);
      expect(result).toMatchObject({ hospital: 'grand oak community hospital', fee: 7000, confirmed: false });
    } finally {
      await engine.stop();
      await hospital.close();
    }
  });
});
