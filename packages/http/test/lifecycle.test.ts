import {
  call,
  createEngine,
  createMessage,
  functionEndpoint,
  respond,
  setBody,
  silentLogger,
} from '@mediary/core';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { httpApi, httpServer, proxyService } from '../src/index.js';
import { TEST_CERT, TEST_KEY } from './fixtures/tls.js';
import { deferred, type Running, startServer } from './server-support.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

function agent(options: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const created = new Agent(options);
  open.push(created);
  return created;
}

async function started(options: Parameters<typeof startServer>[0]): Promise<Running> {
  const running = await startServer(options);
  open.push(running);
  return running;
}

async function get(url: string, dispatcher: Agent) {
  const res = await request(url, { dispatcher });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const hello = (name: string) =>
  httpApi({
    name,
    context: `/${name}`,
    resources: [{ method: 'GET', path: '/hello', steps: [setBody({ from: name }), respond()] }],
  });

describe('server lifecycle', () => {
  it('answers /health/live and /health/ready while serving', async () => {
    const running = await started({ apis: [hello('a')] });
    const client = agent();
    expect(await get(`${running.url}/health/live`, client)).toMatchObject({
      status: 200,
      text: '{"status":"live"}',
    });
    expect(await get(`${running.url}/health/ready`, client)).toMatchObject({
      status: 200,
      text: '{"status":"ready"}',
    });
  });

  it('serves several APIs and a proxy service on one port', async () => {
    const proxy = proxyService({ name: 'Svc', steps: [setBody('svc'), respond()] });
    const running = await started({ apis: [hello('a'), hello('b')], proxies: [proxy] });
    const client = agent();
    expect((await get(`${running.url}/a/hello`, client)).text).toBe('{"from":"a"}');
    expect((await get(`${running.url}/b/hello`, client)).text).toBe('{"from":"b"}');
    expect((await get(`${running.url}/services/Svc/x`, client)).text).toBe('svc');
  });

  it('runs two servers on one engine', async () => {
    const first = httpServer({ name: 'first', port: 0, apis: [hello('a')] });
    const second = httpServer({ name: 'second', port: 0, apis: [hello('b')], health: false });
    const engine = createEngine({ logger: silentLogger, plugins: [first, second] });
    await engine.start();
    open.push({ close: () => engine.stop({ timeoutMs: 1000 }) });
    const client = agent();
    expect(first.url).not.toBe(second.url);
    expect((await get(`${first.url}/a/hello`, client)).status).toBe(200);
    expect((await get(`${second.url}/b/hello`, client)).status).toBe(200);
    expect((await get(`${second.url}/a/hello`, client)).status).toBe(404);
  });

  it('stops taking connections and turns not-ready on stop, and lets the request in flight finish', async () => {
    const gate = deferred();
    const entered = deferred();
    const api = httpApi({
      name: 'slow',
      context: '/',
      resources: [
        {
          method: 'GET',
          path: '/slow',
          steps: [
            async () => {
              entered.resolve();
              await gate.promise;
            },
            setBody({ finished: true }),
            respond(),
          ],
        },
      ],
    });
    const running = await started({ apis: [api] });
    const inFlight = get(`${running.url}/slow`, agent());
    await entered.promise;
    const stopping = running.engine.stop({ timeoutMs: 5000 });
    await new Promise((resolve) => setImmediate(resolve));

    const ready = await running.server.inject({ method: 'GET', path: '/health/ready' });
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({
      error: { code: 'MEDIARY_HTTP_NOT_READY', message: 'The server is not ready: stopping' },
    });
    expect((await running.server.inject({ method: 'GET', path: '/health/live' })).status).toBe(200);
    await expect(get(`${running.url}/health/live`, agent())).rejects.toThrow();

    gate.resolve();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(finished.text).toBe('{"finished":true}');
    expect(finished.headers.connection).toBe('close');
    await stopping;
  });

  it('lets a reply that is still streaming when the engine stops finish', async () => {
    const api = httpApi({
      name: 'stream',
      context: '/',
      resources: [
        {
          method: 'GET',
          path: '/download',
          steps: [
            call(
              functionEndpoint('slow-backend', () =>
                createMessage({
                  body: (async function* () {
                    for (let i = 0; i < 10; i++) {
                      yield Buffer.from(`chunk ${i}\n`);
                      await new Promise((resolve) => setTimeout(resolve, 30));
                    }
                  })(),
                }),
              ),
            ),
            respond(),
          ],
        },
      ],
    });
    const running = await started({ apis: [api] });
    const res = await request(`${running.url}/download`, { dispatcher: agent() });
    expect(res.statusCode).toBe(200);
    const stopping = running.engine.stop({ timeoutMs: 1000 });
    const text = await res.body.text();
    await stopping;
    expect(text.split('\n').filter(Boolean)).toHaveLength(10);
  });

  it('can start again after a stop', async () => {
    const server = httpServer({ port: 0, apis: [hello('a')] });
    const engine = createEngine({ logger: silentLogger, plugins: [server] });
    await engine.start();
    await engine.stop({ timeoutMs: 1000 });
    expect(() => server.url).toThrow();
    await engine.start();
    open.push({ close: () => engine.stop({ timeoutMs: 1000 }) });
    expect((await get(`${server.url}/a/hello`, agent())).status).toBe(200);
  });

  it('fails engine.start with MEDIARY_HTTP_LISTEN_FAILED when the port is taken', async () => {
    const running = await started({ apis: [hello('a')] });
    const clash = httpServer({ port: running.port, apis: [hello('b')] });
    const engine = createEngine({ logger: silentLogger, plugins: [clash] });
    await expect(engine.start()).rejects.toMatchObject({ code: 'MEDIARY_HTTP_LISTEN_FAILED' });
  });

  it('serves HTTPS when given a key and certificate', async () => {
    const running = await started({ apis: [hello('a')], tls: { key: TEST_KEY, cert: TEST_CERT } });
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await get(`${running.url}/a/hello`, agent({ connect: { ca: TEST_CERT } }));
    expect(res).toMatchObject({ status: 200, text: '{"from":"a"}' });
  });
});
