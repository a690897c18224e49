/**
 * Issue acceptance: a 1 GiB request through a pass-through route reaches the backend intact, and so does a
 * 1 GiB reply to the client — checksums compared on both sides, memory bounded. Bytes are generated lazily
 * and hashed as they pass, so the test itself holds no more than a chunk.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { call, createEngine, type Engine, respond, silentLogger } from '@mediary/core';
import { httpApi, httpEndpoint, httpServer } from '@mediary/http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const GIB = 1024 * 1024 * 1024;
const SIZE = Number(process.env.MEDIARY_BIG_BYTES ?? GIB);
const CHUNK = 64 * 1024;

function* chunks(total: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  for (let sent = 0, index = 0; sent < total; index++) {
    const chunk = Buffer.alloc(Math.min(CHUNK, total - sent), index % 251);
    hash.update(chunk);
    sent += chunk.length;
    yield chunk;
  }
}

async function* lazily(total: number, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  yield* chunks(total, hash);
}

describe('pass-through of 1 GiB bodies through a route', () => {
  let backend: Server;
  let engine: Engine;
  let url = '';
  let producedReply = '';
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);

  beforeAll(async () => {
    backend = createServer((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
        });
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
        });
        return;
      }
      const hash = createHash('sha256');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
      const source = chunks(SIZE, hash);
      const pump = () => {
        for (let next = source.next(); !next.done; next = source.next()) {
          if (!res.write(next.value)) {
            res.once('drain', pump);
            return;
          }
        }
        producedReply = hash.digest('hex');
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

    const server = httpServer({
      port: 0,
      apis: [
        httpApi({
          name: 'proxy',
          context: '/',
          resources: [
            { method: 'POST', path: '/upload', steps: [call('upload'), respond()] },
            { method: 'GET', path: '/download', steps: [call('download'), respond()] },
          ],
        }),
      ],
    });
    engine = createEngine({ logger: silentLogger, plugins: [server] });
    engine.addEndpoint(httpEndpoint({ name: 'upload', url: `${backendUrl}/upload`, timeoutMs: 120_000 }));
    engine.addEndpoint(
      httpEndpoint({
        name: 'download',
        url: `${backendUrl}/download`,
        timeoutMs: 120_000,
        maxReplyBytes: 2 * GIB,
      }),
    );
    await engine.start();
    url = server.url;
  });

  afterAll(async () => {
    clearInterval(sampler);
    await engine.stop({ timeoutMs: 1000 });
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
  });

  it('delivers a 1 GiB request to the backend intact, without buffering it', {
    timeout: 180_000,
  }, async () => {
    const before = process.memoryUsage().rss;
    peakRss = before;
    const sent = createHash('sha256');
    const reply = await request(`${url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: lazily(SIZE, sent) as unknown as Readable,
    });
    const seen = (await reply.body.json()) as { bytes: number; sha256: string };
    expect(reply.statusCode).toBe(200);
    expect(seen).toEqual({ bytes: SIZE, sha256: sent.digest('hex') });
    // Client, route and backend share this process: all three together stay far below the body's size.
    expect(peakRss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('delivers a 1 GiB reply to the client intact, without buffering it', { timeout: 180_000 }, async () => {
    const before = process.memoryUsage().rss;
    peakRss = before;
    const received = createHash('sha256');
    let bytes = 0;
    const reply = await request(`${url}/download`);
    for await (const chunk of reply.body) {
      received.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    expect(reply.statusCode).toBe(200);
    expect(bytes).toBe(SIZE);
    expect(received.digest('hex')).toBe(producedReply);
    expect(peakRss - before).toBeLessThan(256 * 1024 * 1024);
  });
});
