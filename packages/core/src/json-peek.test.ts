import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { jsonField, peekJsonField } from './json-peek.js';
import { silentLogger } from './logger.js';
import { setVar } from './mediators/basic.js';
import { choice } from './mediators/routing.js';
import { createMessage, type Message } from './message.js';

const JSON_TYPE = 'application/json';

/** What `JSON.parse` says the top-level own member is (the contract's reference). */
function reference(text: string, key: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function message(body: string | Uint8Array, contentType: string | undefined = JSON_TYPE): Message {
  return createMessage({ body, ...(contentType === undefined ? {} : { contentType }) });
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function outcome(run: Promise<unknown>): Promise<Outcome> {
  return run.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Runs both kinds of peek and JSON.parse on the same bytes. Validating: equal values, or both refuse. Default
 * (stops early): equal values on valid JSON; on invalid JSON it refuses, or it found the member before the
 * fault — then some prefix of the text ending right after a top-level member `key` reads as that value once
 * closed with `}`, and the bytes after it hold no second spelling of the key.
 */
async function agree(bytes: Uint8Array | string, key: string): Promise<void> {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  let expected: { ok: true; value: unknown } | { ok: false };
  try {
    expected = { ok: true, value: reference(text, key) };
  } catch {
    expected = { ok: false };
  }
  const validated = await outcome(peekJsonField(message(bytes), key, { validate: true }));
  const early = await outcome(peekJsonField(message(bytes), key));
  if (expected.ok) {
    expect(validated, `for ${JSON.stringify(text)}`).toEqual({ ok: true, value: expected.value });
    expect(early, `for ${JSON.stringify(text)} (early)`).toEqual({ ok: true, value: expected.value });
    return;
  }
  expect(validated.ok, `accepted invalid JSON: ${JSON.stringify(text)}`).toBe(false);
  expect((validated as { error: { code: string } }).error.code).toBe('MEDIARY_JSON_MALFORMED');
  if (!early.ok) {
    expect((early.error as { code: string }).code).toMatch(/^MEDIARY_JSON_(MALFORMED|TOO_DEEP)$/);
    return;
  }
  expect(foundBeforeFault(text, key, early.value), `early answer for ${JSON.stringify(text)}`).toBe(true);
}

/** Whether `rest` could hold the key again: written plainly, or with an escape its characters allow. */
function mightSpell(rest: string, key: string): boolean {
  const shortEscapable = /["\\/]/.test(key) || [...key].some((c) => c < ' ');
  if (shortEscapable) return rest.includes('\\');
  return rest.includes('\\u') || rest.includes(`"${key}"`);
}

/**
 * Whether `text` ends with `}`, and a prefix of it, closed with `}`, is valid JSON whose member `key` is
 * `value`, with no repeat after.
 */
function foundBeforeFault(text: string, key: string, value: unknown): boolean {
  if (!/\}[ \t\n\r]*$/.test(text)) return false;
  for (let end = 1; end <= text.length; end++) {
    let closed: unknown;
    try {
      closed = JSON.parse(`${text.slice(0, end)}}`);
    } catch {
      continue;
    }
    const rest = text.slice(end);
    if (mightSpell(rest, key)) continue;
    if (
      typeof closed === 'object' &&
      closed !== null &&
      Object.hasOwn(closed, key) &&
      JSON.stringify((closed as Record<string, unknown>)[key]) === JSON.stringify(value)
    ) {
      return true;
    }
  }
  return false;
}

/** A key written with some of its characters as `\uXXXX` escapes, chosen by `mask`. */
function escapedKey(key: string, mask: readonly boolean[]): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    out += mask[i % mask.length]
      ? `\\u${code.toString(16).padStart(4, '0')}`
      : JSON.stringify(key[i]).slice(1, -1);
  }
  return `"${out}"`;
}

/** A JSON object text from members in order, duplicates kept (JSON.stringify could not write them). */
function objectText(members: readonly (readonly [string, string])[], space: string): string {
  return `{${space}${members.map(([key, value]) => `${key}${space}:${space}${value}`).join(`,${space}`)}${space}}`;
}

const jsonValueText = fc.jsonValue().map((value) => JSON.stringify(value));
const spaces = fc.constantFrom('', ' ', '\n', '\t ', '\r\n  ');
const keys = fc.constantFrom('route', 'r', 'routes', 'Route', 'rout', '', 'é', '__proto__', 'toString');

describe('peekJsonField', () => {
  it('equals JSON.parse for any JSON text and any key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json(), fc.oneof(keys, fc.string()), async (text, key) => {
        await agree(text, key);
      }),
      { numRuns: 500 },
    );
  });

  it('finds the member at any position, keeps the last of duplicates, and ignores nested members', async () => {
    const member = fc.tuple(keys, jsonValueText);
    await fc.assert(
      fc.asyncProperty(
        fc.array(member, { maxLength: 6 }),
        fc.array(jsonValueText, { minLength: 1, maxLength: 3 }),
        fc.array(member, { maxLength: 6 }),
        spaces,
        jsonValueText,
        async (before, routes, after, space, nested) => {
          const members: [string, string][] = [
            ...before.map(([k, v]): [string, string] => [JSON.stringify(k), v]),
            // A `route` inside a nested value must never match.
            ['"inner"', `{"route":${nested},"list":[{"route":1}]}`],
            ...routes.map((value): [string, string] => ['"route"', value]),
            ...after.map(([k, v]): [string, string] => [JSON.stringify(k), v]),
          ];
          await agree(objectText(members, space), 'route');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches keys written with unicode escapes, as JSON.parse decodes them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(keys, fc.string({ minLength: 1, maxLength: 8 })),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        jsonValueText,
        async (key, mask, value) => {
          const text = objectText([[escapedKey(key, mask), value]], '');
          await agree(text, key);
          expect(await peekJsonField(message(text), key)).toEqual(JSON.parse(value));
        },
      ),
      { numRuns: 300 },
    );
    expect(await peekJsonField(message('{"\\u0072oute":"a"}'), 'route')).toBe('a');
    expect(await peekJsonField(message('{"\\u0072oute":"a","route":"b"}'), 'route')).toBe('b');
  });

  it('refuses the texts JSON.parse refuses (all of them when validating)', async () => {
    // Pieces that make almost-JSON: signs, dots, exponents, leading zeros, escapes, cut literals.
    const piece = fc.oneof(
      fc.constantFrom(...'+ - . e E 0 01 1. .5 " \\ \\u00 , : [ ] { }'.split(' ')),
      fc.constantFrom(
        ' ',
        '\u0000',
        '\u001f',
        'tru',
        'nul',
        'fals',
        'true',
        'null',
        '-0',
        '1e',
        '1e+',
        'NaN',
      ),
      fc.string({ maxLength: 2 }),
    );
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), piece)
      .map(([text, at, how, piece]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
        if (how === 'insert') return text.slice(0, i) + piece + text.slice(i);
        return text.slice(0, i) + piece + text.slice(i + piece.length);
      });
    await fc.assert(
      fc.asyncProperty(mutated, keys, async (text, key) => {
        await agree(text, key);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with JSON.parse on the grammar corners, as the body and as a member value', async () => {
    const corners = [
      ...[
        '+1',
        '01',
        '-01',
        '1.',
        '.5',
        '-',
        '1e',
        '1e+',
        '1E+2',
        '-0',
        '0e0',
        '0.0e-0',
        '2.5E10',
        'NaN',
        'Infinity',
      ],
      ...['"\\x"', '"\\u12"', '"\\u00e9"', '"\\/"', '"\\uD800"', '"a\tb"', '"a\u0001"', '"\u007f"', '"é"'],
      ...['[1,]', '[,1]', '[]', '[[]]', '{}', '{"a":1,}', '{,}', '{"a"}', '{"a":1 "b":2}', '{"a":{}}'],
      ...['tru', 'nul', 'fals', 'true', 'false', 'null', 'True', '{} x', '\uFEFF{}', ' \n\t\r{} \r\n', ''],
    ];
    for (const corner of corners) {
      await agree(corner, 'route');
      await agree(`{"a":1,"route":${corner}}`, 'route');
      await agree(`{"route":[${corner}],"b":2}`, 'route');
      await agree(`{"x":{"y":${corner}},"route":"a"}`, 'route');
    }
  });

  it('reads arbitrary bytes as JSON.parse reads their UTF-8 text', async () => {
    const structural = fc.constantFrom(...'{}[]":,\\ tfn-0.1eE"u'.split('').map((c) => c.charCodeAt(0)));
    const bytes = fc.array(fc.oneof(structural, fc.integer({ min: 0, max: 255 })), { maxLength: 24 });
    await fc.assert(
      fc.asyncProperty(bytes, async (list) => {
        await agree(Uint8Array.from(list), 'route');
        // Inside a string value too, where invalid UTF-8 decodes to U+FFFD and control bytes are refused.
        const inString = Buffer.concat([Buffer.from('{"route":"'), Uint8Array.from(list), Buffer.from('"}')]);
        await agree(inString, 'route');
      }),
      { numRuns: 1000 },
    );
  });

  it('returns undefined for a body that is not an object, after checking it', async () => {
    expect(await peekJsonField(message('["route", 1]'), 'route')).toBeUndefined();
    expect(await peekJsonField(message(' "route" '), 'route')).toBeUndefined();
    expect(await peekJsonField(message('{"a":1}'), 'route')).toBeUndefined();
    await expect(peekJsonField(message('[1,]'), 'route')).rejects.toMatchObject({
      code: 'MEDIARY_JSON_MALFORMED',
      status: 400,
    });
    await expect(peekJsonField(message(''), 'route')).rejects.toMatchObject({
      code: 'MEDIARY_JSON_MALFORMED',
    });
    await expect(peekJsonField(createMessage({ contentType: JSON_TYPE }), 'route')).rejects.toMatchObject({
      code: 'MEDIARY_JSON_MALFORMED',
    });
  });

  it('refuses nesting deeper than the message limit, as json() does', async () => {
    const deep = `{"route":"a","x":${'['.repeat(5)}${']'.repeat(5)}}`;
    const limited = createMessage({
      body: deep,
      contentType: JSON_TYPE,
      limits: { maxBodyBytes: 1024, maxJsonDepth: 5 },
    });
    await expect(peekJsonField(limited, 'route', { validate: true })).rejects.toMatchObject({
      code: 'MEDIARY_JSON_TOO_DEEP',
    });
    // Before the member, the limit holds without validation too; after it, nothing is parsed deeper.
    const deepFirst = `{"x":${'['.repeat(5)}${']'.repeat(5)},"route":"a"}`;
    await expect(
      peekJsonField(
        createMessage({
          body: deepFirst,
          contentType: JSON_TYPE,
          limits: { maxBodyBytes: 1024, maxJsonDepth: 5 },
        }),
        'route',
      ),
    ).rejects.toMatchObject({ code: 'MEDIARY_JSON_TOO_DEEP' });
    expect(await peekJsonField(limited, 'route')).toBe('a');
    const fits = createMessage({
      body: deep,
      contentType: JSON_TYPE,
      limits: { maxBodyBytes: 1024, maxJsonDepth: 6 },
    });
    expect(await peekJsonField(fits, 'route')).toBe('a');
  });

  it('collects the body once and keeps the original bytes for whoever forwards it', async () => {
    const text = '{ "route" : "b", "items": [1, 2, {"route": "a"}] }';
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(text.slice(0, 7));
      yield Buffer.from(text.slice(7));
    }
    const m = createMessage({ body: chunks(), contentType: JSON_TYPE });
    expect(await peekJsonField(m, 'route')).toBe('b');
    expect(m.bodyState).toBe('bytes');
    expect(Buffer.from(await m.bytes()).toString('utf8')).toBe(text);
    expect(await peekJsonField(m, 'items')).toEqual([1, 2, { route: 'a' }]);
  });

  it('reads values set by code, form bodies and XML bodies the way json() does', async () => {
    expect(await peekJsonField(createMessage({ json: { route: 'a', n: 1 } }), 'route')).toBe('a');
    expect(await peekJsonField(message('route=b&x=1', 'application/x-www-form-urlencoded'), 'route')).toBe(
      'b',
    );
    await expect(
      peekJsonField(message('<route>a</route>', 'application/xml'), 'route'),
    ).rejects.toMatchObject({
      code: 'MEDIARY_CONTENT_TYPE_UNSUPPORTED',
    });
    // Without a content type the body is read as JSON, as json() reads it.
    expect(await peekJsonField(message('{"route":"c"}', undefined), 'route')).toBe('c');
  });
});

describe('jsonField', () => {
  it('routes on a top-level field without parsing the rest of the body', async () => {
    const engine = createEngine({ name: 'json-field', logger: silentLogger });
    const route = choice({
      on: jsonField('route'),
      cases: [{ equals: 'a', steps: [setVar('lane', 'a')] }],
      otherwise: [setVar('lane', 'b')],
    });
    const lane = async (body: string) => {
      const exchange = await engine.dispatch(route, message(body));
      if (!exchange.ok) throw exchange.error;
      return exchange.context.vars.lane;
    };
    expect(await lane('{"items":[{"route":"a"}],"route":"a"}')).toBe('a');
    expect(await lane('{"route":"a","route":"b"}')).toBe('b');
    expect(await lane('{"items":[{"route":"a"}]}')).toBe('b');
    const broken = await engine.dispatch(route, message('{"x":,"route":"a"}'));
    expect(!broken.ok && broken.error.code).toBe('MEDIARY_JSON_MALFORMED');
  });

  it('stops at the member when the rest cannot repeat it, and reads on when it might', async () => {
    const tail = `,"items":[${'{"id":1},'.repeat(1000)}{"id":2}],"pad":"x"}`;
    expect(await peekJsonField(message(`{"route":"a"${tail}`), 'route')).toBe('a');
    // What comes after is forwarded unread: a fault there is not this step's business…
    expect(await peekJsonField(message('{"route":"a","items":[1,,]}'), 'route')).toBe('a');
    // …unless the whole body is asked to be valid.
    await expect(
      peekJsonField(message('{"route":"a","items":[1,,]}'), 'route', { validate: true }),
    ).rejects.toMatchObject({ code: 'MEDIARY_JSON_MALFORMED' });
    // A fault before the member is always found, and so is a body cut off after it.
    await expect(peekJsonField(message('{"x":[1,,],"route":"a"}'), 'route')).rejects.toMatchObject({
      code: 'MEDIARY_JSON_MALFORMED',
    });
    await expect(peekJsonField(message('{"route":"a","items":[1,2'), 'route')).rejects.toMatchObject({
      code: 'MEDIARY_JSON_MALFORMED',
    });
    // Anything that could spell the key again makes the scan go on to the end, where the last one wins.
    expect(await peekJsonField(message('{"route":"a","x":1,"route":"b"}'), 'route')).toBe('b');
    expect(await peekJsonField(message('{"route":"a","x":1,"\\u0072oute":"b"}'), 'route')).toBe('b');
    expect(await peekJsonField(message('{"a/b":1,"a\\/b":2}'), 'a/b')).toBe(2);
    await expect(
      peekJsonField(message('{"route":"a","x":[1,,],"route":"b"}'), 'route'),
    ).rejects.toMatchObject({
      code: 'MEDIARY_JSON_MALFORMED',
    });
  });
});
