import {
  callTemplate,
  choice,
  defineTemplate,
  enrich,
  filter,
  respond,
  setBody,
  setVar,
} from '@mediary/core';
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { xmlView } from './xml-view.js';
import { xpath } from './xpath-expr.js';

const ns = { namespaces: { o: 'urn:shop' } };
const order = (type: string, total: number) => ({
  body: `<order xmlns="urn:shop" id="o-7"><type>${type}</type><line price="${total}"/><urgent/></order>`,
  contentType: 'application/xml',
});

describe('xpath expressions', () => {
  it('drives filter with the effective boolean value', async () => {
    await using h = await createHarness();
    const steps = [
      filter(xpath.boolean('sum(//o:line/@price) > 100', ns)),
      setBody({ passed: true }),
      respond(),
    ];
    const big = await h.send(steps, order('express', 150));
    expect(big.ok && big.outcome).toBe('respond');
    const small = await h.send(steps, order('express', 10));
    expect(small.ok && small.outcome).toBe('drop');
  });

  it('selects an empty element as true with xpath.boolean, and as an empty string with xpath', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        setVar('exists', xpath.boolean('/o:order/o:urgent', ns)),
        setVar('text', xpath('/o:order/o:urgent', ns)),
      ],
      order('x', 1),
    );
    expect(result.context.vars).toMatchObject({ exists: true, text: '' });
  });

  it('drives choice on a string value', async () => {
    await using h = await createHarness();
    const route = [
      choice({
        on: xpath('/o:order/o:type', ns),
        cases: [
          { equals: 'express', steps: [setVar('lane', 'fast')] },
          { equals: 'standard', steps: [setVar('lane', 'slow')] },
        ],
        otherwise: [setVar('lane', 'none')],
      }),
    ];
    expect((await h.send(route, order('express', 1))).context.vars.lane).toBe('fast');
    expect((await h.send(route, order('standard', 1))).context.vars.lane).toBe('slow');
    expect((await h.send(route, order('other', 1))).context.vars.lane).toBe('none');
  });

  it('sets variables with typed results, and simplifies sequences', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        setVar('id', xpath.string('/o:order/@id', ns)),
        setVar('total', xpath.number('sum(//o:line/@price)', ns)),
        setVar('lines', xpath.nodes('//o:line', ns)),
        setVar('missing', xpath('/o:order/o:nothing', ns)),
        setVar('many', xpath('(1, "two")')),
      ],
      order('express', 42),
    );
    expect(result.ok).toBe(true);
    expect(result.context.vars).toMatchObject({ id: 'o-7', total: 42, missing: undefined, many: [1, 'two'] });
    expect(result.context.vars.lines).toMatchObject([{ type: 'element', localName: 'line' }]);
  });

  it('reads the message variables as $name', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [setVar('wanted', 'o-7'), setVar('match', xpath.boolean('/o:order/@id = $wanted', ns))],
      order('x', 1),
    );
    expect(result.context.vars.match).toBe(true);
  });

  it('feeds enrich and template arguments', async () => {
    await using h = await createHarness((engine) => {
      engine.addTemplate(
        defineTemplate('stamp', {
          params: { kind: {} },
          steps: [setVar('stamped', (ctx) => `kind=${ctx.vars.kind}`)],
        }),
      );
    });
    const result = await h.send(
      [
        enrich({ from: xpath('/o:order/o:type', ns), to: { var: 'type' } }),
        callTemplate('stamp', { kind: xpath('/o:order/o:type', ns) }),
      ],
      order('express', 1),
    );
    expect(result.context.vars).toMatchObject({ type: 'express', stamped: 'kind=express' });
  });

  it('parses the body once for every expression of a route', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        setVar('doc1', (ctx) => ctx.message.view(xmlView)),
        setVar('a', xpath.string('/o:order/@id', ns)),
        setVar('doc2', (ctx) => ctx.message.view(xmlView)),
      ],
      order('x', 1),
    );
    expect(result.context.vars.doc1).toBe(result.context.vars.doc2);
  });

  it('reports a syntax error when the route is built, naming the expression', () => {
    expect(() => xpath('/o:order[')).toThrow(/XPath "\/o:order\[" failed/);
  });

  it('fails with the parse error, not an empty result, when the body is not XML', async () => {
    await using h = await createHarness();
    const result = await h.send([setVar('x', xpath.string('/a'))], {
      body: '<a>',
      contentType: 'application/xml',
    });
    expect(!result.ok && result.error.code).toBe('MEDIARY_XML_MALFORMED');
    const json = await h.send([setVar('x', xpath.string('/a'))], { json: { a: 1 } });
    expect(!json.ok && json.error.code).toBe('MEDIARY_CONTENT_TYPE_UNSUPPORTED');
  });

  it('reports an evaluation error as MEDIARY_XML_XPATH_FAILED with the expression', async () => {
    await using h = await createHarness();
    const result = await h.send([setVar('x', xpath('/a + $undefinedVariable'))], {
      body: '<a>1</a>',
      contentType: 'application/xml',
    });
    expect(!result.ok && result.error).toMatchObject({
      code: 'MEDIARY_XML_XPATH_FAILED',
      details: { expression: '/a + $undefinedVariable' },
    });
  });
});
