import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { type BodySource, createMessage, type Message, silentLogger } from '@mediary/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReplyTarget, sendMessage } from './reply.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves every request with `reply()`'s message through sendMessage; resolves the port and the send's fate. */
async function serveMessage(reply: () => Message): Promise<{ port: number; sent: Promise<unknown>[] }> {
  const sent: Promise<unknown>[] = [];
  server = createServer((_req, res) => {
    sent.push(sendMessage(res as ReplyTarget, reply(), { headers: {}, log: silentLogger }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, sent };
}

/** One raw GET; collects everything until the server closes the connection or `waitMs` passes. */
function rawGet(port: number, waitMs = 1000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('sending a streamed message body', () => {
  it('keeps the Content-Length the stream declared instead of re-framing it as chunked', async () => {
    const { port } = await serveMessage(() =>
      createMessage({ headers: { 'content-length': '11' }, body: chunks('hello', ' world') }),
    );
    const { text, closed } = await rawGet(port, 300);
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.toLowerCase()).toContain('content-length: 11\r\n');
    expect(text.toLowerCase()).not.toContain('transfer-encoding');
    expect(text.endsWith('\r\n\r\nhello world')).toBe(true);
    expect(closed).toBe(false);
  });

  it('sends a stream without a declared length chunked', async () => {
    const { port } = await serveMessage(() => createMessage({ body: chunks('hello', ' world') }));
    const { text } = await rawGet(port, 300);
    expect(text.toLowerCase()).toContain('transfer-encoding: chunked\r\n');
    expect(text.toLowerCase()).not.toContain('content-length');
    expect(text).toContain('hello');
  });

  it('cuts the connection when the stream is shorter than its declared length, never leaving it hanging', async () => {
    const { port, sent } = await serveMessage(() =>
      createMessage({ headers: { 'content-length': '50' }, body: chunks('short') }),
    );
    const { closed } = await rawGet(port, 3000);
    expect(closed).toBe(true);
    await Promise.all(sent);
  });

  it('cuts the connection when the stream is longer than its declared length, so framing is never corrupt', async () => {
    const { port, sent } = await serveMessage(() =>
      createMessage({ headers: { 'content-length': '2' }, body: chunks('far', ' too long') }),
    );
    const { text, closed } = await rawGet(port, 3000);
    expect(closed).toBe(true);
    expect(text).not.toContain('too long');
    await Promise.all(sent);
  });

  it('stops reading the source when the client goes away mid-reply', async () => {
    let returned = false;
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const source: BodySource = {
      [Symbol.asyncIterator]() {
        let first = true;
        return {
          async next() {
            if (first) {
              first = false;
              return { done: false, value: Buffer.from('start') };
            }
            await stalled;
            return { done: true, value: undefined };
          },
          async return() {
            returned = true;
            release();
            return { done: true, value: undefined };
          },
        };
      },
    };
    const { port, sent } = await serveMessage(() => createMessage({ body: source }));
    const { text } = await rawGet(port, 300);
    expect(text).toContain('start');
    // rawGet destroyed the socket: the pending read is abandoned and the send settles.
    await Promise.all(sent);
    expect(returned).toBe(true);
  });
});
