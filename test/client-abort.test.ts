/**
 * Issue acceptance: a client that aborts mid-request cancels the backend call — end to end, over real
 * sockets: client → Mediary route → HTTP endpoint → backend, and the backend sees its request closed.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, createEngine, type Engine, respond, silentLogger } from '@mediary/core';
import { httpApi, httpEndpoint, httpServer } from '@mediary/http';
import { eventually } from '@mediary/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('client abort', () => {
  let backend: Server;
  let engine: Engine;
  let url = '';
  const backendRequests: IncomingMessage[] = [];
  const backendClosed: string[] = [];

  beforeAll(async () => {
    // A backend that never answers: only the abort can end the call.
    backend = createServer((req) => {
      backendRequests.push(req);
      req.socket.once('close', () => backendClosed.push(req.url ?? ''));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const server = httpServer({
      port: 0,
      apis: [
        httpApi({
          name: 'slow',
          context: '/',
          resources: [{ method: 'GET', path: '/slow', steps: [call('slow'), respond()] }],
        }),
      ],
    });
    engine = createEngine({ logger: silentLogger, plugins: [server] });
    engine.addEndpoint(
      httpEndpoint({
        name: 'slow',
        url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/never`,
        timeoutMs: 60_000,
      }),
    );
    await engine.start();
    url = server.url;
  });

  afterAll(async () => {
    await engine.stop({ timeoutMs: 1000 });
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
  });

  it('cancels the backend call when the client goes away mid-request, and keeps serving', async () => {
    const controller = new AbortController();
    const pending = request(`${url}/slow`, { signal: controller.signal }).catch((error: unknown) => error);
    await eventually(() => expect(backendRequests).toHaveLength(1));
    expect(engine.inFlight).toBe(1);

    controller.abort();
    expect(await pending).toBeInstanceOf(Error);

    await eventually(() => expect(backendClosed).toEqual(['/never']));
    await eventually(() => expect(engine.inFlight).toBe(0));
    const health = await request(`${url}/health/live`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });
});
