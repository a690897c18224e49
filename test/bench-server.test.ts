import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonPayload } from '../bench/http/payload.js';
import type { RunningServer } from '../bench/http/server-kit.js';
import { startUpstream } from '../bench/http/upstream.js';
import { checkReply } from '../bench/http/verify.js';
import { startBenchServer } from '../bench/server/main.js';

// The Mediary benchmark server (SCENARIOS.md section 3) must answer exactly as the baselines do before its
// speed means anything.

let upstream: RunningServer;
let mediary: RunningServer;
let parsing: RunningServer;

beforeAll(async () => {
  upstream = await startUpstream({ port: 0 });
  [mediary, parsing] = await Promise.all([
    startBenchServer({ port: 0, upstream: upstream.url }),
    startBenchServer({ port: 0, upstream: upstream.url, cbrMode: 'parse', routes: ['cbr'] }),
  ]);
});

afterAll(async () => {
  await Promise.all([mediary?.close(), parsing?.close()]);
  await upstream?.close();
});

async function post(url: string, body: string | Buffer, contentType = 'application/json') {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe('the Mediary benchmark server', () => {
  for (const size of [1024, 102400]) {
    it(`answers every scenario as the baselines do with a ${size / 1024} KB body`, async () => {
      const a = jsonPayload(size, 'a');
      const b = jsonPayload(size, 'b');
      expect(await checkReply('pass', `${mediary.url}/pass`, a)).toBeUndefined();
      expect(await checkReply('cbr', `${mediary.url}/cbr`, a)).toBeUndefined();
      expect(await checkReply('cbr', `${mediary.url}/cbr`, b)).toBeUndefined();
      expect(await checkReply('cbr', `${parsing.url}/cbr`, a)).toBeUndefined();
      expect(await checkReply('cbr', `${parsing.url}/cbr`, b)).toBeUndefined();
      expect(await checkReply('xml', `${mediary.url}/xml`, a)).toBeUndefined();
    });
  }

  it('streams /pass with the length the client declared, not chunked', async () => {
    const res = await post(`${mediary.url}/pass`, jsonPayload(4096, 'a'));
    expect(res.headers['content-length']).toBe('4096');
    expect(res.headers['transfer-encoding']).toBeUndefined();
  });

  it('routes /cbr on the top-level route field only, the last one when repeated, forwarding the bytes as sent', async () => {
    const nested = '{ "items": [{"route": "a"}], "route" : "b" }';
    const repeated = '{"route":"b","pad":[1,2,3],"\\u0072oute":"a"}';
    const r1 = await post(`${mediary.url}/cbr`, nested);
    const r2 = await post(`${mediary.url}/cbr`, repeated);
    expect([r1.headers['x-route'], r1.body.toString()]).toEqual(['b', nested]);
    expect([r2.headers['x-route'], r2.body.toString()]).toEqual(['a', repeated]);
  });

  it('answers 400 for a /cbr body that is not JSON, without calling the upstream', async () => {
    const res = await post(`${mediary.url}/cbr`, '{"route":"a",');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'MEDIARY_JSON_MALFORMED' } });
  });

  it('answers 413 for a /cbr body declared larger than it collects', async () => {
    const res = await request(`${mediary.url}/cbr`, {
      method: 'POST',
      body: Buffer.alloc(11 * 1024 * 1024, 0x20),
      headers: { 'content-type': 'application/json' },
    });
    await res.body.dump();
    expect(res.statusCode).toBe(413);
  });

  it('converts the /xml reply to XML with the XML content type', async () => {
    const res = await post(`${mediary.url}/xml`, '{"route":"a","n":[1,2]}');
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.body.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><root><route>a</route><n>1</n><n>2</n></root>',
    );
  });

  it('appends its routes to an upstream path prefix, as the memory benchmark needs', async () => {
    const prefixed = await startBenchServer({ port: 0, upstream: `${upstream.url}/sink`, routes: ['pass'] });
    try {
      const res = await post(`${prefixed.url}/pass`, Buffer.alloc(5000));
      expect(JSON.parse(res.body.toString())).toEqual({ bytes: 5000 });
      expect((await post(`${prefixed.url}/xml`, '{}')).status).toBe(404);
    } finally {
      await prefixed.close();
    }
  });
});
