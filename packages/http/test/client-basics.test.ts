import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import {
  call,
  type Endpoint,
  type Exchange,
  type MessageInit,
  respond,
  setVar,
  type TransportInfo,
} from '@mediary/core';
import { createHarness, type Harness } from '@mediary/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpEndpointOptions, httpEndpoint } from '../src/client/index.js';
import { closeAll, readText, sendJson, startBackend, track } from './client-support.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let h: Harness;

beforeEach(async () => {
  h = track(await createHarness());
});

afterEach(closeAll);

function endpoint(options: HttpEndpointOptions) {
  return track(httpEndpoint(options));
}

/** A backend that records what it received and answers `{ ok: true }` (or what `reply` says). */
async function recordingBackend(reply?: (seen: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const backend = await startBackend(async (req, res) => {
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: await readText(req),
    };
    seen.push(entry);
    if (reply) reply(entry, res);
    else sendJson(res, 200, { ok: true });
  });
  return { ...backend, seen };
}

function httpTransport(method: string, params: Record<string, string> = {}): TransportInfo {
  return { name: 'http', params, query: {}, props: { method } };
}

function send(target: Endpoint, input: MessageInit = {}, transport?: TransportInfo): Promise<Exchange> {
  return h.send([call(target), respond()], input, transport ? { transport } : {});
}

function failed(result: Exchange) {
  if (result.ok) throw new Error('expected the exchange to fail');
  return result.error;
}

describe('httpEndpoint: requests and replies', () => {
  it('GETs JSON and returns it unread, with the backend status and headers', async () => {
    const backend = await startBackend((req, res) => {
      sendJson(res, 200, [{ name: 'thomas collins', path: req.url }]);
    });
    const doctors = endpoint({ name: 'doctors', url: `${backend.url}/healthcare/{category}` });

    const result = await send(doctors, {}, httpTransport('GET', { category: 'surgery' }));

    expect(result.ok).toBe(true);
    expect(result.message.status).toBe(200);
    expect(result.message.contentType).toBe('application/json');
    expect(result.message.bodyState).toBe('stream');
    expect(await result.message.json()).toEqual([{ name: 'thomas collins', path: '/healthcare/surgery' }]);
  });

  it('POSTs a JSON body unchanged, fills variables before path parameters, and computes content-length', async () => {
    const backend = await recordingBackend();
    const reserve = endpoint({
      name: 'reserve',
      url: `${backend.url}/{hospitalId}/categories/{category}/reserve`,
    });
    const order = { patient: { name: 'John Doe' }, doctor: 'thomas collins', hospital_id: 'clemency' };

    const result = await h.send(
      [setVar('hospitalId', 'clemency'), call(reserve), respond()],
      { json: order },
      {
        transport: {
          name: 'direct',
          params: { hospitalId: 'grandoaks', category: 'surgery' },
          query: {},
          props: {},
        },
      },
    );

    expect(result.ok).toBe(true);
    expect(await result.message.json()).toEqual({ ok: true });
    const [request] = backend.seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/clemency/categories/surgery/reserve');
    expect(JSON.parse(request?.body ?? '')).toEqual(order);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(order))));
  });

  it('uses the inbound HTTP method by default, GET without a body elsewhere, and the configured method when set', async () => {
    const backend = await recordingBackend();
    const plain = endpoint({ name: 'plain', url: `${backend.url}/x` });
    const put = endpoint({ name: 'put', url: `${backend.url}/x`, method: 'put' });

    await send(plain, { text: 'a' }, httpTransport('PATCH'));
    await send(plain, {});
    await send(put, { text: 'b' }, httpTransport('POST'));

    expect(backend.seen.map((s) => `${s.method} ${s.body}`)).toEqual(['PATCH a', 'GET ', 'PUT b']);
  });

  it('sends no body for an inbound GET whose stream declares no length', async () => {
    const backend = await recordingBackend();
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });
    async function* nothing(): AsyncGenerator<Uint8Array> {}

    await send(target, { body: nothing() }, httpTransport('GET'));

    const headers = backend.seen[0]?.headers ?? {};
    expect([backend.seen[0]?.method, headers['transfer-encoding'], headers['content-length']]).toEqual([
      'GET',
      undefined,
      undefined,
    ]);
  });

  it('keeps connections to the backend alive between calls, within the pool size', async () => {
    const ports: number[] = [];
    const backend = await startBackend((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      sendJson(res, 200, {});
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x`, pool: { connections: 1 } });

    for (let i = 0; i < 3; i++) await (await send(target)).message.bytes();

    expect(new Set(ports).size).toBe(1);
  });

  it('forwards end-to-end headers but never hop-by-hop ones or host, and adds the correlation id', async () => {
    const backend = await recordingBackend();
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    await send(target, {
      text: 'hi',
      headers: {
        host: 'inbound.example',
        connection: 'keep-alive, x-private-hop',
        'x-private-hop': 'secret',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'content-length': '999',
        'x-custom': 'kept',
      },
    });

    const headers = backend.seen[0]?.headers ?? {};
    expect(headers['x-custom']).toBe('kept');
    expect(headers.host).toBe(`127.0.0.1:${backend.port}`);
    expect(headers['content-length']).toBe('2');
    expect(headers['x-correlation-id']).toMatch(/^[\w.:-]+$/);
    for (const name of ['x-private-hop', 'te', 'upgrade', 'proxy-authorization'])
      expect(headers[name]).toBeUndefined();
  });

  it('keeps reply headers named like Object.prototype members, as any other name', async () => {
    const backend = await recordingBackend((_seen, res) => {
      res.setHeader('__proto__', 'from-backend');
      res.setHeader('constructor', 'also');
      sendJson(res, 200, { ok: true });
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const result = await send(target, { text: 'hi' });

    expect(result.ok && result.message.headers.get('__proto__')).toBe('from-backend');
    expect(result.ok && result.message.headers.get('constructor')).toBe('also');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('forwards only the listed headers, or none, but always the content type of the body it sends', async () => {
    const backend = await recordingBackend();
    const listed = endpoint({ name: 'listed', url: `${backend.url}/x`, forwardHeaders: ['X-A'] });
    const none = endpoint({ name: 'none', url: `${backend.url}/x`, forwardHeaders: false });
    const input = { json: { a: 1 }, headers: { 'x-a': '1', 'x-b': '2' } };

    await send(listed, input);
    await send(none, input);

    const [first, second] = backend.seen.map((s) => s.headers);
    expect([first?.['x-a'], first?.['x-b'], first?.['content-type']]).toEqual([
      '1',
      undefined,
      'application/json',
    ]);
    expect([second?.['x-a'], second?.['x-b'], second?.['content-type']]).toEqual([
      undefined,
      undefined,
      'application/json',
    ]);
  });

  it('adds configured headers, evaluating expressions on every call', async () => {
    const backend = await recordingBackend();
    let n = 0;
    const target = endpoint({
      name: 'target',
      url: `${backend.url}/x`,
      headers: { 'X-Fixed': 'f', 'x-call': () => String(++n), 'x-custom': 'configured wins' },
    });

    await send(target, { headers: { 'x-custom': 'inbound' } });
    await send(target, {});

    expect(
      backend.seen.map((s) => [s.headers['x-fixed'], s.headers['x-call'], s.headers['x-custom']]),
    ).toEqual([
      ['f', '1', 'configured wins'],
      ['f', '2', 'configured wins'],
    ]);
  });

  it('drops hop-by-hop headers from the reply and keeps the rest', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeHead(201, { connection: 'x-hop', 'x-hop': 'h', 'x-kept': 'k', 'content-type': 'text/plain' });
      res.end('made');
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const result = await send(target);

    expect(result.message.status).toBe(201);
    expect(result.message.headers.get('x-kept')).toBe('k');
    expect(result.message.headers.has('x-hop')).toBe(false);
    expect(result.message.headers.has('connection')).toBe(false);
    expect(result.message.headers.has('transfer-encoding')).toBe(false);
    expect(await result.message.text()).toBe('made');
  });

  it('returns an empty message for HEAD and for 204', async () => {
    const backend = await startBackend((req, res) => {
      if (req.url === '/none') res.writeHead(204).end();
      else sendJson(res, 200, { big: 'x'.repeat(100) });
    });
    const head = endpoint({ name: 'head', url: `${backend.url}/x`, method: 'HEAD' });
    const none = endpoint({ name: 'none', url: `${backend.url}/none` });

    const [a, b] = [await send(head), await send(none)];

    expect([a.message.status, a.message.isEmpty]).toEqual([200, true]);
    expect([b.message.status, b.message.isEmpty]).toEqual([204, true]);
  });

  it('fails with MEDIARY_HTTP_URI_VARIABLE and calls nobody when a template variable has no value', async () => {
    const backend = await recordingBackend();
    const target = endpoint({ name: 'target', url: `${backend.url}/{hospitalId}/fee` });

    const error = failed(await send(target));

    expect(error.code).toBe('MEDIARY_HTTP_URI_VARIABLE');
    expect(backend.seen).toHaveLength(0);
  });

  it('leaves a stream body unread when the call fails before anything is sent', async () => {
    const backend = await recordingBackend();
    const target = endpoint({ name: 'target', url: `${backend.url}/{missing}` });
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('still here');
    }

    const result = await send(target, { body: body(), headers: { 'content-length': '10' } });

    expect(failed(result).code).toBe('MEDIARY_HTTP_URI_VARIABLE');
    expect(result.message.bodyState).toBe('stream');
    expect(await result.message.text()).toBe('still here');
  });

  it('refuses URLs with variables in the host, credentials, or another scheme when created', () => {
    for (const url of [
      'http://{host}/x',
      'http://user:pw@127.0.0.1/x',
      'ftp://127.0.0.1/x',
      'http://127.0.0.1/{x',
    ]) {
      expect(() => httpEndpoint({ name: 'bad', url }), url).toThrow(
        expect.objectContaining({ code: 'MEDIARY_HTTP_URL_INVALID' }),
      );
    }
  });
});

describe('httpEndpoint: path safety', () => {
  it('keeps ../ in a variable inside the base path, and refuses a value that is a whole . or .. segment', async () => {
    const backend = await recordingBackend();
    const simple = endpoint({ name: 'simple', url: `${backend.url}/base/{id}/fee` });
    const reserved = endpoint({ name: 'reserved', url: `${backend.url}/files/{+path}` });

    for (const id of ['../../admin', '%2e%2e', '/admin']) {
      await h.send([call(simple), respond()], {}, { vars: { id } });
    }
    for (const id of ['..', '.']) {
      const refused = await h.send([call(simple), respond()], {}, { vars: { id } });
      expect(refused.ok || refused.error.code).toBe('MEDIARY_HTTP_PATH_VALUE_UNSAFE');
    }
    const refused = await h.send([call(reserved), respond()], {}, { vars: { path: '../../admin/./x' } });
    expect(refused.ok || refused.error.status).toBe(400);

    expect(backend.seen.map((s) => s.url)).toEqual([
      '/base/..%2F..%2Fadmin/fee',
      '/base/%252e%252e/fee',
      '/base/%2Fadmin/fee',
    ]);
  });
});

describe('httpEndpoint: backend error statuses', () => {
  it('returns a 4xx or 5xx reply as a message with that status by default', async () => {
    const backend = await startBackend((_req, res) => sendJson(res, 404, { error: 'no appointment' }));
    const fee = endpoint({ name: 'fee', url: `${backend.url}/fee` });

    const result = await send(fee);

    expect(result.ok).toBe(true);
    expect(result.message.status).toBe(404);
    expect(await result.message.json()).toEqual({ error: 'no appointment' });
  });

  it('with failOnStatus fails with MEDIARY_HTTP_STATUS carrying the status and the start of the body', async () => {
    const backend = await startBackend((req, res) => {
      const status = Number(req.url?.slice(1));
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 500 ? 'x'.repeat(100_000) : `status ${status}`);
    });
    const strict = endpoint({ name: 'strict', url: `${backend.url}/{status}`, failOnStatus: true });
    const run = (status: number) => h.send([call(strict), respond()], {}, { vars: { status } });

    const errors = await Promise.all([404, 429, 500, 503].map(async (status) => failed(await run(status))));
    const ok = await run(200);

    expect(errors.map((e) => [e.code, e.status, e.retryable])).toEqual([
      ['MEDIARY_HTTP_STATUS', 404, false],
      ['MEDIARY_HTTP_STATUS', 429, true],
      ['MEDIARY_HTTP_STATUS', 500, true],
      ['MEDIARY_HTTP_STATUS', 503, true],
    ]);
    expect(errors[0]?.details).toMatchObject({ status: 404, body: 'status 404' });
    expect(String(errors[2]?.details.body).length).toBeLessThanOrEqual(1001);
    expect(ok.ok && (await ok.message.text())).toBe('status 200');
  });
});

describe('httpEndpoint: authentication', () => {
  it('sends basic credentials', async () => {
    const backend = await recordingBackend();
    const target = endpoint({
      name: 'target',
      url: `${backend.url}/x`,
      auth: { basic: { username: 'mediary', password: 'p@ss:word' } },
    });

    await send(target, { headers: { authorization: 'Bearer inbound' } });

    expect(backend.seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('mediary:p@ss:word').toString('base64')}`,
    );
  });

  it('evaluates a bearer token expression on every call', async () => {
    const backend = await recordingBackend();
    const target = endpoint({
      name: 'target',
      url: `${backend.url}/x`,
      auth: { bearer: (ctx) => String(ctx.vars.token) },
    });

    await h.send([call(target), respond()], {}, { vars: { token: 't1' } });
    await h.send([call(target), respond()], {}, { vars: { token: 't2' } });

    expect(backend.seen.map((s) => s.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('sends configured headers, constant or computed, and lets its credential win over them', async () => {
    const backend = await recordingBackend();
    const target = endpoint({
      name: 'target',
      url: `${backend.url}/x`,
      headers: {
        'X-Constant': 'c',
        'X-Computed': async (ctx) => `v-${String(ctx.vars.n)}`,
        Authorization: () => 'Bearer configured',
      },
      auth: { bearer: 'endpoint-token' },
    });

    await h.send([call(target), respond()], {}, { vars: { n: 7 } });

    expect(backend.seen[0]?.headers).toMatchObject({
      'x-constant': 'c',
      'x-computed': 'v-7',
      authorization: 'Bearer endpoint-token',
    });
  });
});

describe('httpEndpoint: redirects', () => {
  it('does not follow redirects by default', async () => {
    const backend = await recordingBackend((seen, res) => {
      if (seen.url === '/old') res.writeHead(302, { location: '/new' }).end();
      else sendJson(res, 200, { at: seen.url });
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/old` });

    const result = await send(target);

    expect(result.message.status).toBe(302);
    expect(result.message.headers.get('location')).toBe('/new');
    expect(backend.seen).toHaveLength(1);
  });

  it('follows redirects when configured: 303 turns into a GET, 307 repeats the method and body', async () => {
    const backend = await recordingBackend((seen, res) => {
      if (seen.url === '/a') res.writeHead(307, { location: '/b' }).end();
      else if (seen.url === '/b') res.writeHead(303, { location: '/c' }).end();
      else sendJson(res, 200, { at: seen.url });
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/a`, followRedirects: 3 });

    const result = await send(target, { json: { n: 1 } });

    expect(await result.message.json()).toEqual({ at: '/c' });
    expect(backend.seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'POST /a {"n":1}',
      'POST /b {"n":1}',
      'GET /c ',
    ]);
  });

  it('returns the last redirect when there are more than it may follow', async () => {
    const backend = await recordingBackend((seen, res) => {
      res.writeHead(302, { location: `${seen.url}x` }).end();
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/r`, followRedirects: 2 });

    const result = await send(target);

    expect(result.message.status).toBe(302);
    expect(backend.seen.map((s) => s.url)).toEqual(['/r', '/rx', '/rxx']);
  });

  it('keeps credentials on the same origin and drops them when a redirect leaves it', async () => {
    const other = await recordingBackend();
    const origin = await recordingBackend((seen, res) => {
      if (seen.url === '/start') res.writeHead(302, { location: '/same' }).end();
      else res.writeHead(302, { location: `${other.url}/elsewhere` }).end();
    });
    const target = endpoint({
      name: 'target',
      url: `${origin.url}/start`,
      followRedirects: 5,
      auth: { bearer: 'secret-token' },
    });

    const result = await send(target, { headers: { cookie: 'session=1', 'x-trace': 't' } });

    expect(await result.message.json()).toEqual({ ok: true });
    expect(origin.seen.map((s) => [s.url, s.headers.authorization, s.headers.cookie])).toEqual([
      ['/start', 'Bearer secret-token', 'session=1'],
      ['/same', 'Bearer secret-token', 'session=1'],
    ]);
    const away = other.seen[0]?.headers ?? {};
    expect([away.authorization, away.cookie, away['x-trace']]).toEqual([undefined, undefined, 't']);
  });
});
