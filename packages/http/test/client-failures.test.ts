import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  call,
  coreErrors,
  createMessage,
  type Endpoint,
  type Exchange,
  type MediaryError,
  respond,
} from '@mediary/core';
import { createHarness, type Harness, settle } from '@mediary/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpEndpointOptions, httpEndpoint } from '../src/client/index.js';
import {
  closeAll,
  collectText,
  freePort,
  readText,
  sendJson,
  signal,
  startBackend,
  startRawBackend,
  track,
} from './client-support.js';

let h: Harness;

beforeEach(async () => {
  h = track(await createHarness());
});

afterEach(closeAll);

function endpoint(options: HttpEndpointOptions) {
  return track(httpEndpoint(options));
}

function send(target: Endpoint, options: { signal?: AbortSignal } = {}): Promise<Exchange> {
  return h.send([call(target), respond()], {}, options);
}

function failed(result: Exchange): MediaryError {
  if (result.ok) throw new Error('expected the exchange to fail');
  return result.error;
}

async function readError(source: AsyncIterable<Uint8Array>): Promise<MediaryError> {
  try {
    await collectText(source);
  } catch (error) {
    return error as MediaryError;
  }
  throw new Error('expected reading the body to fail');
}

/** A backend that never answers, reporting when a request arrived and when its connection went away. */
async function silentBackend() {
  const arrived = signal();
  const closed = signal();
  const backend = await startBackend((_req, res) => {
    arrived.resolve();
    res.on('close', () => closed.resolve());
  });
  return { ...backend, arrived: arrived.promise, closed: closed.promise };
}

describe('httpEndpoint: unreachable and broken backends', () => {
  it('fails with MEDIARY_HTTP_UNREACHABLE (502, retryable) when the connection is refused', async () => {
    const port = await freePort();
    const target = endpoint({ name: 'target', url: `http://127.0.0.1:${port}/x` });

    const error = failed(await send(target));

    expect([error.code, error.status, error.retryable]).toEqual(['MEDIARY_HTTP_UNREACHABLE', 502, true]);
    expect(error.message).toContain('target');
  });

  it('fails with MEDIARY_HTTP_UNREACHABLE when the backend drops the connection before answering', async () => {
    const backend = await startRawBackend((socket) => socket.once('data', () => socket.destroy()));
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const error = failed(await send(target));

    expect([error.code, error.status]).toEqual(['MEDIARY_HTTP_UNREACHABLE', 502]);
  });

  it('fails with MEDIARY_HTTP_BAD_REPLY (502) when the backend answers something that is not HTTP', async () => {
    const backend = await startRawBackend((socket) =>
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH\r\n\r\n')),
    );
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const error = failed(await send(target));

    expect([error.code, error.status]).toEqual(['MEDIARY_HTTP_BAD_REPLY', 502]);
  });

  it('surfaces MEDIARY_HTTP_BAD_REPLY from the body when the backend closes the connection mid-reply', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1000), () => res.socket?.destroy());
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const result = await send(target);
    expect(result.ok).toBe(true);
    const error = await readError(result.message.stream());

    expect([error.code, error.status]).toEqual(['MEDIARY_HTTP_BAD_REPLY', 502]);
  });

  it('keeps the code of a Mediary error raised while the request body was read', async () => {
    const backend = await startBackend(async (req, res) =>
      sendJson(res, 200, { got: (await readText(req)).length }),
    );
    const target = endpoint({ name: 'target', url: `${backend.url}/x`, method: 'POST' });
    async function* tooBig() {
      yield Buffer.from('first part');
      throw coreErrors.BODY_TOO_LARGE({ limit: 10 });
    }

    const result = await h.send([
      (ctx) => {
        ctx.message = createMessage({ body: tooBig() });
      },
      call(target),
      respond(),
    ]);

    expect(failed(result).code).toBe('MEDIARY_BODY_TOO_LARGE');
  });
});

describe('httpEndpoint: deadlines (driven by the fake clock)', () => {
  it('fails with MEDIARY_HTTP_TIMEOUT (504, retryable) at the deadline and cancels the backend request', async () => {
    const backend = await silentBackend();
    const target = endpoint({ name: 'target', url: `${backend.url}/x`, timeoutMs: 5000 });

    let settled = false;
    const pending = send(target).finally(() => {
      settled = true;
    });
    await backend.arrived;
    await h.clock.tick(4999);
    await settle();
    expect(settled).toBe(false);
    await h.clock.tick(1);
    const error = failed(await pending);

    expect([error.code, error.status, error.retryable]).toEqual(['MEDIARY_HTTP_TIMEOUT', 504, true]);
    await backend.closed;
  });

  it('cuts a backend that trickles its body past the deadline with MEDIARY_HTTP_TIMEOUT', async () => {
    const closed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      const trickle = setInterval(() => res.write('b'), 5);
      res.on('close', () => {
        clearInterval(trickle);
        closed.resolve();
      });
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x`, timeoutMs: 2000 });

    const result = await send(target);
    const body = result.message.stream()[Symbol.asyncIterator]();
    expect((await body.next()).done).toBe(false);
    await h.clock.tick(2000);
    const error = await readError({ [Symbol.asyncIterator]: () => body });

    expect([error.code, error.status]).toEqual(['MEDIARY_HTTP_TIMEOUT', 504]);
    await closed.promise;
  });

  it('clears its deadline once the reply has been read', async () => {
    const backend = await startBackend((_req, res) => sendJson(res, 200, { ok: true }));
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const result = await send(target);
    await result.message.json();

    expect(h.clock.pending).toBe(0);
  });
});

describe('httpEndpoint: reply size cap', () => {
  it('fails with MEDIARY_HTTP_REPLY_TOO_LARGE (502) before streaming when the declared length is over the cap', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-length': '2000' });
      res.end('x'.repeat(2000));
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x`, maxReplyBytes: 1000 });

    const error = failed(await send(target));

    expect([error.code, error.status]).toEqual(['MEDIARY_HTTP_REPLY_TOO_LARGE', 502]);
  });

  it('counts a streamed reply as it passes and stops it beyond the cap', async () => {
    const closed = signal();
    const backend = await startBackend((req, res) => {
      res.on('close', () => closed.resolve());
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const size = Number(req.url?.slice(1));
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          const chunk = Buffer.alloc(Math.min(256, size - sent), 1);
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const small = endpoint({ name: 'small', url: `${backend.url}/{size}`, maxReplyBytes: 1000 });

    const atCap = await h.send([call(small), respond()], {}, { vars: { size: 1000 } });
    expect((await atCap.message.bytes()).length).toBe(1000);
    const over = await h.send([call(small), respond()], {}, { vars: { size: 1_000_000 } });
    const error = await readError(over.message.stream());

    expect([error.code, error.status]).toEqual(['MEDIARY_HTTP_REPLY_TOO_LARGE', 502]);
    await closed.promise;
  });
});

describe('httpEndpoint: cancellation', () => {
  it('aborts the backend request when the message is cancelled (the backend sees the close)', async () => {
    const backend = await silentBackend();
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });
    const client = new AbortController();

    const pending = send(target, { signal: client.signal });
    await backend.arrived;
    client.abort(new Error('client went away'));
    const error = failed(await pending);

    expect(error.code).toBe('MEDIARY_ABORTED');
    await backend.closed;
  });

  it('aborts a reply body being read when the message is cancelled', async () => {
    const closed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      res.write('first');
      res.on('close', () => closed.resolve());
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });
    const client = new AbortController();

    const result = await h.send(
      [
        call(target),
        async (ctx) => {
          const body = ctx.message.stream()[Symbol.asyncIterator]();
          await body.next();
          client.abort(new Error('client went away'));
          await body.next();
        },
      ],
      {},
      { signal: client.signal },
    );

    expect(failed(result).code).toBe('MEDIARY_ABORTED');
    await closed.promise;
  });

  it('releases the backend connection when the reader gives up on the reply', async () => {
    const closed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      res.write('first');
      res.on('close', () => closed.resolve());
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    const result = await send(target);
    for await (const _chunk of result.message.stream()) break;

    await closed.promise;
    expect(h.clock.pending).toBe(0);
  });

  it('releases the connection of a reply that was dropped unread once it is garbage-collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const closed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      res.write('never read');
      res.on('close', () => closed.resolve());
    });
    const target = endpoint({ name: 'target', url: `${backend.url}/x` });

    expect((await send(target)).ok).toBe(true);
    let seen = false;
    void closed.promise.then(() => {
      seen = true;
    });
    for (let i = 0; i < 50 && !seen; i++) {
      gc();
      await settle();
    }

    expect(seen).toBe(true);
  });

  it('on close cuts replies nobody reads, and later sends fail as shutting down', async () => {
    const closed = signal();
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      res.write('unread');
      res.on('close', () => closed.resolve());
    });
    const target = httpEndpoint({ name: 'target', url: `${backend.url}/x` });

    const kept = await send(target);
    await target.close();
    await closed.promise;
    const after = failed(await send(target));

    expect(kept.ok).toBe(true);
    expect(after.code).toBe('MEDIARY_ENGINE_STOPPING');
  });
});

// A self-signed certificate for 127.0.0.1, valid until 2126, made for these tests only.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggFk9CqgdTb3rFLBV
FV1nssx39uw6mmAmLrQRhnR99y+hRANCAAQGm2mmZasadDKXlOhKhG7PTTO+Mt66
n261JS/vx2n3Oc3HINqZ3Wn/n6KcETJjd70Hqf12qEyN7osw5xIaRsfH
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmTCCAUGgAwIBAgIUdr0P0xeVUkOepIjmXUOMs0ZXTXswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEzMDAzNTAyM1oYDzIxMjYxMTA2
MDM1MDIzWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQGm2mmZasadDKXlOhKhG7PTTO+Mt66n261JS/vx2n3Oc3HINqZ3Wn/
n6KcETJjd70Hqf12qEyN7osw5xIaRsfHo28wbTAdBgNVHQ4EFgQUqHRufddC6Aub
jBzkUM8vazgJjcswHwYDVR0jBBgwFoAUqHRufddC6AubjBzkUM8vazgJjcswDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDRgAwQwIgcnjlbteI2SqWCDrQjT9/E2vUud3j5ivCERhgIJHtetcCH0vH
jrWino9udrN07My1qx6XRV15L1Trn8uanQ8gogE=
-----END CERTIFICATE-----`;

describe('httpEndpoint: TLS', () => {
  async function tlsBackend() {
    const server = createTlsServer({ key: TEST_KEY, cert: TEST_CERT }, (_req, res) =>
      sendJson(res, 200, { tls: true }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('talks to an https backend it trusts through the ca option', async () => {
    const url = await tlsBackend();
    const target = endpoint({ name: 'secure', url: `${url}/x`, tls: { ca: TEST_CERT } });

    const result = await send(target);

    expect(await result.message.json()).toEqual({ tls: true });
  });

  it('fails with MEDIARY_HTTP_TLS (502, not retryable) when the certificate is not trusted', async () => {
    const url = await tlsBackend();
    const target = endpoint({ name: 'secure', url: `${url}/x` });

    const error = failed(await send(target));

    expect([error.code, error.status, error.retryable]).toEqual(['MEDIARY_HTTP_TLS', 502, false]);
  });
});
