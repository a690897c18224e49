import { createMessage, respond, sequence, setVar } from '@mediary/core';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, buildFault, SOAP11_NAMESPACE, SOAP12_NAMESPACE, SoapFaultError } from '../soap.js';
import { soapUnwrap } from './soap-unwrap.js';

const request11 = `<?xml version="1.0"?>
<soapenv:Envelope xmlns:soapenv="${SOAP11_NAMESPACE}" xmlns:q="urn:quotes" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Header><q:auth>token</q:auth></soapenv:Header>
  <soapenv:Body>
    <q:getQuote><q:symbol xsi:type="q:Symbol">ACME</q:symbol><q:count>2</q:count></q:getQuote>
  </soapenv:Body>
</soapenv:Envelope>`;

const request12 = buildEnvelope({
  version: '1.2',
  body: '<getQuote xmlns="urn:quotes"><symbol>ACME</symbol><legs><leg>1</leg></legs></getQuote>',
});

describe('the soapUnwrap step', () => {
  it('makes the SOAP 1.1 body element the XML body, keeping the namespaces its content uses', async () => {
    await using h = await createHarness();
    const result = await h.send([soapUnwrap()], {
      body: request11,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:getQuote"' },
    });
    expect(result.ok).toBe(true);
    expect(result.message.contentType).toBe('application/xml; charset=utf-8');
    const xml = await result.message.text();
    expect(xml).toMatch(/^<q:getQuote [^>]*xmlns:q="urn:quotes"/);
    expect(xml).toContain('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"');
    expect(xml).not.toContain(SOAP11_NAMESPACE);
    expect(xml).toContain('<q:symbol xsi:type="q:Symbol">ACME</q:symbol>');
    expect(result.message.headers.has('soapaction')).toBe(false);
    expect(result.context.vars).toMatchObject({ soapAction: 'urn:getQuote', soapVersion: '1.1' });
    expect(result.context.vars.soapHeaders).toMatchObject([{ localName: 'auth', namespace: 'urn:quotes' }]);
  });

  it('turns the body content into JSON in plain mode, prefixes stripped', async () => {
    await using h = await createHarness();
    const result = await h.send([soapUnwrap({ into: 'json', json: { inferTypes: true } })], {
      body: request11,
      contentType: 'text/xml',
    });
    expect(result.message.contentType).toBe('application/json');
    expect(await result.message.json()).toEqual({
      symbol: { '@type': 'q:Symbol', '#text': 'ACME' },
      count: 2,
    });
  });

  it('reads SOAP 1.2 with the action from the content type, and honours array hints', async () => {
    await using h = await createHarness();
    const result = await h.send([soapUnwrap({ into: 'json', json: { arrays: ['legs.leg'] } })], {
      body: request12,
      contentType: 'application/soap+xml; charset=utf-8; action="urn:getQuote"',
    });
    expect(await result.message.json()).toEqual({ symbol: 'ACME', legs: { leg: ['1'] } });
    expect(result.context.vars).toMatchObject({
      soapAction: 'urn:getQuote',
      soapVersion: '1.2',
      soapHeaders: [],
    });
  });

  it('throws a SoapFaultError for a fault, which the error handler sees', async () => {
    await using h = await createHarness();
    const fault = buildFault({ version: '1.1', code: 'Server', message: 'Quote service down' });
    const result = await h.send(
      [
        sequence([soapUnwrap()], {
          onError: [
            setVar('seen', (ctx) => ctx.error?.code),
            setVar('reason', (ctx) => (ctx.error as SoapFaultError).fault.reason),
          ],
        }),
      ],
      createMessage({ body: fault, contentType: 'text/xml', status: 500 }),
    );
    expect(!result.ok && result.error).toBeInstanceOf(SoapFaultError);
    expect(!result.ok && result.error).toMatchObject({
      code: 'MEDIARY_SOAP_FAULT',
      status: 502,
      version: '1.1',
    });
    expect(result.context.vars).toMatchObject({ seen: 'MEDIARY_SOAP_FAULT', reason: 'Quote service down' });
  });

  it('blames the client (400) for a request that is not an envelope', async () => {
    await using h = await createHarness();
    const notSoap = await h.send([soapUnwrap()], { body: '<getQuote/>', contentType: 'text/xml' });
    expect(!notSoap.ok && notSoap.error).toMatchObject({ code: 'MEDIARY_SOAP_MALFORMED', status: 400 });
    const broken = await h.send([soapUnwrap()], { body: '<soap:Envelope', contentType: 'text/xml' });
    expect(!broken.ok && broken.error).toMatchObject({ code: 'MEDIARY_XML_MALFORMED', status: 400 });
    const empty = await h.send([soapUnwrap()], {
      body: `<s:Envelope xmlns:s="${SOAP11_NAMESPACE}"><s:Body/></s:Envelope>`,
      contentType: 'text/xml',
    });
    expect(!empty.ok && empty.error).toMatchObject({ code: 'MEDIARY_SOAP_MALFORMED', status: 400 });
  });

  it('blames the backend (502) for a reply that is not a usable envelope', async () => {
    await using h = await createHarness();
    const send = (body: string, status: number, contentType = 'text/html') =>
      h.send([soapUnwrap()], createMessage({ body, contentType, status }));
    const html = await send('<html><body>Bad gateway', 502);
    expect(!html.ok && html.error).toMatchObject({ code: 'MEDIARY_SOAP_BAD_REPLY', status: 502 });
    const json = await send('{"error":1}', 200, 'application/json');
    expect(!json.ok && json.error).toMatchObject({ code: 'MEDIARY_SOAP_BAD_REPLY', status: 502 });
    const noFault = await send(buildEnvelope({ version: '1.2', body: '<ok/>' }), 500, 'application/soap+xml');
    expect(!noFault.ok && noFault.error).toMatchObject({ code: 'MEDIARY_SOAP_BAD_REPLY', status: 502 });
  });

  it('leaves the body empty for a one-way reply: no content, or an empty Body', async () => {
    await using h = await createHarness();
    const accepted = await h.send([soapUnwrap()], createMessage({ status: 202, contentType: 'text/xml' }));
    expect(accepted.ok).toBe(true);
    expect(accepted.message.isEmpty).toBe(true);
    const emptyBody = await h.send(
      [soapUnwrap({ into: 'json' })],
      createMessage({ body: buildEnvelope({ version: '1.1' }), contentType: 'text/xml', status: 200 }),
    );
    expect(emptyBody.ok).toBe(true);
    expect(emptyBody.message.isEmpty).toBe(true);
    expect(emptyBody.context.vars.soapVersion).toBe('1.1');
  });

  it('refuses a body element that is not one of the listed operations', async () => {
    await using h = await createHarness();
    const steps = [soapUnwrap({ operations: ['{urn:quotes}getQuote', 'ping'] }), respond()];
    const known = await h.send(steps, { body: request11, contentType: 'text/xml' });
    expect(known.ok).toBe(true);
    const other = await h.send(steps, {
      body: buildEnvelope({ version: '1.1', body: '<getQuote xmlns="urn:other"/>' }),
      contentType: 'text/xml',
    });
    expect(!other.ok && other.error).toMatchObject({ code: 'MEDIARY_SOAP_UNKNOWN_OPERATION', status: 400 });
    expect(!other.ok && other.error.message).toContain('{urn:other}getQuote');
  });

  it('also unwraps SOAP 1.2 envelopes declared with a default namespace', async () => {
    await using h = await createHarness();
    const body = `<Envelope xmlns="${SOAP12_NAMESPACE}"><Body><ping xmlns="urn:p"/></Body></Envelope>`;
    const result = await h.send([soapUnwrap()], { body, contentType: 'application/soap+xml' });
    expect(await result.message.text()).toBe('<ping xmlns="urn:p"/>');
  });
});
