import { Readable } from 'node:stream';
import { call, createMessage, functionEndpoint, respond, setBody, validate } from '@mediary/core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApi, type InjectRequest } from '../src/index.js';
import { deferred, type Running, startServer } from './server-support.js';

const LIMIT = 1024;
let aborted = deferred<unknown>();
let started = deferred();

const api = httpApi({
  name: 'errors',
  context: '/api',
  resources: [
    { method: 'GET', path: '/items/{id}', steps: [setBody({ ok: true }), respond()] },
    {
      method: 'POST',
      path: '/parse',
      accepts: ['application/json'],
      steps: [
        async (ctx) => {
          ctx.message.setJson({ got: await ctx.message.json() });
          return 'respond' as const;
        },
      ],
    },
    {
      method: 'POST',
      path: '/validated',
      steps: [validate({ jsonSchema: { type: 'object', required: ['hospital'] } }), respond()],
    },
    {
      method: 'GET',
      path: '/bug',
      steps: [
        () => {
          throw new TypeError("Cannot read properties of undefined (reading 'secret')");
        },
      ],
    },
    {
      method: 'GET',
      path: '/broken-stream',
      steps: [
        call(
          functionEndpoint('flaky-backend', () =>
            createMessage({
              contentType: 'application/octet-stream',
              body: (async function* () {
                yield Buffer.alloc(1024, 'a');
                await new Promise((resolve) => setTimeout(resolve, 20));
                throw new Error('backend went away');
              })(),
            }),
          ),
        ),
        respond(),
      ],
    },
    {
      method: 'POST',
      path: '/wait',
      steps: [
        async (ctx) => {
          started.resolve();
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          aborted.resolve(ctx.signal.reason);
        },
      ],
    },
  ],
});

let running: Running;
let agent: Agent;
beforeAll(async () => {
  running = await startServer({ apis: [api], limits: { bodyBytes: LIMIT } });
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
  await running.close();
});

interface Case {
  readonly name: string;
  readonly request: InjectRequest;
  readonly status: number;
  readonly code: string;
  readonly allow?: string;
}

const cases: Case[] = [
  {
    name: 'malformed JSON',
    request: {
      method: 'POST',
      path: '/api/parse',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    },
    status: 400,
    code: 'MEDIARY_JSON_MALFORMED',
  },
  {
    name: 'a body of the wrong shape',
    request: {
      method: 'POST',
      path: '/api/validated',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    },
    status: 400,
    code: 'MEDIARY_VALIDATION_FAILED',
  },
  {
    name: 'an unknown path',
    request: { method: 'GET', path: '/api/nothing' },
    status: 404,
    code: 'MEDIARY_HTTP_NOT_FOUND',
  },
  {
    name: 'a method the path does not serve',
    request: { method: 'DELETE', path: '/api/items/1' },
    status: 405,
    code: 'MEDIARY_HTTP_METHOD_NOT_ALLOWED',
    allow: 'GET, HEAD',
  },
  {
    name: 'a declared Content-Length over the limit',
    request: {
      method: 'POST',
      path: '/api/parse',
      headers: { 'content-type': 'application/json' },
      body: `"${'x'.repeat(LIMIT)}"`,
    },
    status: 413,
    code: 'MEDIARY_BODY_TOO_LARGE',
  },
  {
    name: 'an unsupported content type',
    request: { method: 'POST', path: '/api/parse', headers: { 'content-type': 'text/csv' }, body: 'a,b' },
    status: 415,
    code: 'MEDIARY_HTTP_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a bug in a step',
    request: { method: 'GET', path: '/api/bug' },
    status: 500,
    code: 'MEDIARY_INTERNAL',
  },
];

async function overSocket(input: InjectRequest) {
  const res = await request(`${running.url}${input.path}`, {
    dispatcher: agent,
    method: input.method as 'GET',
    ...(input.headers ? { headers: input.headers } : {}),
    ...(typeof input.body === 'string' ? { body: input.body } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers as Record<string, string>, text };
}

describe('error replies over a real socket', () => {
  it.each(cases)('answers $name with $status $code, as JSON without a stack', async (c) => {
    const res = await overSocket(c.request);
    expect(res.status).toBe(c.status);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
    expect(body.error.code).toBe(c.code);
    expect(res.text).not.toMatch(/\n\s+at |secret|TypeError/);
    if (c.allow) expect(res.headers.allow).toBe(c.allow);
    expect(res.headers['x-correlation-id']).toBeTruthy();
  });

  it.each(cases)('gives the same answer through inject() for $name', async (c) => {
    const socket = await overSocket(c.request);
    const injected = await running.server.inject(c.request);
    expect(injected.status).toBe(socket.status);
    expect(injected.text()).toBe(socket.text);
    expect(injected.headers['content-type']).toBe(socket.headers['content-type']);
    expect(injected.headers.allow).toBe(socket.headers.allow);
  });

  it('answers a chunked body that grows past the limit while being read with 413', async () => {
    const body = Readable.from(
      (function* () {
        yield Buffer.from('"');
        for (let i = 0; i < 8; i++) yield Buffer.alloc(256, 'x');
        yield Buffer.from('"');
      })(),
    );
    const res = await request(`${running.url}/api/parse`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.statusCode).toBe(413);
    expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe(
      'MEDIARY_BODY_TOO_LARGE',
    );
  });

  it('cuts the connection when a streamed reply fails after its headers went out, and keeps serving', async () => {
    const res = await request(`${running.url}/api/broken-stream`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    await expect(res.body.arrayBuffer()).rejects.toThrow();
    const injected = running.server.inject({ method: 'GET', path: '/api/broken-stream' });
    await expect(injected).rejects.toMatchObject({ code: 'MEDIARY_HTTP_REPLY_INTERRUPTED' });
    expect((await overSocket({ method: 'GET', path: '/api/items/1' })).status).toBe(200);
  });

  it('aborts ctx.signal when the client goes away mid-request, and keeps serving', async () => {
    aborted = deferred<unknown>();
    started = deferred();
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push('partial');
    const pending = request(`${running.url}/api/wait`, {
      dispatcher: agent,
      method: 'POST',
      body,
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await started.promise;
    controller.abort();
    expect(await aborted.promise).toMatchObject({ code: 'MEDIARY_HTTP_CLIENT_CLOSED' });
    expect(await pending).toBeInstanceOf(Error);
    const after = await overSocket({ method: 'GET', path: '/api/items/1' });
    expect(after.status).toBe(200);
  });
});
