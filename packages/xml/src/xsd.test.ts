import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { parseXml } from './parse-xml.js';
import { assertValid, compileXsd } from './xsd.js';

const xsd = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:shop" xmlns="urn:shop" elementFormDefault="qualified">
  <xs:element name="order">
    <xs:complexType>
      <xs:sequence><xs:element name="line" type="xs:string" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="id" type="xs:positiveInteger" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>`;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('compileXsd', () => {
  it('accepts a valid document given as text, bytes or a parsed tree', async () => {
    using schema = await compileXsd(xsd);
    const valid = '<order xmlns="urn:shop" id="7"><line>pen</line></order>';
    expect(schema.validate(valid)).toEqual({ valid: true });
    expect(schema.validate(new TextEncoder().encode(valid))).toEqual({ valid: true });
    expect(schema.validate(parseXml(valid))).toEqual({ valid: true });
  });

  it('lists what is invalid with line numbers', async () => {
    using schema = await compileXsd(xsd);
    const result = schema.validate('<order xmlns="urn:shop" id="x">\n<item/>\n</order>');
    expect(result.valid).toBe(false);
    if (result.valid) return;
    expect(result.errors.length).toBeGreaterThanOrEqual(2);
    expect(result.errors.map((e) => e.line)).toEqual(expect.arrayContaining([1, 2]));
    expect(result.errors.some((e) => e.message.includes('positiveInteger'))).toBe(true);
  });

  it('throws MEDIARY_XML_INVALID from assertValid', async () => {
    using schema = await compileXsd(xsd);
    expect(() => assertValid(schema, '<order xmlns="urn:shop" id="1"><line>a</line></order>')).not.toThrow();
    try {
      assertValid(schema, '<order xmlns="urn:shop"/>');
      expect.unreachable();
    } catch (error) {
      expect(xmlErrors.INVALID.is(error)).toBe(true);
      expect((error as { status: number }).status).toBe(400);
    }
  });

  it('refuses unsafe documents before libxml2 sees them', async () => {
    using schema = await compileXsd(xsd);
    const xxe =
      '<!DOCTYPE order [<!ENTITY x SYSTEM "file:///etc/passwd">]><order xmlns="urn:shop" id="1"><line>&x;</line></order>';
    expect(() => schema.validate(xxe)).toThrow(
      expect.objectContaining({ code: 'MEDIARY_XML_DOCTYPE_FORBIDDEN' }),
    );
  });

  it('refuses a schema that refers to other schema files', async () => {
    const including =
      '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="file:///etc/passwd"/></xs:schema>';
    expect(xmlErrors.SCHEMA_INVALID.is(await rejectionOf(compileXsd(including)))).toBe(true);
  });

  it('reports a schema libxml2 cannot compile', async () => {
    const broken =
      '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a" type="nope"/></xs:schema>';
    expect(xmlErrors.SCHEMA_INVALID.is(await rejectionOf(compileXsd(broken)))).toBe(true);
  });

  it('refuses to validate after dispose', async () => {
    const schema = await compileXsd(xsd);
    schema.dispose();
    schema.dispose();
    expect(() => schema.validate('<order xmlns="urn:shop" id="1"/>')).toThrow(/disposed/);
  });
});
