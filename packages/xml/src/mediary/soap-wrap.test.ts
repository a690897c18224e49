import { createMessage, setHeader, setVar } from '@mediary/core';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { serializeXml } from '../serialize-xml.js';
import { parseEnvelope, SOAP11_NAMESPACE, SOAP12_NAMESPACE } from '../soap.js';
import { soapUnwrap } from './soap-unwrap.js';
import { soapWrap } from './soap-wrap.js';

describe('the soapWrap step', () => {
  it('wraps an XML body in a SOAP 1.1 envelope with text/xml and SOAPAction', async () => {
    await using h = await createHarness();
    const result = await h.send([soapWrap({ version: '1.1', action: 'urn:getQuote' })], {
      body: '<?xml version="1.0"?><getQuote xmlns="urn:quotes"><symbol>ACME</symbol></getQuote>',
      contentType: 'application/xml',
    });
    expect(result.message.contentType).toBe('text/xml; charset=utf-8');
    expect(result.message.headers.get('soapaction')).toBe('"urn:getQuote"');
    const envelope = parseEnvelope(await result.message.text());
    expect(envelope.version).toBe('1.1');
    expect(envelope.document.root.namespace).toBe(SOAP11_NAMESPACE);
    expect(serializeXml(envelope.body!)).toBe(
      '<getQuote xmlns="urn:quotes"><symbol>ACME</symbol></getQuote>',
    );
  });

  it('wraps a JSON body as plain XML in a SOAP 1.2 envelope with the action in the content type', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        soapWrap({
          version: '1.2',
          action: (ctx) => `urn:${String(ctx.vars.op)}`,
          json: { namespace: 'urn:quotes' },
        }),
      ],
      { json: { getQuote: { symbol: 'ACME', legs: [1, 2] } } },
      { vars: { op: 'getQuote' } },
    );
    expect(result.message.contentType).toBe('application/soap+xml; charset=utf-8; action="urn:getQuote"');
    expect(result.message.headers.has('soapaction')).toBe(false);
    const envelope = parseEnvelope(await result.message.text());
    expect(envelope.document.root.namespace).toBe(SOAP12_NAMESPACE);
    expect(serializeXml(envelope.body!)).toBe(
      '<getQuote xmlns="urn:quotes"><symbol>ACME</symbol><legs>1</legs><legs>2</legs></getQuote>',
    );
  });

  it('sends an empty SOAPAction on a 1.1 request without an action, but not on a reply', async () => {
    await using h = await createHarness();
    const request = await h.send([soapWrap({ version: '1.1' })], { json: { ping: {} } });
    expect(request.message.headers.get('soapaction')).toBe('""');
    const reply = await h.send(
      [setHeader('soapaction', '"stale"'), soapWrap({ version: '1.1' })],
      createMessage({ json: { pong: {} }, status: 200 }),
    );
    expect(reply.message.headers.has('soapaction')).toBe(false);
  });

  it('adds header blocks and wraps an empty body as an empty Body', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        soapWrap({
          version: '1.2',
          headers: (ctx) => `<auth xmlns="urn:sec">${String(ctx.vars.token)}</auth>`,
        }),
      ],
      {},
      { vars: { token: 't-1' } },
    );
    const envelope = parseEnvelope(await result.message.text());
    expect(envelope.body).toBeUndefined();
    expect(envelope.headers.map((e) => serializeXml(e))).toEqual(['<auth xmlns="urn:sec">t-1</auth>']);
  });

  it('round-trips with soapUnwrap for both versions', async () => {
    await using h = await createHarness();
    for (const version of ['1.1', '1.2'] as const) {
      const result = await h.send(
        [
          soapWrap({ version, json: { namespace: 'urn:q' } }),
          setVar('wrapped', (ctx) => ctx.message.text()),
          soapUnwrap({ into: 'json' }),
        ],
        { json: { order: { id: '7', lines: { line: ['a'] } } } },
      );
      expect(result.context.vars.soapVersion).toBe(version);
      expect(await result.message.json()).toEqual({ id: '7', lines: { line: 'a' } });
    }
  });

  it('refuses a body that is neither JSON nor XML', async () => {
    await using h = await createHarness();
    const result = await h.send([soapWrap({ version: '1.1' })], { body: 'hello', contentType: 'text/plain' });
    expect(!result.ok && result.error).toMatchObject({ code: 'MEDIARY_XML_MALFORMED', status: 400 });
  });
});
