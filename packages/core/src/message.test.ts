import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coreErrors, type MediaryError } from './errors.js';
import { Headers } from './headers.js';
import { type BodySource, createMessage, defineBodyView, type Message } from './message.js';

const utf8 = new TextEncoder();

/** A stream body that counts how often it was started and how many chunks were pulled. */
function countingStream(chunks: readonly string[]) {
  const stats = { starts: 0, pulled: 0, finished: false };
  async function* generate(): AsyncGenerator<Uint8Array> {
    stats.starts++;
    try {
      for (const chunk of chunks) {
        stats.pulled++;
        yield utf8.encode(chunk);
      }
    } finally {
      stats.finished = true;
    }
  }
  return { source: generate(), stats };
}

async function drain(source: BodySource): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

async function errorOf(promise: Promise<unknown>): Promise<MediaryError> {
  try {
    await promise;
  } catch (error) {
    return error as MediaryError;
  }
  throw new Error('expected the promise to reject');
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await errorOf(promise)).code;
}

describe('Message headers', () => {
  it('reads, overwrites and deletes headers whatever their case', () => {
    const m = createMessage({ headers: { 'X-Trace-Id': 't1', 'Content-Type': 'application/json' } });
    expect(m.headers.get('x-trace-id')).toBe('t1');
    expect(m.headers.get('X-TRACE-ID')).toBe('t1');
    expect(m.contentType).toBe('application/json');
    m.headers.set('X-Trace-ID', 't2');
    expect(m.headers.get('x-trace-id')).toBe('t2');
    expect(m.headers.size).toBe(2);
    expect(m.headers.has('X-Trace-Id')).toBe(true);
    expect(m.headers.delete('X-TRACE-id')).toBe(true);
    expect(m.headers.has('x-trace-id')).toBe(false);
  });

  it('lower-cases names in toObject() and joins repeated values', () => {
    const h = new Headers({ Accept: ['a/b', 'c/d'], 'X-Skip': undefined });
    expect(h.toObject()).toEqual({ accept: 'a/b, c/d' });
    expect([...new Headers([['X-A', '1']])]).toEqual([['x-a', '1']]);
  });

  it('copies headers so a copy never changes the original', () => {
    const a = new Headers({ 'x-a': '1' });
    const b = new Headers(a);
    b.set('x-a', '2');
    expect(a.get('x-a')).toBe('1');
  });

  it('gives headers named like Object.prototype members as own properties of a plain object', () => {
    const headers = new Headers();
    headers.set('X-Trace', 't-1');
    headers.set('__proto__', 'p');
    headers.set('constructor', 'c');
    const object = headers.toObject();
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['x-trace', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toBe('p');
    expect(object.constructor).toBe('c');
    expect(JSON.stringify(object)).toBe('{"x-trace":"t-1","__proto__":"p","constructor":"c"}');
  });

  it('reads an adopted lower-case record in place, and copies it on the first write', () => {
    const record: Record<string, string | string[] | undefined> = {
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'x-skip': undefined,
    };
    const adopted = Headers.adopt(record);
    expect(adopted.get('Content-Type')).toBe('application/json');
    expect(adopted.get('set-cookie')).toBe('a=1, b=2');
    expect(adopted.has('x-skip')).toBe(false);
    expect(adopted.get('constructor')).toBeUndefined();
    expect(adopted.get('__proto__')).toBeUndefined();
    expect(adopted.size).toBe(2);
    expect([...adopted]).toEqual([
      ['content-type', 'application/json'],
      ['set-cookie', 'a=1, b=2'],
    ]);
    const copy = new Headers(Headers.adopt(record));
    copy.set('x-new', '1');
    copy.delete('content-type');
    expect(record).toEqual({
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'x-skip': undefined,
    });
    expect(copy.toObject()).toEqual({ 'set-cookie': 'a=1, b=2', 'x-new': '1' });
    expect(adopted.toObject()).toEqual({ 'content-type': 'application/json', 'set-cookie': 'a=1, b=2' });
  });

  it('copies a record to adopt whose names are not all lower-case', () => {
    const record = { 'X-Trace': 't1' };
    const adopted = Headers.adopt(record);
    record['X-Trace'] = 'changed';
    expect(adopted.get('x-trace')).toBe('t1');
  });

  it('walks values and names with forEach, in insertion order', () => {
    const seen: string[] = [];
    for (const headers of [
      new Headers({ 'x-a': '1', 'x-b': '2' }),
      Headers.adopt({ 'x-a': '1', 'x-b': '2' }),
    ]) {
      headers.forEach((value, name) => {
        seen.push(`${name}=${value}`);
      });
    }
    expect(seen).toEqual(['x-a=1', 'x-b=2', 'x-a=1', 'x-b=2']);
  });

  it('keeps a copy and its source apart whichever of them is written first, copies of copies too', () => {
    const source = new Headers({ 'x-a': '1', 'x-b': '1' });
    const copy = new Headers(source);
    const copyOfCopy = new Headers(copy);
    source.set('x-a', 'source');
    copy.delete('x-b');
    copyOfCopy.set('x-c', 'deep');
    expect(source.toObject()).toEqual({ 'x-a': 'source', 'x-b': '1' });
    expect(copy.toObject()).toEqual({ 'x-a': '1' });
    expect(copyOfCopy.toObject()).toEqual({ 'x-a': '1', 'x-b': '1', 'x-c': 'deep' });
    expect(copy.delete('x-missing')).toBe(false);
    // After its first write each owns its map: later writes stay its own.
    source.set('x-b', '2');
    copy.set('x-b', '3');
    expect([source.get('x-b'), copy.get('x-b'), copyOfCopy.get('x-b')]).toEqual(['2', '3', '1']);
  });

  it('changes the content-type header through the contentType property', () => {
    const m = createMessage({ text: 'hi' });
    expect(m.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
    m.contentType = 'text/csv';
    expect(m.headers.get('content-type')).toBe('text/csv');
    m.contentType = undefined;
    expect(m.headers.has('content-type')).toBe(false);
  });
});

describe('Message body by content type', () => {
  it('reads an application/json body as JSON, text, bytes and a stream', async () => {
    const m = createMessage({ body: '{"a":[1]}', contentType: 'application/json; charset=utf-8' });
    expect(await m.json()).toEqual({ a: [1] });
    expect(await m.text()).toBe('{"a":[1]}');
    expect(Buffer.from(await m.bytes()).toString()).toBe('{"a":[1]}');
    expect(await drain(m.stream())).toBe('{"a":[1]}');
  });

  it('reads a +json body (application/problem+json) as JSON', async () => {
    const m = createMessage({ body: utf8.encode('{"title":"x"}'), contentType: 'application/problem+json' });
    expect(await m.json()).toEqual({ title: 'x' });
  });

  it('reads a text/* body as text, and as JSON only when the text is JSON', async () => {
    const m = createMessage({ body: 'hello', contentType: 'text/plain' });
    expect(await m.text()).toBe('hello');
    expect(await codeOf(m.json())).toBe('MEDIARY_JSON_MALFORMED');
    const labelled = createMessage({ body: '[1,2]', contentType: 'text/plain' });
    expect(await labelled.json()).toEqual([1, 2]);
  });

  it('refuses to read an application/xml body as JSON or form fields, but gives its text', async () => {
    const m = createMessage({ body: '<a>1</a>', contentType: 'application/xml' });
    const refused = await errorOf(m.json());
    expect(coreErrors.CONTENT_TYPE_UNSUPPORTED.is(refused)).toBe(true);
    expect((refused as { status: number }).status).toBe(415);
    expect(await codeOf(m.form())).toBe('MEDIARY_CONTENT_TYPE_UNSUPPORTED');
    expect(await codeOf(createMessage({ body: '<a/>', contentType: 'text/xml' }).json())).toBe(
      'MEDIARY_CONTENT_TYPE_UNSUPPORTED',
    );
    expect(await m.text()).toBe('<a>1</a>');
  });

  it('reads a form-urlencoded body as fields, from json() and form(), a repeated field as an array', async () => {
    const m = createMessage({ body: 'a=1&b=x%20y&a=3', contentType: 'application/x-www-form-urlencoded' });
    const fields = await m.form();
    expect(fields).toEqual({ a: ['1', '3'], b: 'x y' });
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(await m.json()).toEqual({ a: ['1', '3'], b: 'x y' });
    expect(await m.text()).toBe('a=1&b=x%20y&a=3');
  });

  it('refuses to read a JSON body as form fields', async () => {
    expect(await codeOf(createMessage({ json: { a: 1 } }).form())).toBe('MEDIARY_CONTENT_TYPE_UNSUPPORTED');
  });

  it('keeps a binary body as the same bytes', async () => {
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const m = createMessage({ body: bytes, contentType: 'application/octet-stream' });
    expect(m.bodyState).toBe('bytes');
    expect(await m.bytes()).toBe(bytes);
    const streamed: number[] = [];
    for await (const chunk of m.stream()) streamed.push(...chunk);
    expect(streamed).toEqual([0, 255, 1, 254]);
  });

  it('serialises a JSON value only when somebody asks for text or bytes', async () => {
    const m = createMessage({ json: { a: 'é' } });
    expect(m.contentType).toBe('application/json');
    expect(m.bodyState).toBe('value');
    expect(await m.text()).toBe('{"a":"é"}');
    expect(Buffer.from(await m.bytes()).toString('utf8')).toBe('{"a":"é"}');
  });

  it('says an empty body is empty and refuses to parse it as JSON', async () => {
    const m = createMessage();
    expect(m.isEmpty).toBe(true);
    expect(m.bodyState).toBe('empty');
    expect((await m.bytes()).byteLength).toBe(0);
    expect(await m.text()).toBe('');
    expect(await drain(m.stream())).toBe('');
    expect(await codeOf(m.json())).toBe('MEDIARY_JSON_MALFORMED');
    expect(createMessage({ text: '' }).isEmpty).toBe(true);
    expect(createMessage({ body: new Uint8Array(0) }).isEmpty).toBe(true);
    expect(createMessage({ text: 'x' }).isEmpty).toBe(false);
  });

  it('rejects malformed JSON with a 400 that says why', async () => {
    const error = await errorOf(createMessage({ body: '{"a":', contentType: 'application/json' }).json());
    expect(error.code).toBe('MEDIARY_JSON_MALFORMED');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^The body is not valid JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects JSON nested 100 000 deep with MEDIARY_JSON_TOO_DEEP instead of crashing', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const m = createMessage({ body: deep, contentType: 'application/json' });
    const error = await errorOf(m.json());
    expect(coreErrors.JSON_TOO_DEEP.is(error)).toBe(true);
    expect((error as { status: number }).status).toBe(400);
    // Brackets inside strings do not count as nesting.
    const inString = createMessage({
      body: JSON.stringify({ s: '['.repeat(1000) }),
      contentType: 'application/json',
    });
    expect(await inString.json()).toEqual({ s: '['.repeat(1000) });
  });

  it('honours the maxJsonDepth limit exactly', async () => {
    const limits = { maxBodyBytes: 1024, maxJsonDepth: 3 };
    expect(await createMessage({ body: '[[[1]]]', contentType: 'application/json', limits }).json()).toEqual([
      [[1]],
    ]);
    expect(
      await codeOf(createMessage({ body: '[[[[1]]]]', contentType: 'application/json', limits }).json()),
    ).toBe('MEDIARY_JSON_TOO_DEEP');
  });
});

describe('Message body caching', () => {
  it('parses JSON once and hands every reader the same object', async () => {
    const m = createMessage({ body: '{"a":{"b":1}}', contentType: 'application/json' });
    const first = await m.json();
    expect(await m.json()).toBe(first);
  });

  it('parses once when two readers ask at the same time', async () => {
    const { source } = countingStream(['{"a":', '1}']);
    const m = createMessage({ body: source, contentType: 'application/json' });
    const [a, b] = await Promise.all([m.json(), m.json()]);
    expect(a).toBe(b);
  });

  it('reads a stream body twice by collecting it once', async () => {
    const { source, stats } = countingStream(['{"n"', ':', '42}']);
    const m = createMessage({ body: source, contentType: 'application/json' });
    expect(m.bodyState).toBe('stream');
    expect(await m.text()).toBe('{"n":42}');
    expect(await m.json()).toEqual({ n: 42 });
    expect(Buffer.from(await m.bytes()).toString()).toBe('{"n":42}');
    expect(await drain(m.stream())).toBe('{"n":42}');
    expect(await drain(m.stream())).toBe('{"n":42}');
    expect(stats).toEqual({ starts: 1, pulled: 3, finished: true });
  });

  it('hands an unread stream over as it is, and then refuses a second read', async () => {
    const { source, stats } = countingStream(['a', 'b']);
    const m = createMessage({ body: source });
    expect(m.stream()).toBe(source);
    expect(stats.starts).toBe(0);
    expect(() => m.stream()).toThrow(expect.objectContaining({ code: 'MEDIARY_BODY_CONSUMED' }));
    expect(await codeOf(m.text())).toBe('MEDIARY_BODY_CONSUMED');
  });

  it('turns a failing stream into MEDIARY_BODY_READ with the cause', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield utf8.encode('{');
      throw new Error('socket hang up');
    }
    const error = await errorOf(createMessage({ body: broken(), contentType: 'application/json' }).json());
    expect(error.code).toBe('MEDIARY_BODY_READ');
    expect(error.status).toBe(400);
    expect((error.cause as Error).message).toBe('socket hang up');
  });
});

describe('Message body limits', () => {
  const limits = { maxBodyBytes: 1000, maxJsonDepth: 128 };

  it('stops reading a body over maxBodyBytes with MEDIARY_BODY_TOO_LARGE', async () => {
    const stats = { pulled: 0, finished: false };
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          stats.pulled++;
          yield new Uint8Array(100);
        }
      } finally {
        stats.finished = true;
      }
    }
    const m = createMessage({ body: endless(), limits });
    const error = await errorOf(m.bytes());
    expect(error.code).toBe('MEDIARY_BODY_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(stats.pulled).toBe(11);
    expect(stats.finished).toBe(true);
    // The failure is remembered: a second reader gets the same error and nothing more is pulled.
    expect(await codeOf(m.text())).toBe('MEDIARY_BODY_TOO_LARGE');
    expect(stats.pulled).toBe(11);
  });

  it('destroys a Node stream that is too large', async () => {
    const readable = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) yield Buffer.alloc(100);
      })(),
    );
    const m = createMessage({ body: readable, limits });
    expect(await codeOf(m.json())).toBe('MEDIARY_BODY_TOO_LARGE');
    expect(readable.destroyed).toBe(true);
  });

  it('accepts a body of exactly maxBodyBytes', async () => {
    async function* exact(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) yield new Uint8Array(100);
    }
    expect((await createMessage({ body: exact(), limits }).bytes()).byteLength).toBe(1000);
  });
});

describe('Message setters', () => {
  it('replaces the body with setJson, setText and setBody, and drops a stale content-length', async () => {
    const m = createMessage({ body: 'a=1', headers: { 'content-length': '3' } });
    m.setJson({ b: 2 });
    expect(m.headers.has('content-length')).toBe(false);
    expect(m.contentType).toBe('application/json');
    expect(await m.json()).toEqual({ b: 2 });
    expect(await m.text()).toBe('{"b":2}');

    m.setText('plain');
    expect(m.contentType).toBe('text/plain; charset=utf-8');
    expect(await m.text()).toBe('plain');

    m.setText('<x/>', 'application/xml');
    expect(m.contentType).toBe('application/xml');

    m.setBody(new Uint8Array([1, 2]), 'application/octet-stream');
    expect(m.bodyState).toBe('bytes');
    expect([...(await m.bytes())]).toEqual([1, 2]);

    m.setBody('kept type');
    expect(m.contentType).toBe('application/octet-stream');
    expect(await m.text()).toBe('kept type');

    m.setBody(undefined);
    expect(m.isEmpty).toBe(true);
  });

  it('drops the cached parse and views when the body is replaced', async () => {
    const m = createMessage({ json: { v: 1 } });
    const view = defineBodyView('keys', async (msg: Message) => Object.keys((await msg.json()) as object));
    expect(await m.view(view)).toEqual(['v']);
    m.setJson({ w: 1 });
    expect(await m.json()).toEqual({ w: 1 });
    expect(await m.view(view)).toEqual(['w']);
  });

  it('replaces an unread stream without reading it', async () => {
    const { source, stats } = countingStream(['x']);
    const m = createMessage({ body: source });
    m.setJson([1]);
    expect(await m.json()).toEqual([1]);
    expect(stats.starts).toBe(0);
  });
});

describe('Message clones', () => {
  it('share the body and its parsed value, but not headers or status', async () => {
    const m = createMessage({ json: { a: 1 }, headers: { 'x-a': '1' }, status: 201 });
    const copy = m.clone();
    expect(await copy.json()).toBe(await m.json());
    expect(copy.status).toBe(201);
    copy.headers.set('x-a', '2');
    copy.status = 500;
    expect(m.headers.get('x-a')).toBe('1');
    expect(m.status).toBe(201);
  });

  it('keep their own body once one of them sets a new one', async () => {
    const m = createMessage({ json: { a: 1 } });
    const copy = m.clone();
    copy.setJson({ b: 2 });
    expect(await m.json()).toEqual({ a: 1 });
    expect(await copy.json()).toEqual({ b: 2 });
  });

  it('collect a shared stream once, so each copy can read it and stream it', async () => {
    const { source, stats } = countingStream(['he', 'llo']);
    const m = createMessage({ body: source, contentType: 'text/plain' });
    const copy = m.clone();
    expect(await drain(copy.stream())).toBe('hello');
    expect(await drain(m.stream())).toBe('hello');
    expect(await m.text()).toBe('hello');
    expect(stats.starts).toBe(1);
  });

  it('share a parsed view', async () => {
    let parses = 0;
    const view = defineBodyView('upper', async (msg: Message) => {
      parses++;
      return (await msg.text()).toUpperCase();
    });
    const m = createMessage({ text: 'abc' });
    expect(await m.view(view)).toBe('ABC');
    expect(await m.clone().view(view)).toBe('ABC');
    expect(parses).toBe(1);
  });
});

describe('Message views', () => {
  it('parse a view once and serve it from the cache', async () => {
    let parses = 0;
    const view = defineBodyView('length', async (msg: Message) => {
      parses++;
      return (await msg.text()).length;
    });
    const m = createMessage({ text: 'four' });
    const [a, b] = await Promise.all([m.view(view), m.view(view)]);
    expect([a, b, await m.view(view)]).toEqual([4, 4, 4]);
    expect(parses).toBe(1);
  });

  it('re-throw a failed view on every read instead of caching a stale failure', async () => {
    let parses = 0;
    const view = defineBodyView('strict', async () => {
      parses++;
      throw coreErrors.CONTENT_TYPE_UNSUPPORTED({ contentType: 'text/plain', as: 'strict' });
    });
    const m = createMessage({ text: 'x' });
    expect(await codeOf(m.view(view))).toBe('MEDIARY_CONTENT_TYPE_UNSUPPORTED');
    expect(await codeOf(m.view(view))).toBe('MEDIARY_CONTENT_TYPE_UNSUPPORTED');
    expect(parses).toBe(2);
  });
});
