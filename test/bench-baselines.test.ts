import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as startCbr } from '../bench/http/baseline-cbr.js';
import { start as startPass } from '../bench/http/baseline-pass.js';
import { start as startXml } from '../bench/http/baseline-xml.js';
import { jsonPayload } from '../bench/http/payload.js';
import type { RunningServer } from '../bench/http/server-kit.js';
import { startUpstream } from '../bench/http/upstream.js';
import { checkReply } from '../bench/http/verify.js';
import { xmlToJson } from '../bench/http/xml.js';

// Functional checks only: the benchmark's servers must answer correctly before their speed means anything.

let upstream: RunningServer;
let pass: RunningServer;
let cbr: RunningServer;
let xml: RunningServer;

beforeAll(async () => {
  upstream = await startUpstream({ port: 0 });
  [pass, cbr, xml] = await Promise.all([
    startPass({ port: 0, upstream: upstream.url }),
    startCbr({ port: 0, upstream: upstream.url }),
    startXml({ port: 0, upstream: upstream.url }),
  ]);
});

afterAll(async () => {
  await Promise.all([pass?.close(), cbr?.close(), xml?.close()]);
  await upstream?.close();
});

async function post(url: string, body: string | Buffer, contentType = 'application/json') {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe('the upstream', () => {
  it('echoes the request body with its content type on /echo', async () => {
    const res = await post(`${upstream.url}/echo`, '<a>1</a>', 'text/xml');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/xml');
    expect(res.body.toString()).toBe('<a>1</a>');
    expect(res.headers['x-route']).toBeUndefined();
  });

  it('echoes on /route/a and /route/b and names the route in x-route', async () => {
    const a = await post(`${upstream.url}/route/a`, '{"route":"a"}');
    const b = await post(`${upstream.url}/route/b`, '{"route":"b"}');
    expect([a.headers['x-route'], a.body.toString()]).toEqual(['a', '{"route":"a"}']);
    expect([b.headers['x-route'], b.body.toString()]).toEqual(['b', '{"route":"b"}']);
  });

  it('streams n bytes from /bytes?n= and from /bytes/n/<anything>', async () => {
    const query = await request(`${upstream.url}/bytes?n=200000`);
    const suffix = await request(`${upstream.url}/bytes/7/echo`, { method: 'POST', body: 'ignored' });
    expect((await query.body.arrayBuffer()).byteLength).toBe(200000);
    expect((await suffix.body.arrayBuffer()).byteLength).toBe(7);
  });

  it('counts what it receives on /sink', async () => {
    const res = await post(`${upstream.url}/sink/echo`, Buffer.alloc(12345));
    expect(JSON.parse(res.body.toString())).toEqual({ bytes: 12345 });
  });

  it('answers 404 elsewhere', async () => {
    expect((await post(`${upstream.url}/nope`, '{}')).status).toBe(404);
  });
});

describe('the baselines', () => {
  for (const size of [1024, 102400]) {
    it(`answer every scenario correctly with a ${size / 1024} KB body`, async () => {
      const body = jsonPayload(size, 'a');
      expect(body.length).toBe(size);
      expect(await checkReply('pass', `${pass.url}/pass`, body)).toBeUndefined();
      expect(await checkReply('cbr', `${cbr.url}/cbr`, body)).toBeUndefined();
      expect(await checkReply('cbr', `${cbr.url}/cbr`, jsonPayload(size, 'b'))).toBeUndefined();
      expect(await checkReply('xml', `${xml.url}/xml`, body)).toBeUndefined();
    });
  }

  it('pass streams: the reply starts before the request body has ended', async () => {
    const body = new PassThrough();
    body.write('{"first":');
    const res = await request(`${pass.url}/pass`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    const reader = res.body[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Buffer).toString()).toBe('{"first":');
    body.end('1}');
    let rest = '';
    for (let next = await reader.next(); !next.done; next = await reader.next()) rest += String(next.value);
    expect(rest).toBe('1}');
  });

  it('cbr forwards the original bytes, not a re-serialisation, and routes on route === "a" only', async () => {
    const spaced = '{ "route" : "a" ,\n  "price": 1.50 }';
    const a = await post(`${cbr.url}/cbr`, spaced);
    const other = await post(`${cbr.url}/cbr`, '{"route":"c"}');
    const missing = await post(`${cbr.url}/cbr`, '[1,2]');
    expect([a.headers['x-route'], a.body.toString()]).toEqual(['a', spaced]);
    expect(other.headers['x-route']).toBe('b');
    expect(missing.headers['x-route']).toBe('b');
  });

  it('cbr rejects a body that is not JSON with 400 and calls no upstream', async () => {
    const res = await post(`${cbr.url}/cbr`, '{"route":');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'BENCH_INVALID_JSON' } });
  });

  it('xml answers application/xml that holds the JSON data', async () => {
    const res = await post(`${xml.url}/xml`, '{"route":"a","items":[{"id":1},{"id":2}],"note":"a < b & c"}');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.body.toString()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><root>/);
    expect(xmlToJson(res.body.toString())).toEqual({
      '?xml': '',
      root: { route: 'a', items: [{ id: 1 }, { id: 2 }], note: 'a < b & c' },
    });
  });

  it('xml answers 502 when the upstream reply is not JSON', async () => {
    const res = await post(`${xml.url}/xml`, 'not json', 'text/plain');
    expect(res.status).toBe(502);
  });

  it('answer 404 to any other route', async () => {
    expect((await post(`${pass.url}/cbr`, '{}')).status).toBe(404);
    expect((await post(`${cbr.url}/pass`, '{}')).status).toBe(404);
    expect((await post(`${xml.url}/`, '{}')).status).toBe(404);
  });

  it('pass answers 502 when the upstream is unreachable', async () => {
    const gone = await startUpstream({ port: 0 });
    await gone.close();
    const orphan = await startPass({ port: 0, upstream: gone.url });
    try {
      const res = await post(`${orphan.url}/pass`, '{}');
      expect(res.status).toBe(502);
    } finally {
      await orphan.close();
    }
  });
});
