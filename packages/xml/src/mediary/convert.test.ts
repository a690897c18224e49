import { setBody } from '@mediary/core';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { jsonToXml, xmlToJson } from './convert.js';

describe('the jsonToXml and xmlToJson steps', () => {
  it('round-trip a JSON body through XML in typed mode, one-element and empty arrays included', async () => {
    await using h = await createHarness();
    const body = { tags: ['only'], none: [], nested: [[1]], n: 1.5, ok: true, nothing: null, s: '007' };
    const result = await h.send([jsonToXml(), setBody(async (ctx) => ctx.message.text()), xmlToJson()], {
      json: body,
    });
    expect(result.ok).toBe(true);
    expect(result.message.contentType).toBe('application/json');
    expect(await result.message.json()).toEqual(body);
  });

  it('sets an XML content type and writes the typed markers', async () => {
    await using h = await createHarness();
    const result = await h.send([jsonToXml({ root: 'order' })], { json: { lines: [{ sku: 'a' }] } });
    expect(result.message.contentType).toBe('application/xml; charset=utf-8');
    const xml = await result.message.text();
    expect(xml).toContain('<order xmlns:m="urn:mediary:json">');
    expect(xml).toContain('<lines m:type="array"><item><sku>a</sku></item></lines>');
  });

  it('writes clean XML in plain mode, with a namespace and a chosen content type', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [jsonToXml({ mode: 'plain', root: 'order', namespace: 'urn:shop', contentType: 'text/xml' })],
      { json: { id: 7, tags: ['a', 'b'] } },
    );
    expect(result.message.contentType).toBe('text/xml');
    expect(await result.message.text()).toBe(
      '<order xmlns="urn:shop"><id>7</id><tags>a</tags><tags>b</tags></order>',
    );
  });

  it('refuses a plain-mode body that would have several roots', async () => {
    await using h = await createHarness();
    const result = await h.send([jsonToXml({ mode: 'plain' })], { json: { a: 1, b: 2 } });
    expect(!result.ok && result.error).toMatchObject({ code: 'MEDIARY_XML_CONVERSION', status: 400 });
    const single = await h.send([jsonToXml({ mode: 'plain' })], { json: { a: { b: 2 } } });
    expect(await single.message.text()).toBe('<a><b>2</b></a>');
  });

  it('reads XML from others in plain mode with array hints and inferred types', async () => {
    await using h = await createHarness();
    const result = await h.send([xmlToJson({ mode: 'plain', arrays: ['item'], inferTypes: true })], {
      body: '<list><item><n>1</n><ok>true</ok></item></list>',
      contentType: 'text/xml',
    });
    expect(await result.message.json()).toEqual({ item: [{ n: 1, ok: true }] });
  });

  it('never converts implicitly: reading an XML body as JSON fails until a step converts it', async () => {
    await using h = await createHarness();
    const input = { body: '<a><b>1</b></a>', contentType: 'application/xml' };
    const direct = await h.send([setBody(async (ctx) => ctx.message.json())], input);
    expect(!direct.ok && direct.error.code).toBe('MEDIARY_CONTENT_TYPE_UNSUPPORTED');
    const converted = await h.send(
      [xmlToJson({ mode: 'plain' }), setBody(async (ctx) => ctx.message.json())],
      input,
    );
    expect(await converted.message.json()).toEqual({ b: '1' });
  });

  it('fails with 400 on a body that is not the format it converts from', async () => {
    await using h = await createHarness();
    const notXml = await h.send([xmlToJson()], { body: '<a>', contentType: 'application/xml' });
    expect(!notXml.ok && notXml.error).toMatchObject({ code: 'MEDIARY_XML_MALFORMED', status: 400 });
    const notJson = await h.send([jsonToXml()], { body: '{', contentType: 'application/json' });
    expect(!notJson.ok && notJson.error).toMatchObject({ code: 'MEDIARY_JSON_MALFORMED', status: 400 });
  });
});
