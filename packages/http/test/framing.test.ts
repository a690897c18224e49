import { connect } from 'node:net';
import { respond, setBody } from '@mediary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApi } from '../src/index.js';
import { type Running, rawRequest, startServer } from './server-support.js';

const api = httpApi({
  name: 'framing',
  context: '/',
  resources: [
    { method: 'GET', path: '/ok', steps: [setBody({ ok: true }), respond()] },
    {
      method: 'POST',
      path: '/upload',
      steps: [
        async (ctx) => {
          ctx.message.setJson({ received: (await ctx.message.bytes()).byteLength });
          return 'respond' as const;
        },
      ],
    },
  ],
});

let running: Running;
beforeAll(async () => {
  running = await startServer({ apis: [api] });
});
afterAll(async () => {
  await running.close();
});

async function stillServes(): Promise<void> {
  const reply = await rawRequest(running.port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(reply.status).toBe(200);
}

describe('framing abuse over a raw socket', () => {
  it.each([
    ['a bare CR in a header value', 'GET /ok HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'],
    ['a bare LF splitting a header value', 'GET /ok HTTP/1.1\r\nHost: x\r\nX-A: a\nInjected: 1\r\n\r\n'],
    ['a NUL in a header value', 'GET /ok HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'],
    ['a duplicate Host', 'GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['no Host at all', 'GET /ok HTTP/1.1\r\n\r\n'],
    [
      'Content-Length together with Transfer-Encoding',
      'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
    ['an obsolete folded header line', 'GET /ok HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
    ['a malformed request line', 'GET /ok HTTP/9.9 extra\r\nHost: x\r\n\r\n'],
  ])('answers %s with a 4xx and keeps serving', async (_name, payload) => {
    const reply = await rawRequest(running.port, payload);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.text).not.toMatch(/\n\s+at /);
    await stillServes();
  });

  it('closes the connection, without a 5xx, when a chunked body breaks framing after the route started', async () => {
    const reply = await rawRequest(
      running.port,
      'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz\r\n',
    );
    expect(reply.closed).toBe(true);
    expect(reply.text).not.toMatch(/HTTP\/1\.1 5\d\d/);
    await stillServes();
  });

  it('answers 10 000 headers with 431 and keeps serving', async () => {
    const headers = Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const reply = await rawRequest(running.port, `GET /ok HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    expect(reply.status).toBe(431);
    expect(reply.text).toContain('MEDIARY_HTTP_HEADERS_TOO_LARGE');
    await stillServes();
  });

  it('answers more headers than maxHeadersCount with 431 even when they are small', async () => {
    const headers = Array.from({ length: 300 }, (_, i) => `a${i}:1\r\n`).join('');
    const reply = await rawRequest(running.port, `GET /ok HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    expect(reply.status).toBe(431);
  });

  it('refuses Expect: 100-continue with a declared 1 GiB body with 413, before any 100 Continue', async () => {
    const reply = await rawRequest(
      running.port,
      `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 ** 30}\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(reply.text.startsWith('HTTP/1.1 413')).toBe(true);
    expect(reply.text).not.toContain('100 Continue');
    expect(reply.text).toContain('MEDIARY_BODY_TOO_LARGE');
    expect(reply.closed).toBe(true);
    await stillServes();
  });

  it('sends 100 Continue for an acceptable body and then the reply', async () => {
    const reply = await rawRequest(
      running.port,
      'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n{}',
    );
    expect(reply.text.startsWith('HTTP/1.1 100 Continue')).toBe(true);
    expect(reply.status).toBe(200);
  });

  it('does not send 100 Continue to a request for an unknown path', async () => {
    const reply = await rawRequest(
      running.port,
      'POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n',
    );
    expect(reply.text.startsWith('HTTP/1.1 404')).toBe(true);
  });

  it('answers an expectation it does not know with 417', async () => {
    const reply = await rawRequest(running.port, 'GET /ok HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n');
    expect(reply.status).toBe(417);
    expect(reply.text).toContain('MEDIARY_HTTP_EXPECTATION_FAILED');
  });
});

describe('a body read whole from the socket', () => {
  let small: Running;
  beforeAll(async () => {
    small = await startServer({ apis: [api], limits: { bodyBytes: 16 } });
  });
  afterAll(async () => {
    await small.close();
  });

  it('collects a chunked body sent in pieces', async () => {
    const reply = await rawRequest(
      small.port,
      'POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
    );
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('{"received":7}');
  });

  it('answers a chunked body over the limit with 413 and closes the connection', async () => {
    const reply = await rawRequest(
      small.port,
      `POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n${'a'.repeat(16)}\r\n5\r\nbcdef\r\n`,
    );
    expect(reply.status).toBe(413);
    expect(reply.text).toContain('MEDIARY_BODY_TOO_LARGE');
    expect(reply.closed).toBe(true);
    const ok = await rawRequest(small.port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(ok.status).toBe(200);
  });

  it('keeps serving when a client goes away halfway through its body', async () => {
    const socket = connect({ port: small.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nabcd');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(small.engine.inFlight).toBe(0);
    const ok = await rawRequest(small.port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(ok.status).toBe(200);
  });
});
