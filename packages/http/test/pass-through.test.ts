import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { call, createMessage, functionEndpoint, respond, setHeader } from '@mediary/core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApi } from '../src/index.js';
import { type Running, startServer } from './server-support.js';

const TOTAL = 200 * 1024 * 1024;
const CHUNK = 64 * 1024;
/** Peak growth allowed while 200 MB flow through: a few socket buffers, far below the body. */
// Half the body: a route that buffered the 200 MB would pass it, whatever garbage a loaded machine has not yet
// collected (64 MiB failed about one run in three under parallel load, with nothing held).
const MEMORY_BOUND = 100 * 1024 * 1024;

/** 200 MB in 64 KiB chunks, each different, generated as it is pulled. */
function* generated(): Generator<Buffer> {
  for (let offset = 0; offset < TOTAL; offset += CHUNK) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    chunk.fill(offset % 251);
    chunk.writeUInt32BE(offset, 0);
    yield chunk;
  }
}

function sha256Of(chunks: Iterable<Buffer>): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** Samples heap and buffer memory until stopped; returns the peak growth over the starting point. */
function watchMemory(): () => number {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, used());
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, used()) - base;
  };
}

const api = httpApi({
  name: 'pass',
  context: '/',
  resources: [
    // Header steps only: nobody reads the body, so the request body itself is the reply body.
    { method: 'POST', path: '/echo', steps: [setHeader('x-passed', 'yes'), respond()] },
    // A backend whose reply body is a stream: it goes out as it is pulled.
    {
      method: 'GET',
      path: '/download',
      steps: [
        call(functionEndpoint('backend', () => createMessage({ body: Readable.from(generated()) }))),
        respond(),
      ],
    },
  ],
});

let running: Running;
let agent: Agent;
beforeAll(async () => {
  running = await startServer({ apis: [api] });
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
  await running.close();
});

describe('pass-through', () => {
  it('streams a 200 MB request body nobody reads back unchanged, in bounded memory', async () => {
    global.gc?.();
    const stop = watchMemory();
    const res = await request(`${running.url}/echo`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Readable.from(generated()),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-passed']).toBe('yes');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of res.body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
    const growth = stop();
    expect(size).toBe(TOTAL);
    expect(hash.digest('hex')).toBe(sha256Of(generated()));
    expect(growth).toBeLessThan(MEMORY_BOUND);
  }, 60_000);

  it('streams a backend reply body that is still a stream to the client, in bounded memory', async () => {
    const stop = watchMemory();
    const res = await request(`${running.url}/download`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of res.body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
    const growth = stop();
    expect(size).toBe(TOTAL);
    expect(hash.digest('hex')).toBe(sha256Of(generated()));
    expect(growth).toBeLessThan(MEMORY_BOUND);
  }, 60_000);
});
