import { coreErrors, sequence, throwError } from '@mediary/core';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { xmlErrors } from '../errors.js';
import { MEDIARY_FAULT_NAMESPACE, parseEnvelope, type SoapVersion } from '../soap.js';
import { childElements, textContent } from '../xml-tree.js';
import { soapFaultReply } from './soap-fault-reply.js';
import { soapUnwrap } from './soap-unwrap.js';

async function faultFor(error: unknown, version?: SoapVersion) {
  await using h = await createHarness();
  const fail = () => {
    throw error;
  };
  const result = await h.send([
    sequence([fail], { onError: [soapFaultReply(version === undefined ? {} : { version })] }),
  ]);
  expect(result.ok && result.outcome).toBe('respond');
  const envelope = parseEnvelope(await result.message.text());
  const detail = envelope.fault?.detail;
  const code = detail && childElements(detail, 'code', MEDIARY_FAULT_NAMESPACE)[0];
  return { result, envelope, fault: envelope.fault!, code: code && textContent(code) };
}

describe('the soapFaultReply step', () => {
  it('answers a client error with a SOAP 1.1 soap:Client fault, HTTP 500 and the code in the detail', async () => {
    const { result, envelope, fault, code } = await faultFor(
      xmlErrors.INVALID({ reason: 'line 3: bad' }),
      '1.1',
    );
    expect(result.message.status).toBe(500);
    expect(result.message.contentType).toBe('text/xml; charset=utf-8');
    expect(envelope.version).toBe('1.1');
    expect(fault).toMatchObject({
      code: 'Client',
      reason: 'The XML is not valid against its schema: line 3: bad',
    });
    expect(code).toBe('MEDIARY_XML_INVALID');
    expect(await result.message.text()).toContain('<faultcode>soap:Client</faultcode>');
  });

  it('answers a backend failure with soap:Server', async () => {
    const { fault, code } = await faultFor(
      coreErrors.ENDPOINT_FAILED({ endpoint: 'quotes', reason: 'refused' }),
      '1.1',
    );
    expect(fault.code).toBe('Server');
    expect(fault.reason).toBe('Endpoint quotes failed: refused');
    expect(code).toBe('MEDIARY_ENDPOINT_FAILED');
  });

  it('answers in SOAP 1.2 with Sender and Receiver', async () => {
    const sender = await faultFor(xmlErrors.SOAP_MALFORMED({ reason: 'no Body' }), '1.2');
    expect(sender.envelope.version).toBe('1.2');
    expect(sender.result.message.contentType).toBe('application/soap+xml; charset=utf-8');
    expect(sender.fault.code).toBe('Sender');
    expect(sender.code).toBe('MEDIARY_SOAP_MALFORMED');
    const receiver = await faultFor(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'q', timeoutMs: 5 }), '1.2');
    expect(receiver.fault.code).toBe('Receiver');
    expect(receiver.result.message.status).toBe(500);
  });

  it('hides the message of an internal error, as HTTP error replies do', async () => {
    const { fault, code } = await faultFor(new Error('secret connection string'), '1.1');
    expect(fault).toMatchObject({ code: 'Server', reason: coreErrors.INTERNAL.message });
    expect(code).toBe('MEDIARY_INTERNAL');
  });

  it('answers in the version soapUnwrap saw when none is given', async () => {
    await using h = await createHarness();
    const route = sequence([soapUnwrap(), throwError(xmlErrors.CONVERSION, { reason: 'x' })], {
      onError: [soapFaultReply()],
    });
    const body =
      '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><a/></e:Body></e:Envelope>';
    const result = await h.send([route], { body, contentType: 'application/soap+xml' });
    const envelope = parseEnvelope(await result.message.text());
    expect(envelope).toMatchObject({ version: '1.2', fault: { code: 'Sender' } });
  });

  it('replaces the message, so no header of a backend reply leaks into the fault', async () => {
    await using h = await createHarness();
    const route = sequence(
      [
        (ctx) => {
          ctx.message.headers.set('x-backend-secret', '1');
          throw coreErrors.ENDPOINT_FAILED({ endpoint: 'q', reason: 'x' });
        },
      ],
      { onError: [soapFaultReply({ version: '1.1' })] },
    );
    const result = await h.send([route]);
    expect(result.message.headers.has('x-backend-secret')).toBe(false);
  });
});
