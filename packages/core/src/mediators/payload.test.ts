// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Mediary templates are plain strings with ${…} placeholders.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../engine.js';
import { silentLogger } from '../logger.js';
import type { Mediator } from '../mediator.js';
import { createMessage, type Message } from '../message.js';
import { payload } from './payload.js';

const engine = createEngine({ name: 'payload-tests', logger: silentLogger });

async function render(mediator: Mediator, vars: Record<string, unknown>, input?: Message): Promise<Message> {
  const exchange = await engine.dispatch(mediator, input ?? createMessage(), { vars });
  if (!exchange.ok) throw exchange.error;
  return exchange.message;
}

/** What a JSON value looks like after a trip through JSON text (`-0` becomes `0`). */
function viaJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** The text a value takes inside a string literal of a template. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Strings made of the characters that break naive templating. */
const nastyString = fc.string({
  unit: fc.constantFrom(
    '"',
    "'",
    '\\',
    '\n',
    '\r',
    '\t',
    '\u0000',
    '\u0008',
    '\u001f',
    '\u007f',
    '\u2028',
    '\u2029',
    '\ud83d\ude00',
    '\ud800',
    'é',
    '中',
    '{',
    '}',
    '[',
    ']',
    '$',
    '${',
    '$${',
    '/',
    'a',
  ),
  maxLength: 40,
});

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
  nastyString,
  fc.string({ unit: 'binary' }),
  fc.array(nastyString, { maxLength: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
);

describe('payload JSON templates (property-based)', () => {
  const outside = payload('{"a": ${vars.x}, "list": [${vars.x}], "n": 1}');
  const inside = payload('{"a": "pre ${vars.x} post", "b": "${vars.x}"}');

  it('insert any JSON value outside a string as JSON, so objects and arrays stay what they were', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, async (x) => {
        const message = await render(outside, { x });
        expect(message.contentType).toBe('application/json');
        expect(JSON.parse(await message.text())).toEqual({ a: viaJson(x), list: [viaJson(x)], n: 1 });
      }),
      { numRuns: 300 },
    );
  });

  it('insert any value inside a string as escaped text, so the output always parses', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, async (x) => {
        const message = await render(inside, { x });
        const parsed = JSON.parse(await message.text()) as { a: string; b: string };
        expect(parsed.a).toBe(`pre ${asText(x)} post`);
        expect(parsed.b).toBe(asText(x));
      }),
      { numRuns: 300 },
    );
  });

  it('insert any value into an object template: whole placeholders keep the value, others interpolate', async () => {
    const objectTemplate = payload({
      a: '${vars.x}',
      b: 'pre ${vars.x} post',
      nested: { list: ['${vars.x}', 'fixed'] },
      constant: 7,
    });
    await fc.assert(
      fc.asyncProperty(anyValue, async (x) => {
        const message = await render(objectTemplate, { x });
        expect(JSON.parse(await message.text())).toEqual({
          a: viaJson(x),
          b: `pre ${asText(x)} post`,
          nested: { list: [viaJson(x), 'fixed'] },
          constant: 7,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a one-element array an array in every position', async () => {
    const message = await render(outside, { x: [{ id: 1 }] });
    expect(await message.json()).toEqual({ a: [{ id: 1 }], list: [[{ id: 1 }]], n: 1 });
  });
});

describe('payload', () => {
  it('writes undefined as null outside a string and as nothing inside one', async () => {
    const message = await render(payload('{"a": ${vars.missing}, "b": "[${vars.missing}]"}'), {});
    expect(await message.json()).toEqual({ a: null, b: '[]' });
  });

  it('reads the payload of the incoming message', async () => {
    const message = await render(
      payload('{"patient": ${payload.patient}, "note": "for ${payload.patient.name}"}'),
      {},
      createMessage({ json: { patient: { name: 'Ann "A" Lee', tags: ['x'] } } }),
    );
    expect(await message.json()).toEqual({
      patient: { name: 'Ann "A" Lee', tags: ['x'] },
      note: 'for Ann "A" Lee',
    });
  });

  it('renders a text template as text/plain without escaping', async () => {
    const message = await render(payload('Hello ${vars.name}, you owe ${vars.fee}'), {
      name: 'Ann "<x>"',
      fee: { eur: 5 },
    });
    expect(message.contentType).toBe('text/plain; charset=utf-8');
    expect(await message.text()).toBe('Hello Ann "<x>", you owe {"eur":5}');
  });

  it('renders an XML template with values escaped for XML', async () => {
    const message = await render(
      payload('<ack><id>${vars.id}</id><n>${vars.n}</n></ack>', { format: 'xml' }),
      {
        id: `<a href="x">&'`,
        n: 3,
      },
    );
    expect(message.contentType).toBe('application/xml; charset=utf-8');
    expect(await message.text()).toBe('<ack><id>&lt;a href=&quot;x&quot;&gt;&amp;&apos;</id><n>3</n></ack>');
  });

  it('takes the content type and format it is given', async () => {
    const message = await render(payload('[${vars.a}]', { contentType: 'application/vnd.x+json' }), { a: 1 });
    expect(message.contentType).toBe('application/vnd.x+json');
    expect(await message.json()).toEqual([1]);
    const text = await render(payload('{not json}', { format: 'text' }), {});
    expect(await text.text()).toBe('{not json}');
  });

  it('keeps $${ as a literal ${ inside a JSON string', async () => {
    const message = await render(payload('{"tpl": "$${vars.x}", "v": ${vars.x}}'), { x: 2 });
    expect(await message.json()).toEqual({ tpl: '${vars.x}', v: 2 });
  });

  it('tracks escaped quotes in the template text to know when a placeholder is inside a string', async () => {
    const message = await render(payload('{"a": "say \\"${vars.x}\\"", "b": ${vars.x}}'), { x: 'hi "you"' });
    expect(await message.json()).toEqual({ a: 'say "hi "you""', b: 'hi "you"' });
  });

  it('fails with MEDIARY_EXPR_EVAL when the template itself is not JSON', async () => {
    const exchange = await engine.dispatch(payload('{"a": ${vars.x} oops}'), createMessage(), {
      vars: { x: 1 },
    });
    expect(exchange.ok).toBe(false);
    if (!exchange.ok) {
      expect(exchange.error.code).toBe('MEDIARY_EXPR_EVAL');
      expect(exchange.error.message).toContain('the template does not render JSON');
    }
  });

  it('omits object-template keys whose whole placeholder is undefined', async () => {
    const message = await render(payload({ a: '${vars.missing}', b: '${vars.b}' }), { b: false });
    expect(await message.json()).toEqual({ b: false });
  });
});
