import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xmlErrors } from '../errors.js';
import { convertJsonToXml, type JsonToXmlOptions } from '../json-xml.js';
import { serializeXml } from '../serialize-xml.js';
import { XMLNS_NAMESPACE, type XmlAttribute, type XmlElement, type XmlNode } from '../xml-tree.js';
import { isQName } from './chars.js';
import { encodeName, needsTextEscape } from './name-codec.js';

// ---------------------------------------------------------------------------------------------------
// The oracle: plain mode as it was before the direct writer — an XmlElement tree written by serializeXml.
// Kept verbatim (only gathered here), so the writer is held to the exact text and errors it replaced.

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

function oracleConversionError(message: string, path: string) {
  return xmlErrors.CONVERSION(
    { reason: `${message} at ${path === '' ? 'the root' : path}` },
    { details: { path } },
  );
}

function oracleTooDeep(maxDepth: number, path: string) {
  return xmlErrors.TOO_DEEP(
    { reason: `the value nests deeper than ${maxDepth} levels at ${path}` },
    { details: { path } },
  );
}

function splitName(name: string): { prefix: string; localName: string } {
  const colon = name.indexOf(':');
  return colon === -1
    ? { prefix: '', localName: name }
    : { prefix: name.slice(0, colon), localName: name.slice(colon + 1) };
}

function element(
  name: string,
  namespace: string,
  attributes: readonly XmlAttribute[],
  children: readonly XmlNode[],
): XmlElement {
  return { type: 'element', name, ...splitName(name), namespace, attributes, children };
}

function attribute(name: string, namespace: string, value: string): XmlAttribute {
  return { type: 'attribute', name, ...splitName(name), namespace, value };
}

function declaration(prefix: string, uri: string): XmlAttribute {
  return prefix === ''
    ? {
        type: 'attribute',
        name: 'xmlns',
        prefix: '',
        localName: 'xmlns',
        namespace: XMLNS_NAMESPACE,
        value: uri,
      }
    : {
        type: 'attribute',
        name: `xmlns:${prefix}`,
        prefix: 'xmlns',
        localName: prefix,
        namespace: XMLNS_NAMESPACE,
        value: uri,
      };
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

type ValuePath = { readonly parent: ValuePath; readonly step: string | number } | undefined;

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function pathText(path: ValuePath): string {
  const steps: (string | number)[] = [];
  for (let at = path; at !== undefined; at = at.parent) steps.push(at.step);
  let text = '';
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    text = typeof step === 'number' ? `${text}[${step}]` : childPath(text, step);
  }
  return text;
}

function numberText(value: number, path: ValuePath): string {
  if (!Number.isFinite(value)) throw oracleConversionError(`${value} is not a JSON number`, pathText(path));
  return Object.is(value, -0) ? '-0' : String(value);
}

function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null)
    return `An instance of ${value.constructor?.name ?? 'a class'}`;
  return `A ${typeof value}`;
}

interface PlainWriter {
  readonly maxDepth: number;
  readonly namespace: string;
  readonly prefixes: ReadonlyMap<string, string>;
  readonly state: { nil: boolean };
}

function oraclePlainToXml(value: unknown, options: JsonToXmlOptions): string {
  const maxDepth = options.maxDepth ?? 256;
  const prefixes = new Map(Object.entries(options.namespaces ?? {}));
  const writer: PlainWriter = {
    maxDepth,
    namespace: options.namespace ?? '',
    prefixes,
    state: { nil: false },
  };
  const declarations = [
    ...(options.namespace === undefined ? [] : [declaration('', options.namespace)]),
    ...[...prefixes].map(([prefix, uri]) => declaration(prefix, uri)),
  ];
  if (options.root === undefined) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
      throw oracleConversionError('Plain mode without a root needs an object', '');
    }
    const content = plainContent(value, writer, 1, undefined);
    if (content.attributes.length > 0 || content.children.some((node) => node.type !== 'element')) {
      throw oracleConversionError('Attributes and text need a root element', '');
    }
    return content.children
      .map((node) =>
        serializeXml({
          ...(node as XmlElement),
          attributes: [...declarations, ...(node as XmlElement).attributes],
        }),
      )
      .join('');
  }
  if (!isQName(options.root)) {
    throw oracleConversionError(`"${options.root}" is not a valid root element name`, '');
  }
  const rootNamespace = options.root.includes(':')
    ? (prefixes.get(options.root.slice(0, options.root.indexOf(':'))) ?? '')
    : writer.namespace;
  const root = plainElement(options.root, rootNamespace, value, writer, 1, undefined);
  const nil = writer.state.nil ? [declaration('xsi', XSI)] : [];
  const withDeclarations = { ...root, attributes: [...declarations, ...nil, ...root.attributes] };
  return serializeXml(
    { type: 'document', children: [withDeclarations], root: withDeclarations },
    { declaration: options.declaration ?? false },
  );
}

function plainName(
  key: string,
  writer: PlainWriter,
  isAttribute: boolean,
): { name: string; namespace: string } {
  const colon = key.indexOf(':');
  if (colon !== -1 && isQName(key)) {
    const uri = writer.prefixes.get(key.slice(0, colon));
    if (uri !== undefined) return { name: key, namespace: uri };
  }
  const name = isAttribute && key === 'xmlns' ? '_x0078_mlns' : encodeName(key);
  return { name, namespace: isAttribute ? '' : writer.namespace };
}

function plainElement(
  name: string,
  namespace: string,
  value: unknown,
  writer: PlainWriter,
  depth: number,
  path: ValuePath,
): XmlElement {
  if (depth > writer.maxDepth) throw oracleTooDeep(writer.maxDepth, pathText(path));
  if (value === null) {
    writer.state.nil = true;
    return element(name, namespace, [attribute('xsi:nil', XSI, 'true')], []);
  }
  if (Array.isArray(value)) {
    const items: XmlElement[] = [];
    for (let i = 0; i < value.length; i++) {
      items.push(
        plainElement('item', writer.namespace, value[i], writer, depth + 1, { parent: path, step: i }),
      );
    }
    return element(name, namespace, [], items);
  }
  if (typeof value === 'object' && value !== undefined && isPlainObject(value)) {
    const content = plainContent(value, writer, depth, path);
    return element(name, namespace, content.attributes, content.children);
  }
  return element(name, namespace, [], [{ type: 'text', value: scalarText(value, path) }]);
}

function scalarText(value: unknown, path: ValuePath): string {
  if (typeof value === 'string') {
    if (needsTextEscape(value)) {
      throw oracleConversionError('The string has characters XML 1.0 cannot carry', pathText(path));
    }
    return value;
  }
  if (typeof value === 'number') return numberText(value, path);
  if (typeof value === 'boolean') return String(value);
  throw oracleConversionError(`${describeValue(value)} is not a JSON value`, pathText(path));
}

function plainContent(
  value: Record<string, unknown>,
  writer: PlainWriter,
  depth: number,
  path: ValuePath,
): { attributes: XmlAttribute[]; children: XmlNode[] } {
  const attributes: XmlAttribute[] = [];
  const children: XmlNode[] = [];
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined) continue;
    const memberPath = { parent: path, step: key };
    if (key === '#text') {
      children.push({ type: 'text', value: scalarText(member, memberPath) });
    } else if (key.startsWith('@')) {
      if (member === null) continue;
      const { name, namespace } = plainName(key.slice(1), writer, true);
      attributes.push(attribute(name, namespace, scalarText(member, memberPath)));
    } else {
      const { name, namespace } = plainName(key, writer, false);
      if (!Array.isArray(member)) {
        children.push(plainElement(name, namespace, member, writer, depth + 1, memberPath));
        continue;
      }
      for (let i = 0; i < member.length; i++) {
        const itemPath = { parent: memberPath, step: i };
        children.push(plainElement(name, namespace, member[i], writer, depth + 1, itemPath));
      }
    }
  }
  return { attributes, children };
}

// ---------------------------------------------------------------------------------------------------
// Comparing the writer with the oracle

type Outcome =
  | { readonly xml: string }
  | { readonly error: { code: unknown; message: unknown; details: unknown; name: unknown } };

function outcome(write: () => string): Outcome {
  try {
    return { xml: write() };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; details?: unknown; name?: unknown };
    return { error: { code: e.code, message: e.message, details: e.details, name: e.name } };
  }
}

function expectSameAsOracle(value: unknown, options: Omit<JsonToXmlOptions, 'mode'>): void {
  const plain: JsonToXmlOptions = { ...options, mode: 'plain' };
  expect(outcome(() => convertJsonToXml(value, plain))).toStrictEqual(
    outcome(() => oraclePlainToXml(value, plain)),
  );
}

/** Characters that hit every escaping rule: markup, whitespace, the name escape, non-ASCII, astral. */
const textChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '1', '-', '.', ' ', 'é', '\u{1F600}') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', '_', 'x', ':', '@', '#'),
  },
);
/** Characters XML 1.0 cannot carry: controls, lone surrogates, U+FFFE. */
const invalidChar = fc.oneof(
  fc.constantFrom('\u0000', '\u0001', '\u001F', '\uFFFE', '\uFFFF'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
);
const text = fc.string({ unit: textChar, maxLength: 8 });
const awkwardText = fc.string({
  unit: fc.oneof({ weight: 5, arbitrary: textChar }, { weight: 1, arbitrary: invalidChar }),
  maxLength: 8,
});
/** Prefixes the options may declare; `xsi`, `xml`, `xmlns` and `''` exercise the serializer's rules. */
const prefix = fc.constantFrom('p', 'q', 'xsi', 'xml', 'xmlns', '', 'a b', '1a', 'soap');
const uri = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom('urn:p', 'urn:q', XSI, 'http://www.w3.org/XML/1998/namespace', '', 'urn:"&<'),
  },
  { weight: 1, arbitrary: awkwardText },
);
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('id', 'name', 'item', 'a', 'b_c', 'x-1') },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: awkwardText },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '#text',
      '@id',
      '@xmlns',
      '@',
      '@#text',
      '@p:a',
      '@q:b',
      '@xsi:type',
      '@xml:lang',
      '@xmlns:p',
      '@soap:x',
      'p:a',
      'q:b',
      'xsi:type',
      'xml:x',
      'xmlns:p',
      ':a',
      'a:',
      'p:a:b',
      '__proto__',
      'constructor',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.tuple(prefix, text).map(([p, local]) => `${p}:${local}`) },
  { weight: 1, arbitrary: text.map((name) => `@${name}`) },
);

/** JSON-like values (plus NaN, Infinity and strings XML cannot carry) whose object keys come from `keys`. */
function valuesWith(keys: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
      { weight: 1, arbitrary: fc.integer() },
      { weight: 1, arbitrary: fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY) },
      { weight: 3, arbitrary: text },
      { weight: 1, arbitrary: awkwardText },
      { weight: 3, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
      { weight: 5, arbitrary: fc.dictionary(keys, tie('value'), { maxKeys: 5 }) },
    ),
  })).value;
}

const value = valuesWith(key);

/** Keys and options where prefixes are declared, redeclared and bound otherwise (`xsi`, `''` above all). */
const namespacedKey = fc.oneof(
  fc.constantFrom('a', 'item', '#text', '@a'),
  fc
    .tuple(
      fc.constantFrom('', '@'),
      fc.constantFrom('xsi', 'p', 'xml', 'xmlns', 'q'),
      fc.constantFrom('a', 'nil'),
    )
    .map(([at, p, local]) => `${at}${p}:${local}`),
);
const namespacedOptions = fc.record(
  {
    root: fc.constantFrom('r', 'xsi:r', 'p:r', 'xml:r', 'q:r'),
    namespace: fc.constantFrom('urn:d', '', XSI),
    namespaces: fc.dictionary(
      fc.constantFrom('xsi', 'p', '', 'xml', 'xmlns'),
      fc.constantFrom(XSI, 'urn:other', 'urn:p', '', 'urn:d', 'http://www.w3.org/XML/1998/namespace'),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: ['namespaces'] },
);

/** Fragments whose top level holds text or attributes, with values that fail somewhere after them. */
const misplacedKey = fc.constantFrom('#text', '@a', '@b', 'a', 'b');
const failingLeaf = fc.constantFrom<unknown>(Number.NaN, '\u0001', undefined, [undefined], 'ok', 1, null, {});

const options = fc.record(
  {
    root: fc.oneof(
      {
        weight: 8,
        arbitrary: fc.constantFrom(
          'root',
          'p:root',
          'q:r',
          'xsi:r',
          'xml:r',
          'xmlns:r',
          'r',
          'soap:Envelope',
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom('1bad', 'a:b:c', '') },
      { weight: 1, arbitrary: text },
    ),
    namespace: uri,
    namespaces: fc.dictionary(prefix, uri, { maxKeys: 3 }),
    declaration: fc.boolean(),
    maxDepth: fc.integer({ min: 0, max: 8 }),
  },
  { requiredKeys: [] },
);

describe('the plain-mode writer against the tree it replaced', () => {
  it('writes the same text and throws the same errors for any JSON value and options', () => {
    fc.assert(
      fc.property(value, options, (v, o) => expectSameAsOracle(v, o)),
      { numRuns: 3000 },
    );
  });

  it('matches where the options bind prefixes the serializer must redeclare or refuse', () => {
    fc.assert(
      fc.property(valuesWith(namespacedKey), namespacedOptions, (v, o) => expectSameAsOracle(v, o)),
      { numRuns: 2000 },
    );
  });

  it('throws conversion errors in the same order, after or before misplaced text and attributes', () => {
    const fragment = fc.dictionary(
      misplacedKey,
      fc.oneof(failingLeaf, fc.dictionary(misplacedKey, failingLeaf, { maxKeys: 3 })),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(fragment, fc.constantFrom({}, { root: 'r' }, { namespaces: { '': 'urn:d' } }), (v, o) =>
        expectSameAsOracle(v, o),
      ),
      { numRuns: 1000 },
    );
  });

  it('matches for fast-check JSON values with and without a root', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.constantFrom<Omit<JsonToXmlOptions, 'mode'>>(
          {},
          { root: 'root' },
          { root: 'root', declaration: true },
          { root: 'p:root', namespace: 'urn:d', namespaces: { p: 'urn:p', xsi: XSI } },
          { namespaces: { p: 'urn:p' } },
        ),
        (v, o) => expectSameAsOracle(v, o),
      ),
      { numRuns: 1000 },
    );
  });

  it('matches for values with a null prototype, class instances, functions and undefined', () => {
    const odd = fc.constantFrom<unknown>(
      Object.assign(Object.create(null) as object, { a: 1, '@b': 'x' }),
      new Date(0),
      () => 1,
      undefined,
      [undefined],
      { a: undefined, b: 1 },
      { '@a': undefined, '#text': undefined },
      { '#text': null },
      { '@a': { b: 1 } },
      10n,
    );
    fc.assert(
      fc.property(fc.oneof(odd, fc.dictionary(key, odd, { maxKeys: 3 })), options, (v, o) =>
        expectSameAsOracle(v, o),
      ),
      { numRuns: 500 },
    );
  });
});

describe('the plain-mode writer on what the serializer decided', () => {
  it('declares xsi on each nil element of a fragment, and once on a root', () => {
    expect(convertJsonToXml({ a: null, b: { c: null } }, { mode: 'plain' })).toBe(
      `<a xmlns:xsi="${XSI}" xsi:nil="true"/><b><c xmlns:xsi="${XSI}" xsi:nil="true"/></b>`,
    );
    expect(convertJsonToXml({ a: null, b: { c: null } }, { mode: 'plain', root: 'r' })).toBe(
      `<r xmlns:xsi="${XSI}"><a xsi:nil="true"/><b><c xsi:nil="true"/></b></r>`,
    );
  });

  it('redeclares a prefix the options bound to another namespace than xsi needs', () => {
    const options: JsonToXmlOptions = { mode: 'plain', root: 'r', namespaces: { xsi: 'urn:other' } };
    expectSameAsOracle({ 'xsi:a': { '@xsi:b': '1', c: null } }, options);
    // Without a null anywhere the root declares no XML Schema instance namespace, so nothing is redeclared.
    expect(convertJsonToXml({ 'xsi:a': { '@xsi:b': '1' } }, options)).toBe(
      '<r xmlns:xsi="urn:other"><xsi:a xsi:b="1"/></r>',
    );
  });

  it('throws conversion errors before the serializer errors of earlier elements', () => {
    const options: JsonToXmlOptions = { mode: 'plain', namespaces: { '': 'urn:d' } };
    expect(xmlErrors.UNSERIALIZABLE.is(errorOf(() => convertJsonToXml({ a: 1 }, options)))).toBe(true);
    expect(xmlErrors.CONVERSION.is(errorOf(() => convertJsonToXml({ a: 1, b: Number.NaN }, options)))).toBe(
      true,
    );
  });

  it('reports the root start tag before errors inside it, as the serializer meets them', () => {
    const options: JsonToXmlOptions = { mode: 'plain', root: 'xsi:r', namespaces: { '': 'urn:d' } };
    expectSameAsOracle({ a: null }, options);
    expectSameAsOracle({ a: 1 }, options);
  });
});

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
