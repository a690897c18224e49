import { createMessage, DEFAULT_MESSAGE_LIMITS } from '@mediary/core';
import { describe, expect, it } from 'vitest';
import { readXml, xmlView } from './xml-view.js';

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; status: number };
  }
  throw new Error('expected a rejection');
}

describe('the XML body view', () => {
  it('parses a body once and shares the document with every reader and clone', async () => {
    const message = createMessage({ body: '<order id="7"/>', contentType: 'application/xml' });
    const first = await readXml(message);
    expect(first.root.localName).toBe('order');
    expect(await readXml(message)).toBe(first);
    expect(await message.clone().view(xmlView)).toBe(first);
  });

  it('parses again after the body is replaced', async () => {
    const message = createMessage({ body: '<a/>', contentType: 'text/xml' });
    await readXml(message);
    message.setText('<b/>', 'application/xml');
    expect((await readXml(message)).root.localName).toBe('b');
  });

  it('refuses a JSON body with 415 instead of misreading it', async () => {
    const error = await rejection(readXml(createMessage({ json: { a: 1 } })));
    expect(error).toMatchObject({ code: 'MEDIARY_CONTENT_TYPE_UNSUPPORTED', status: 415 });
  });

  it('applies the message size limit and the parser safety rules', async () => {
    const limits = { ...DEFAULT_MESSAGE_LIMITS, maxBodyBytes: 20 };
    const big = createMessage({ body: `<a>${'x'.repeat(50)}</a>`, contentType: 'application/xml', limits });
    expect(await rejection(readXml(big))).toMatchObject({ code: 'MEDIARY_XML_TOO_LARGE', status: 413 });
    const xxe = createMessage({
      body: '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
      contentType: 'application/xml',
    });
    expect(await rejection(readXml(xxe))).toMatchObject({
      code: 'MEDIARY_XML_DOCTYPE_FORBIDDEN',
      status: 400,
    });
  });

  it('does not cache a failed parse', async () => {
    const message = createMessage({ body: '<a>', contentType: 'application/xml' });
    const first = await rejection(readXml(message));
    const second = await rejection(readXml(message));
    expect(first.code).toBe('MEDIARY_XML_MALFORMED');
    expect(second).not.toBe(first);
  });
});
