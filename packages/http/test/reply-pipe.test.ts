/**
 * A backend reply written straight into a writable (`ReplyBody.pipeTo`, how the server sends a proxied reply):
 * intact and with backpressure, and every way it can end early releases the backend connection.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { call, type Exchange, isMediaryError } from '@mediary/core';
import { createHarness, type Harness } from '@mediary/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpEndpoint } from '../src/client/index.js';
import { ReplyBody } from '../src/client/internal/dispatch-request.js';
import { closeAll, signal, startBackend, track } from './client-support.js';

let h: Harness;

beforeEach(async () => {
  h = track(await createHarness());
});

afterEach(closeAll);

/** The reply body of a call to `url`, still unread. */
async function replyBody(url: string, maxReplyBytes?: number): Promise<ReplyBody> {
  const target = track(
    httpEndpoint({ name: 'backend', url, ...(maxReplyBytes === undefined ? {} : { maxReplyBytes }) }),
  );
  const exchange: Exchange = await h.send([call(target)]);
  if (!exchange.ok) throw exchange.error;
  const body = exchange.message.stream();
  expect(body).toBeInstanceOf(ReplyBody);
  return body as ReplyBody;
}

/** A writable that takes `delayMs` per chunk and records how much it ever had buffered. */
function slowSink(delayMs: number): Writable & { received: Buffer[]; peakBuffered: number } {
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      sink.received.push(chunk);
      setTimeout(done, delayMs);
    },
  }) as Writable & { received: Buffer[]; peakBuffered: number };
  sink.received = [];
  sink.peakBuffered = 0;
  const write = sink.write.bind(sink);
  sink.write = ((chunk: Buffer) => {
    const ok = write(chunk);
    sink.peakBuffered = Math.max(sink.peakBuffered, sink.writableLength);
    return ok;
  }) as typeof sink.write;
  return sink;
}

describe('ReplyBody.pipeTo', () => {
  it('writes a large reply intact into a slow writable, holding no more than a few chunks', async () => {
    const payload = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32BE(i, i);
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-length': String(payload.length) });
      res.end(payload);
    });
    const sink = slowSink(1);
    await (await replyBody(`${backend.url}/big`)).pipeTo(sink);
    const received = Buffer.concat(sink.received);
    expect(createHash('sha256').update(received).digest('hex')).toBe(
      createHash('sha256').update(payload).digest('hex'),
    );
    expect(sink.writableFinished).toBe(true);
    // undici is paused whenever the sink is full: what waits in it stays near one read from the socket.
    expect(sink.peakBuffered).toBeLessThan(512 * 1024);
  });

  it('keeps piping when nothing else holds the body and collections run meanwhile', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-length': String(20 * 1024) });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(Buffer.alloc(1024, 0x62));
        sent += 1024;
        if (sent === 20 * 1024) {
          clearInterval(timer);
          res.end();
        }
      }, 5);
    });
    const sink = slowSink(0);
    // Only the pipe holds the body: a body taken for abandoned would abort its request.
    const piping = replyBody(`${backend.url}/slow`).then((body) => body.pipeTo(sink));
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
    }
    await piping;
    expect(Buffer.concat(sink.received).length).toBe(20 * 1024);
  });

  it('aborts the backend request when the writable closes before the end', async () => {
    const backendClosed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      res.write('first part');
      res.on('close', () => backendClosed.resolve());
    });
    const sink = slowSink(0);
    const piping = (await replyBody(`${backend.url}/stall`)).pipeTo(sink);
    await new Promise((resolve) => setTimeout(resolve, 50));
    sink.destroy();
    await expect(piping).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    await backendClosed.promise;
  });

  it('fails with BAD_REPLY when the backend cuts its reply short', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only ten b');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const failure = await (await replyBody(`${backend.url}/cut`))
      .pipeTo(slowSink(0))
      .catch((e: unknown) => e);
    expect(isMediaryError(failure) && failure.code).toBe('MEDIARY_HTTP_BAD_REPLY');
  });

  it('fails with REPLY_TOO_LARGE past the reply limit, and drops the backend connection', async () => {
    const backendClosed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const timer = setInterval(() => res.write(chunk), 5);
      res.on('close', () => {
        clearInterval(timer);
        backendClosed.resolve();
      });
    });
    const failure = await (await replyBody(`${backend.url}/endless`, 256 * 1024))
      .pipeTo(slowSink(0))
      .catch((e: unknown) => e);
    expect(isMediaryError(failure) && failure.code).toBe('MEDIARY_HTTP_REPLY_TOO_LARGE');
    await backendClosed.promise;
  });
});
