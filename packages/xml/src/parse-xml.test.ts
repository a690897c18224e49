import { describe, expect, it } from 'vitest';
import { xmlErrors } from './errors.js';
import { parseXml } from './parse-xml.js';
import { serializeXml } from './serialize-xml.js';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseXml', () => {
  it('keeps element order, mixed content, CDATA, comments and processing instructions', () => {
    const doc = parseXml('<a>one<b/>two<![CDATA[<raw>&amp;]]><!-- note --><?app do it?><c>x</c></a>');
    expect(doc.root.children).toEqual([
      { type: 'text', value: 'one' },
      { type: 'element', name: 'b', prefix: '', localName: 'b', namespace: '', attributes: [], children: [] },
      { type: 'text', value: 'two' },
      { type: 'cdata', value: '<raw>&amp;' },
      { type: 'comment', value: ' note ' },
      { type: 'pi', target: 'app', data: 'do it' },
      {
        type: 'element',
        name: 'c',
        prefix: '',
        localName: 'c',
        namespace: '',
        attributes: [],
        children: [{ type: 'text', value: 'x' }],
      },
    ]);
  });

  it('resolves prefixes and the default namespace for elements but not for unprefixed attributes', () => {
    const doc = parseXml('<r xmlns="urn:d" xmlns:p="urn:p" a="1" p:b="2"><p:c/><d xmlns=""/></r>');
    expect(doc.root).toMatchObject({ name: 'r', prefix: '', localName: 'r', namespace: 'urn:d' });
    expect(doc.root.attributes.map((a) => [a.name, a.namespace, a.value])).toEqual([
      ['xmlns', 'http://www.w3.org/2000/xmlns/', 'urn:d'],
      ['xmlns:p', 'http://www.w3.org/2000/xmlns/', 'urn:p'],
      ['a', '', '1'],
      ['p:b', 'urn:p', '2'],
    ]);
    expect(doc.root.children).toMatchObject([
      { name: 'p:c', prefix: 'p', localName: 'c', namespace: 'urn:p' },
      { name: 'd', namespace: '' },
    ]);
  });

  it('decodes the five predefined entities and character references, nothing else', () => {
    const doc = parseXml('<a t="&lt;&#x41;&#66;">&amp;lt; &gt; &quot; &apos; &#x1F600; &#10;</a>');
    expect(doc.root.attributes[0]?.value).toBe('<AB');
    expect(doc.root.children).toEqual([{ type: 'text', value: '&lt; > " \' 😀 \n' }]);
    expect(xmlErrors.MALFORMED.is(errorOf(() => parseXml('<a>&nbsp;</a>')))).toBe(true);
    expect(xmlErrors.MALFORMED.is(errorOf(() => parseXml('<a>&#1;</a>')))).toBe(true);
  });

  it('normalises line ends and literal whitespace in attribute values as XML 1.0 requires', () => {
    const doc = parseXml('<a v="x\ty\r\nz" w="1&#9;2">l1\r\nl2\rl3</a>');
    expect(doc.root.attributes.map((a) => a.value)).toEqual(['x y z', '1\t2']);
    expect(doc.root.children).toEqual([{ type: 'text', value: 'l1\nl2\nl3' }]);
  });

  it('keeps the declaration, the prolog and the epilog', () => {
    const doc = parseXml('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!--c--><r/><?pi?>');
    expect(doc.declaration).toEqual({ version: '1.0', encoding: 'UTF-8', standalone: true });
    expect(doc.children.map((c) => c.type)).toEqual(['comment', 'element', 'pi']);
    expect(doc.children[1]).toBe(doc.root);
  });

  it('decodes bytes as UTF-8, by byte order mark, or by the declared encoding', () => {
    expect(parseXml(new TextEncoder().encode('<a>é</a>')).root.children).toEqual([
      { type: 'text', value: 'é' },
    ]);
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>\u00e9</a>', 'latin1');
    expect(parseXml(latin1).root.children).toEqual([{ type: 'text', value: 'é' }]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>ü</a>', 'utf16le')]);
    expect(parseXml(utf16).root.children).toEqual([{ type: 'text', value: 'ü' }]);
    const broken = Uint8Array.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]);
    expect(xmlErrors.MALFORMED.is(errorOf(() => parseXml(broken)))).toBe(true);
  });

  it.each([
    ['<a><b></a>', 1, 7],
    ['<a>\n  <b x="1" x="2"/></a>', 2, 12],
    ['<a>text', 1, 1],
    ['', 1, 1],
    ['<a/><b/>', 1, 5],
    ['<a/>tail', 1, 5],
    ['<p:a/>', 1, 1],
    ['<a x=1/>', 1, 6],
    ['<1a/>', 1, 2],
    ['<a>]]></a>', 1, 4],
    ['<a><!-- a -- b --></a>', 1, 11],
    ['<a>\u0001</a>', 1, 4],
    ['<?xml version="1.0"?><?xml version="1.0"?><a/>', 1, 22],
    ['<a b="<"/>', 1, 7],
  ])('rejects %j as MEDIARY_XML_MALFORMED with its line and column', (input, line, column) => {
    const error = errorOf(() => parseXml(input));
    expect(xmlErrors.MALFORMED.is(error)).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ line, column });
  });

  it('names the element that is still open when the input ends', () => {
    expect(() => parseXml('<order><line>')).toThrow(/<line> is never closed/);
  });

  it('accepts names that are JavaScript prototype keys as ordinary names', () => {
    const doc = parseXml('<__proto__ constructor="1"><toString/></__proto__>');
    expect(doc.root.name).toBe('__proto__');
    expect(doc.root.attributes[0]?.name).toBe('constructor');
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('applies the attribute limit as it reads, namespace declarations included', () => {
    const attrs = Array.from({ length: 5 }, (_, i) => `a${i}="${i}"`).join(' ');
    expect(() => parseXml(`<r ${attrs}/>`, { maxAttributes: 5 })).not.toThrow();
    const error = errorOf(() => parseXml(`<r xmlns:p="urn:p" ${attrs}/>`, { maxAttributes: 5 }));
    expect(xmlErrors.TOO_MANY_ATTRIBUTES.is(error)).toBe(true);
  });

  it('applies the depth limit with the root at depth 1', () => {
    expect(() => parseXml('<a><b><c/></b></a>', { maxDepth: 3 })).not.toThrow();
    expect(xmlErrors.TOO_DEEP.is(errorOf(() => parseXml('<a><b><c/></b></a>', { maxDepth: 2 })))).toBe(true);
  });

  it('applies the text limit to text, CDATA, comments and attribute values alike', () => {
    const limits = { maxTextLength: 3 };
    expect(() => parseXml('<a t="abc">abc<![CDATA[abc]]><!--abc--></a>', limits)).not.toThrow();
    for (const input of ['<a>abcd</a>', '<a><![CDATA[abcd]]></a>', '<a><!--abcd--></a>', '<a t="abcd"/>']) {
      expect(xmlErrors.TEXT_TOO_LONG.is(errorOf(() => parseXml(input, limits)))).toBe(true);
    }
  });

  it('counts the size limit in UTF-8 bytes', () => {
    expect(() => parseXml('<a>éé</a>', { maxBytes: 11 })).not.toThrow();
    expect(xmlErrors.TOO_LARGE.is(errorOf(() => parseXml('<a>éé</a>', { maxBytes: 10 })))).toBe(true);
    expect((errorOf(() => parseXml('<a>éé</a>', { maxBytes: 10 })) as { status: number }).status).toBe(413);
  });
});

describe('serializeXml', () => {
  const samples = [
    '<a>one<b/>two<![CDATA[<raw>]]><!-- c --><?pi data?></a>',
    '<?xml version="1.0" encoding="UTF-8"?><!--pre--><r xmlns="urn:d" xmlns:p="urn:p" p:x="&quot;&amp;&lt;"><p:c>&lt;&gt;&amp;</p:c><d xmlns=""/></r>',
    '<a t="tab&#9;nl&#10;cr&#13;">cr&#13;text</a>',
    '<a>😀 &#x1F600; \u00e9</a>',
  ];

  it.each(samples)('is stable under parse → serialize → parse for %j', (input) => {
    const once = parseXml(input);
    const text = serializeXml(once);
    expect(parseXml(text)).toEqual(once);
    expect(serializeXml(parseXml(text))).toBe(text);
  });

  it('escapes what the parser would otherwise change or reject', () => {
    expect(serializeXml(parseXml('<a v="1&#10;2&lt;&quot;">a&amp;b ]]&gt; &#13;</a>'))).toBe(
      '<a v="1&#xA;2&lt;&quot;">a&amp;b ]]&gt; &#xD;</a>',
    );
  });

  it('declares the namespaces that a tree built in code uses', () => {
    const xml = serializeXml({
      type: 'element',
      name: 's:Envelope',
      prefix: 's',
      localName: 'Envelope',
      namespace: 'urn:s',
      attributes: [
        { type: 'attribute', name: 'x:id', prefix: 'x', localName: 'id', namespace: 'urn:x', value: '1' },
      ],
      children: [
        {
          type: 'element',
          name: 'v',
          prefix: '',
          localName: 'v',
          namespace: 'urn:v',
          attributes: [],
          children: [],
        },
      ],
    });
    expect(xml).toBe('<s:Envelope xmlns:s="urn:s" xmlns:x="urn:x" x:id="1"><v xmlns="urn:v"/></s:Envelope>');
  });

  it('refuses characters and comments that XML 1.0 cannot carry', () => {
    const text = { type: 'text', value: 'a\u0001' } as const;
    const root = {
      type: 'element',
      name: 'a',
      prefix: '',
      localName: 'a',
      namespace: '',
      attributes: [],
    } as const;
    expect(xmlErrors.UNSERIALIZABLE.is(errorOf(() => serializeXml({ ...root, children: [text] })))).toBe(
      true,
    );
    const comment = { type: 'comment', value: 'a--b' } as const;
    expect(xmlErrors.UNSERIALIZABLE.is(errorOf(() => serializeXml({ ...root, children: [comment] })))).toBe(
      true,
    );
  });

  it('writes CDATA containing "]]>" as two sections', () => {
    const root = {
      type: 'element',
      name: 'a',
      prefix: '',
      localName: 'a',
      namespace: '',
      attributes: [],
    } as const;
    const xml = serializeXml({ ...root, children: [{ type: 'cdata', value: 'x]]>y' }] });
    expect(xml).toBe('<a><![CDATA[x]]]]><![CDATA[>y]]></a>');
  });
});
