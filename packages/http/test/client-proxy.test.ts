/**
 * The endpoint behind the package's own server: a request body streams from the client through a route to
 * the backend, and the reply streams back, neither buffered — the "direct proxy" scenario end to end.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { call, createEngine, type Engine, respond, silentLogger } from '@mediary/core';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { httpEndpoint } from '../src/client/index.js';
import { httpApi, httpServer } from '../src/index.js';
import { closeAll, sendJson, signal, startBackend, track } from './client-support.js';

const SIZE = Math.min(Number(process.env.MEDIARY_BIG_BYTES ?? 1024 * 1024 * 1024), 256 * 1024 * 1024);

afterEach(closeAll);

async function* generate(total: number, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for (let sent = 0, index = 0; sent < total; index++) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, total - sent), index % 251);
    hash.update(chunk);
    sent += chunk.length;
    yield chunk;
  }
}

async function startProxy(backendUrl: string): Promise<{ engine: Engine; url: string }> {
  const api = httpApi({
    name: 'proxy',
    context: '/',
    resources: [
      { method: 'POST', path: '/pass', steps: [call('echo'), respond()] },
      { method: 'GET', path: '/doctors/{category}', steps: [call('doctors'), respond()] },
    ],
  });
  const server = httpServer({ port: 0, host: '127.0.0.1', apis: [api] });
  const engine = createEngine({ logger: silentLogger, plugins: [server] });
  engine.addEndpoint(httpEndpoint({ name: 'echo', url: `${backendUrl}/echo`, maxReplyBytes: SIZE }));
  engine.addEndpoint(httpEndpoint({ name: 'doctors', url: `${backendUrl}/healthcare/{category}` }));
  await engine.start();
  track({ close: () => engine.stop({ timeoutMs: 1000 }) });
  return { engine, url: server.url };
}

describe('httpEndpoint behind the HTTP server', () => {
  it(`streams ${SIZE} bytes from a client through a route to the backend and back`, {
    timeout: 120_000,
  }, async () => {
    const backend = await startBackend((req, res) => {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
      req.pipe(res);
    });
    const { url } = await startProxy(backend.url);
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let bytes = 0;

    const reply = await request(`${url}/pass`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      // undici streams any async iterable; its types only name Readable.
      body: generate(SIZE, sent) as unknown as Readable,
    });
    for await (const chunk of reply.body) {
      received.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }

    expect(reply.statusCode).toBe(200);
    expect(bytes).toBe(SIZE);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('passes a backend error status and body through to the client', async () => {
    const backend = await startBackend((req, res) => sendJson(res, 404, { missing: req.url }));
    const { url } = await startProxy(backend.url);

    const reply = await request(`${url}/doctors/astrology`);

    expect(reply.statusCode).toBe(404);
    expect(await reply.body.json()).toEqual({ missing: '/healthcare/astrology' });
  });

  it('cancels the backend request when the client goes away', async () => {
    const arrived = signal();
    const closed = signal();
    const backend = await startBackend((_req, res) => {
      arrived.resolve();
      res.on('close', () => closed.resolve());
    });
    const { url } = await startProxy(backend.url);
    const client = new AbortController();

    const pending = request(`${url}/doctors/surgery`, { signal: client.signal }).catch(
      (error: unknown) => error,
    );
    await arrived.promise;
    client.abort();
    await pending;

    await closed.promise;
  });
});
