import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { convertJsonToXml, convertXmlToJson, type JsonValue } from './json-xml.js';
import { parseXml } from './parse-xml.js';

/** Characters chosen to hit every escaping rule: XML-invalid controls, lone surrogates, the escape itself. */
const awkwardChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom(
    '_',
    'x',
    '_x',
    '_x0041_',
    '\u0000',
    '\u0001',
    '\r',
    '\n',
    '\t',
    ' ',
    '@',
    '#',
    ':',
    '-',
    '1',
    '\uFFFE',
  ),
);
const text = fc.string({ unit: awkwardChar, maxLength: 12 });
const key = fc.oneof(
  text,
  fc.constantFrom(
    '',
    '__proto__',
    'constructor',
    'toString',
    '1a',
    'a b',
    'a:b',
    'xmlns',
    '@xmlns',
    '@',
    '#text',
    '@id',
    'item',
  ),
);

const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    text,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(key, tie('json'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));

/**
 * JSON deep equality that also tells -0 from 0 and treats own `constructor`/`__proto__` keys as data
 * (vitest's toStrictEqual reads `constructor` to compare types, which such keys confuse).
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (k) =>
      Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function expectSameJson(actual: unknown, expected: unknown): void {
  if (!sameJson(actual, expected)) expect(actual).toStrictEqual(expected); // fails with a readable diff
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('convertJsonToXml / convertXmlToJson in typed mode', () => {
  it('round-trips every JSON value: arrays of any length, numbers, booleans, nulls, any string, any key', () => {
    fc.assert(
      fc.property(json, (value) => {
        const xml = convertJsonToXml(value);
        expectSameJson(convertXmlToJson(xml), value);
        // The text is real XML that the safe parser accepts.
        parseXml(xml);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps zero- and one-element arrays as arrays', () => {
    const value = { none: [], one: ['a'], nested: [[]], objects: [{}] };
    expect(convertXmlToJson(convertJsonToXml(value))).toStrictEqual(value);
    expect(convertJsonToXml({ one: ['a'] })).toBe(
      '<root xmlns:m="urn:mediary:json"><one m:type="array"><item>a</item></one></root>',
    );
  });

  it('keeps number, boolean and null types, and -0', () => {
    const value = { n: 1.5, i: -3, z: -0, big: 1e300, t: true, f: false, nothing: null, s: '1' };
    const back = convertXmlToJson(convertJsonToXml(value)) as Record<string, unknown>;
    expectSameJson(back, value);
    expect(Object.is(back.z, -0)).toBe(true);
  });

  it('writes strings without markers, attributes from "@" keys and text from "#text"', () => {
    expect(convertJsonToXml({ order: { '@id': '7', '#text': 'pen', note: 'x' } }, { root: 'doc' })).toBe(
      '<doc><order id="7">pen<note>x</note></order></doc>',
    );
  });

  it('escapes keys that are not XML names reversibly, including the escape character', () => {
    const value = { 'first name': 'a', '1st': 'b', 'a:b': 'c', '': 'd', _x0041_: 'e', '@xmlns': 'f' };
    const xml = convertJsonToXml(value);
    expect(xml).toContain('<first_x0020_name>');
    expect(xml).toContain('<_x0031_st>');
    expect(xml).toContain('<a_x003A_b>');
    expect(xml).toContain('<_x_>');
    expect(xml).toContain('<_x005F_x0041_>');
    expect(xml).toContain(' _x0078_mlns="f"');
    expect(convertXmlToJson(xml)).toStrictEqual(value);
  });

  it('escapes strings with characters XML 1.0 cannot carry and marks them', () => {
    const value = { s: 'bell\u0007 and _x', lone: '\uD800' };
    const xml = convertJsonToXml(value);
    expect(xml).toContain('<s m:type="escaped">bell_x0007_ and _x005F_x</s>');
    expect(convertXmlToJson(xml)).toStrictEqual(value);
  });

  it('treats __proto__ as data and never touches a prototype', () => {
    const value = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}',
    ) as object;
    const back = convertXmlToJson(convertJsonToXml(value)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectSameJson(back, value);
  });

  it('refuses values JSON cannot carry', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, () => 1, new Date(0), 10n, [undefined]]) {
      expect(xmlErrors.CONVERSION.is(errorOf(() => convertJsonToXml(value)))).toBe(true);
    }
  });

  it('refuses values nested deeper than maxDepth, which also stops cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(xmlErrors.TOO_DEEP.is(errorOf(() => convertJsonToXml(cyclic)))).toBe(true);
    expect(() => convertJsonToXml({ a: { b: 1 } }, { maxDepth: 3 })).not.toThrow();
    expect(xmlErrors.TOO_DEEP.is(errorOf(() => convertJsonToXml({ a: { b: 1 } }, { maxDepth: 2 })))).toBe(
      true,
    );
  });

  it('reports a marker that does not fit its content', () => {
    const xml = '<root xmlns:m="urn:mediary:json" m:type="number">abc</root>';
    expect(xmlErrors.CONVERSION.is(errorOf(() => convertXmlToJson(xml)))).toBe(true);
  });

  it('puts elements in the requested default namespace and still reads them back', () => {
    const xml = convertJsonToXml({ a: [1] }, { root: 'r', namespace: 'urn:r' });
    expect(parseXml(xml).root.namespace).toBe('urn:r');
    expect(convertXmlToJson(xml)).toStrictEqual({ a: [1] });
  });
});

describe('convertJsonToXml in plain mode', () => {
  it('writes a SOAP-ready fragment without markers when no root is given', () => {
    const xml = convertJsonToXml(
      { appointmentNumber: 1, doctor: { name: 'Ann', '@id': 'd1' }, paid: true, tags: ['a', 'b'], empty: [] },
      { mode: 'plain' },
    );
    expect(xml).toBe(
      '<appointmentNumber>1</appointmentNumber><doctor id="d1"><name>Ann</name></doctor><paid>true</paid><tags>a</tags><tags>b</tags>',
    );
  });

  it('declares namespaces and keeps keys that use a declared prefix', () => {
    const xml = convertJsonToXml(
      { 'h:reserve': { 'h:patient': 'Bo', other: 'x' } },
      { mode: 'plain', namespaces: { h: 'urn:hospital' } },
    );
    expect(xml).toBe(
      '<h:reserve xmlns:h="urn:hospital"><h:patient>Bo</h:patient><other>x</other></h:reserve>',
    );
  });

  it('writes null as xsi:nil and nested arrays as <item> elements', () => {
    const xml = convertJsonToXml({ a: null, m: [[1, 2]] }, { mode: 'plain', root: 'r' });
    expect(xml).toBe(
      '<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><a xsi:nil="true"/><m><item>1</item><item>2</item></m></r>',
    );
  });

  it('refuses a fragment that is not an object', () => {
    expect(xmlErrors.CONVERSION.is(errorOf(() => convertJsonToXml([1], { mode: 'plain' })))).toBe(true);
  });
});

describe('convertXmlToJson in plain mode', () => {
  const xml =
    '<r xmlns:p="urn:p" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="9">' +
    '<line>1</line><line>2</line><single>007</single><p:flag>true</p:flag><none xsi:nil="true"/>' +
    '<mixed a="1">text<b/></mixed><empty/></r>';

  it('turns repeated elements into arrays and single ones into values', () => {
    expect(convertXmlToJson(xml, { mode: 'plain' })).toStrictEqual({
      '@id': '9',
      line: ['1', '2'],
      single: '007',
      'p:flag': 'true',
      none: null,
      mixed: { '@a': '1', b: '', '#text': 'text' },
      empty: '',
    });
  });

  it('makes hinted paths arrays even with one element', () => {
    const value = convertXmlToJson('<r><o><line>1</line></o><o><line>2</line><line>3</line></o></r>', {
      mode: 'plain',
      arrays: ['o', 'o.line'],
    });
    expect(value).toStrictEqual({ o: [{ line: ['1'] }, { line: ['2', '3'] }] });
    expect(
      convertXmlToJson('<r><x><y>1</y></x></r>', { mode: 'plain', arrays: (path) => path.at(-1) === 'y' }),
    ).toStrictEqual({ x: { y: ['1'] } });
  });

  it('infers canonical numbers and booleans only when asked', () => {
    const value = convertXmlToJson(xml, { mode: 'plain', inferTypes: true, stripPrefixes: true }) as Record<
      string,
      unknown
    >;
    expect(value.line).toEqual([1, 2]);
    expect(value.single).toBe('007');
    expect(value.flag).toBe(true);
    expect(value['@id']).toBe(9);
  });

  it('can keep the root element name', () => {
    expect(convertXmlToJson('<a><b>1</b></a>', { mode: 'plain', includeRoot: true })).toStrictEqual({
      a: { b: '1' },
    });
  });

  it('reads an element named __proto__ as data', () => {
    const value = convertXmlToJson('<r><__proto__><polluted>yes</polluted></__proto__></r>', {
      mode: 'plain',
    });
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
