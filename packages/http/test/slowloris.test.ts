import { connect } from 'node:net';
import { respond, setBody } from '@mediary/core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApi } from '../src/index.js';
import { type Running, startServer } from './server-support.js';

const api = httpApi({
  name: 'slow',
  context: '/',
  resources: [{ method: 'GET', path: '/ok', steps: [setBody({ ok: true }), respond()] }],
});

let running: Running;
let agent: Agent;
beforeAll(async () => {
  running = await startServer({ apis: [api], limits: { headersTimeoutMs: 2000, requestTimeoutMs: 2000 } });
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
  await running.close();
});

/** Sends a request head one byte per second; resolves when the server hangs up (or after 10 s). */
function slowClient(port: number): Promise<{ received: string; afterMs: number; bytesSent: number }> {
  const head = `GET /ok HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(40)}\r\n\r\n`;
  return new Promise((resolve) => {
    const began = Date.now();
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < head.length && socket.writable) socket.write(head[sent++]!);
    }, 1000);
    const done = () => {
      clearInterval(drip);
      clearTimeout(cap);
      socket.destroy();
      resolve({
        received: Buffer.concat(chunks).toString('latin1'),
        afterMs: Date.now() - began,
        bytesSent: sent,
      });
    };
    const cap = setTimeout(done, 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(head[sent++]!);
  });
}

describe('slowloris', () => {
  it('cuts off a client sending one header byte per second while others are served', async () => {
    const slow = slowClient(running.port);
    const served: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request(`${running.url}/ok`, { dispatcher: agent });
      await res.body.dump();
      served.push(res.statusCode);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    const result = await slow;
    expect(served).toEqual([200, 200, 200, 200, 200, 200]);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.received).toContain('MEDIARY_HTTP_REQUEST_TIMEOUT');
    // 2 s timeout, checked every 500 ms: cut off well before the head could be complete.
    expect(result.afterMs).toBeGreaterThanOrEqual(1900);
    expect(result.afterMs).toBeLessThan(4500);
    expect(result.bytesSent).toBeLessThan(10);
  });
});
