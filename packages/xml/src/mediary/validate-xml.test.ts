import { setVar } from '@mediary/core';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { validateXml } from './validate-xml.js';

const xsd = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:shop"
  xmlns="urn:shop" elementFormDefault="qualified">
  <xs:element name="order">
    <xs:complexType><xs:sequence>
      <xs:element name="id" type="xs:int"/>
      <xs:element name="note" type="xs:string" minOccurs="0"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>`;

const xml = (body: string) => ({ body, contentType: 'application/xml' });

describe('the validateXml step', () => {
  it('lets a valid body through unchanged', async () => {
    await using h = await createHarness();
    const body = '<order xmlns="urn:shop"><id>7</id></order>';
    const result = await h.send([validateXml(xsd), setVar('after', true)], xml(body));
    expect(result.ok).toBe(true);
    expect(result.context.vars.after).toBe(true);
    expect(await result.message.text()).toBe(body);
  });

  it('fails an invalid body with 400, the line and the reason in the message', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [validateXml(xsd)],
      xml('<order xmlns="urn:shop">\n  <id>seven</id>\n</order>'),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'MEDIARY_XML_INVALID', status: 400, details: { line: 2 } });
    expect(result.error.message).toMatch(/^The XML is not valid against its schema: line 2: .*'seven'.*int/);
  });

  it('compiles the schema once and reuses it for every message', async () => {
    await using h = await createHarness();
    const step = validateXml(xsd);
    for (let i = 0; i < 3; i++) {
      const result = await h.send([step], xml(`<order xmlns="urn:shop"><id>${i}</id></order>`));
      expect(result.ok).toBe(true);
    }
    const bad = await h.send([step], xml('<order xmlns="urn:shop"><note>x</note></order>'));
    expect(!bad.ok && bad.error.code).toBe('MEDIARY_XML_INVALID');
  });

  it('reports malformed XML before asking the schema', async () => {
    await using h = await createHarness();
    const result = await h.send([validateXml(xsd)], xml('<order xmlns="urn:shop">'));
    expect(!result.ok && result.error.code).toBe('MEDIARY_XML_MALFORMED');
  });

  it('fails every message with 500 when the schema itself is broken', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [validateXml('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:bogus/></xs:schema>')],
      xml('<a/>'),
    );
    expect(!result.ok && result.error).toMatchObject({ code: 'MEDIARY_XML_SCHEMA_INVALID', status: 500 });
  });
});
