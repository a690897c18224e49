import {
  createEngine,
  drop,
  type Engine,
  jsonata,
  respond,
  type Step,
  setBody,
  setHeader,
  setStatus,
  silentLogger,
  validate,
} from '@mediary/core';
import { describe, expect, it } from 'vitest';
import { httpApi } from './http-api.js';
import { type HttpServerOptions, httpServer } from './http-server.js';
import { proxyService } from './proxy-service.js';

/** Replies with what the route saw of the request. */
const echoTransport: Step = async (ctx) => {
  ctx.message.setJson({
    params: { ...ctx.transport.params },
    query: { ...ctx.transport.query },
    props: ctx.transport.props,
  });
  return 'respond' as const;
};

function serve(options: Omit<HttpServerOptions, 'port'>): {
  server: ReturnType<typeof httpServer>;
  engine: Engine;
} {
  const server = httpServer({ port: 0, ...options });
  const engine = createEngine({ logger: silentLogger, plugins: [server] });
  return { server, engine };
}

const orders = httpApi({
  name: 'orders',
  context: '/shop',
  resources: [
    { method: 'GET', path: '/orders/{id}', steps: [echoTransport] },
    { method: ['POST', 'PUT'], path: '/orders', accepts: ['application/json'], steps: [echoTransport] },
    { method: 'GET', path: '/files/{+path}', steps: [echoTransport] },
    { method: 'GET', path: '/search{?q,page}', steps: [echoTransport] },
    {
      method: 'POST',
      path: '/parse',
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
      path: '/boom',
      steps: [
        () => {
          throw new Error('db password is hunter2 at 10.0.0.7');
        },
      ],
    },
    { method: 'POST', path: '/drop', steps: [drop()] },
    {
      method: 'GET',
      path: '/created',
      steps: [
        setBody({ ok: true }),
        setStatus(201),
        setHeader('x-custom', 'yes'),
        setHeader('connection', 'upgrade'),
        setHeader('keep-alive', 'timeout=99'),
        setHeader('proxy-authenticate', 'Basic'),
        respond(),
      ],
    },
    { method: 'GET', path: '/bad-status', steps: [setBody('x'), setStatus(42), respond()] },
    { method: '*', path: '/any', steps: [echoTransport] },
  ],
});

describe('httpServer inject()', () => {
  it('routes a request with decoded path params, query values and request facts', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/orders/a%20b?x=1&x=2&y=3' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      params: { id: 'a b' },
      query: { x: ['1', '2'], y: '3' },
      props: {
        method: 'GET',
        path: '/shop/orders/a%20b',
        url: '/shop/orders/a%20b?x=1&x=2&y=3',
        httpVersion: '1.1',
        api: 'orders',
      },
    });
  });

  it('gives query parameters and path variables prototype-less records, empty ones included', async () => {
    const seen: Array<{ params: object; query: object }> = [];
    const api = httpApi({
      name: 'records',
      context: '/r',
      resources: [
        {
          method: 'GET',
          path: '/plain',
          steps: [(ctx) => void seen.push(ctx.transport), respond()],
        },
        {
          method: 'GET',
          path: '/item/{id}',
          steps: [(ctx) => void seen.push(ctx.transport), respond()],
        },
      ],
    });
    const { server } = serve({ apis: [api] });
    await server.inject({ method: 'GET', path: '/r/plain' });
    await server.inject({ method: 'GET', path: '/r/item/7?__proto__=x&constructor=y' });

    const [plain, item] = seen;
    expect([Object.keys(plain!.params), Object.keys(plain!.query)]).toEqual([[], []]);
    expect(Object.getPrototypeOf(plain!.query)).toBeNull();
    expect(Object.getPrototypeOf(plain!.params)).toBeNull();
    expect(Object.isFrozen(plain!.query)).toBe(true);
    expect(Object.getPrototypeOf(item!.params)).toBeNull();
    expect({ ...item!.params }).toEqual({ id: '7' });
    expect(Object.keys(item!.query).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('lets expressions read path params', async () => {
    const api = httpApi({
      name: 'expr',
      context: '/e',
      resources: [
        {
          method: 'GET',
          path: '/categories/{category}{?page}',
          steps: [setBody(jsonata('{ "category": params.category, "page": params.page }')), respond()],
        },
      ],
    });
    const { server } = serve({ apis: [api] });
    const res = await server.inject({ method: 'GET', path: '/e/categories/surgery?page=3' });
    expect(res.json()).toEqual({ category: 'surgery', page: '3' });
  });

  it('gives {+var} the rest of the path with its slashes', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/files/a/b%20c/d.txt' });
    expect(res.json<{ params: unknown }>().params).toEqual({ path: 'a/b c/d.txt' });
  });

  it('exposes {?q,page} query variables as params too', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/search?q=heart&page=2&other=1' });
    expect(res.json<{ params: unknown }>().params).toEqual({ q: 'heart', page: '2' });
  });

  it('answers an unknown path with 404 MEDIARY_HTTP_NOT_FOUND as JSON', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/nothing' });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toEqual({
      error: { code: 'MEDIARY_HTTP_NOT_FOUND', message: 'No resource matches GET /shop/nothing' },
    });
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'DELETE', path: '/shop/orders/7' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MEDIARY_HTTP_METHOD_NOT_ALLOWED');
  });

  it('answers malformed JSON with 400 MEDIARY_JSON_MALFORMED', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({
      method: 'POST',
      path: '/shop/parse',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(res.status).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MEDIARY_JSON_MALFORMED');
  });

  it('answers a body of the wrong shape with 400 MEDIARY_VALIDATION_FAILED', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'POST', path: '/shop/validated', body: { doctor: 'x' } });
    expect(res.status).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MEDIARY_VALIDATION_FAILED');
  });

  it('refuses a content type the resource does not accept with 415', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({
      method: 'POST',
      path: '/shop/orders',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b',
    });
    expect(res.status).toBe(415);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MEDIARY_HTTP_UNSUPPORTED_MEDIA_TYPE');
  });

  it('accepts a declared content type with parameters', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({
      method: 'PUT',
      path: '/shop/orders',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{}',
    });
    expect(res.status).toBe(200);
  });

  it('refuses a declared Content-Length over the limit with 413 before the route runs', async () => {
    let ran = false;
    const api = httpApi({
      name: 'up',
      context: '/',
      resources: [
        {
          method: 'POST',
          path: '/upload',
          steps: [
            () => {
              ran = true;
            },
          ],
        },
      ],
    });
    const { server } = serve({ apis: [api], limits: { bodyBytes: 10 } });
    const res = await server.inject({ method: 'POST', path: '/upload', body: 'x'.repeat(11) });
    expect(res.status).toBe(413);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MEDIARY_BODY_TOO_LARGE');
    expect(ran).toBe(false);
  });

  it('shows a generic message and no stack for a bug (500)', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/boom' });
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'MEDIARY_INTERNAL', message: 'An internal error occurred' },
    });
    expect(res.text()).not.toMatch(/hunter2|10\.0\.0\.7|\bat\s/);
  });

  it('replies 500 rather than sending a status outside 200–599', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/bad-status' });
    expect(res.status).toBe(500);
  });

  it('replies 202 with no body when the route drops the message', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'POST', path: '/shop/drop', body: 'x' });
    expect(res.status).toBe(202);
    expect(res.body.byteLength).toBe(0);
  });

  it('sends the message status and headers, without hop-by-hop ones', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'GET', path: '/shop/created' });
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ ok: true });
    expect(res.headers['x-custom']).toBe('yes');
    expect(res.headers['content-length']).toBe('11');
    expect(res.headers.connection).toBeUndefined();
    expect(res.headers['keep-alive']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
  });

  it('echoes a safe x-correlation-id and makes one up otherwise', async () => {
    const { server } = serve({ apis: [orders] });
    const given = await server.inject({
      method: 'GET',
      path: '/shop/orders/1',
      headers: { 'x-correlation-id': 'abc-1' },
    });
    expect(given.headers['x-correlation-id']).toBe('abc-1');
    const unsafe = await server.inject({
      method: 'GET',
      path: '/nope',
      headers: { 'x-correlation-id': 'a b<' },
    });
    expect(unsafe.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves HEAD from a GET resource without a body', async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'HEAD', path: '/shop/orders/1' });
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.body.byteLength).toBe(0);
  });

  it("routes any method to a '*' resource", async () => {
    const { server } = serve({ apis: [orders] });
    const res = await server.inject({ method: 'PATCH', path: '/shop/any' });
    expect(res.json<{ props: { method: string } }>().props.method).toBe('PATCH');
  });

  it('runs the resource onError first, then the API onError', async () => {
    const seen: string[] = [];
    const fail: Step = () => {
      throw new Error('nope');
    };
    const api = httpApi({
      name: 'handlers',
      context: '/h',
      onError: [
        (ctx) => void seen.push(`api:${ctx.error?.code}`),
        setBody({ handled: 'api' }),
        setStatus(409),
        respond(),
      ],
      resources: [
        {
          method: 'GET',
          path: '/resource',
          steps: [fail],
          onError: [setBody({ handled: 'resource' }), respond()],
        },
        {
          method: 'GET',
          path: '/passes-on',
          steps: [fail],
          onError: [(ctx) => void seen.push(`resource:${ctx.error?.code}`)],
        },
        { method: 'GET', path: '/api', steps: [fail] },
      ],
    });
    const { server } = serve({ apis: [api] });
    expect((await server.inject({ method: 'GET', path: '/h/resource' })).json()).toEqual({
      handled: 'resource',
    });
    const passed = await server.inject({ method: 'GET', path: '/h/passes-on' });
    expect(passed.status).toBe(409);
    expect(seen).toEqual(['resource:MEDIARY_INTERNAL', 'api:MEDIARY_INTERNAL']);
    expect((await server.inject({ method: 'GET', path: '/h/api' })).json()).toEqual({ handled: 'api' });
  });

  it('serves a proxy service on any method and sub-path, and its WSDL on ?wsdl', async () => {
    const soap = proxyService({ name: 'Echo', wsdl: '<definitions/>', steps: [echoTransport] });
    const { server } = serve({ proxies: [soap] });
    const post = await server.inject({ method: 'POST', path: '/services/Echo', body: '<x/>' });
    expect(post.json<{ props: { service: string; subPath: string } }>().props).toMatchObject({
      service: 'Echo',
      subPath: '',
    });
    const sub = await server.inject({ method: 'DELETE', path: '/services/Echo/a/b' });
    expect(sub.json<{ props: { subPath: string } }>().props.subPath).toBe('a/b');
    const wsdl = await server.inject({ method: 'GET', path: '/services/Echo?wsdl' });
    expect(wsdl.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(wsdl.text()).toBe('<definitions/>');
  });

  it('answers liveness, and readiness with 503 until the server listens', async () => {
    const { server } = serve({ apis: [orders] });
    const live = await server.inject({ method: 'GET', path: '/health/live' });
    expect([live.status, live.json()]).toEqual([200, { status: 'live' }]);
    const ready = await server.inject({ method: 'GET', path: '/health/ready' });
    expect(ready.status).toBe(503);
    expect(ready.json<{ error: { code: string } }>().error.code).toBe('MEDIARY_HTTP_NOT_READY');
  });

  it('leaves /health to the APIs when health is off', async () => {
    const { server } = serve({ apis: [orders], health: false });
    expect((await server.inject({ method: 'GET', path: '/health/live' })).status).toBe(404);
  });

  it('refuses header values with CR, LF or NUL with 400', async () => {
    const { server } = serve({ apis: [orders] });
    for (const value of ['a\r\nx-injected: 1', 'a\0b']) {
      const res = await server.inject({ method: 'GET', path: '/shop/orders/1', headers: { 'x-v': value } });
      expect(res.status).toBe(400);
    }
  });

  it('refuses too many headers, and headers too large, with 431', async () => {
    const { server } = serve({ apis: [orders], limits: { maxHeadersCount: 5, headerBytes: 1024 } });
    const many = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x-h${i}`, 'v']));
    expect((await server.inject({ method: 'GET', path: '/shop/orders/1', headers: many })).status).toBe(431);
    const large = { 'x-big': 'v'.repeat(2000) };
    expect((await server.inject({ method: 'GET', path: '/shop/orders/1', headers: large })).status).toBe(431);
  });

  it('answers a path with broken percent-encoding with 400', async () => {
    const { server } = serve({ apis: [orders] });
    expect((await server.inject({ method: 'GET', path: '/shop/orders/%E0%A4%A' })).status).toBe(400);
  });
});

describe('httpServer CORS', () => {
  const api = httpApi({
    name: 'cors',
    context: '/c',
    cors: { origins: ['https://app.example'], credentials: true, maxAge: 600, exposeHeaders: ['x-total'] },
    resources: [
      { method: ['GET', 'POST'], path: '/items', steps: [setBody([]), respond()] },
      { method: 'OPTIONS', path: '/custom', steps: [setBody('custom options'), respond()] },
    ],
  });

  it('answers a preflight from an allowed origin with the path methods and the asked headers', async () => {
    const { server } = serve({ apis: [api] });
    const res = await server.inject({
      method: 'OPTIONS',
      path: '/c/items',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-token',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET, HEAD, POST',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    });
  });

  it('gives a preflight from another origin no allow headers', async () => {
    const { server } = serve({ apis: [api] });
    const res = await server.inject({
      method: 'OPTIONS',
      path: '/c/items',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('adds CORS headers to actual replies, errors included', async () => {
    const { server } = serve({ apis: [api] });
    const ok = await server.inject({
      method: 'GET',
      path: '/c/items',
      headers: { origin: 'https://app.example' },
    });
    expect(ok.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-expose-headers': 'x-total',
      vary: 'Origin',
    });
    const refused = await server.inject({
      method: 'DELETE',
      path: '/c/items',
      headers: { origin: 'https://app.example' },
    });
    expect(refused.status).toBe(405);
    expect(refused.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('answers a plain OPTIONS with 204 and Allow, unless a resource serves OPTIONS', async () => {
    const { server } = serve({ apis: [api] });
    const plain = await server.inject({ method: 'OPTIONS', path: '/c/items' });
    expect([plain.status, plain.headers.allow]).toEqual([204, 'GET, HEAD, POST']);
    const custom = await server.inject({ method: 'OPTIONS', path: '/c/custom' });
    expect(custom.text()).toBe('custom options');
  });
});

describe('httpServer configuration', () => {
  it('never echoes request-only headers such as cookie, authorization and host in a reply', async () => {
    const api = httpApi({
      name: 'echo',
      context: '/echo',
      resources: [
        { method: 'POST', path: '/', steps: [setBody({ ok: true }), setHeader('x-kept', 'yes'), respond()] },
      ],
    });
    const { server } = serve({ apis: [api] });
    const reply = await server.inject({
      method: 'POST',
      path: '/echo/',
      headers: {
        cookie: 'session=secret',
        authorization: 'Bearer secret',
        'user-agent': 'ua',
        'x-custom': 'c',
      },
      body: { a: 1 },
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ ok: true });
    expect(reply.headers['x-kept']).toBe('yes');
    for (const name of ['cookie', 'authorization', 'host', 'user-agent'])
      expect(reply.headers[name]).toBeUndefined();
  });

  it('registers one engine route per resource', () => {
    const { engine } = serve({ apis: [orders] });
    expect(engine.routes.map((r) => r.id)).toContain('orders:GET:/shop/orders/{id}');
    expect(engine.routes.map((r) => r.id)).toContain('orders:POST,PUT:/shop/orders');
  });

  it('refuses two resources on the same method and path when the server is added', () => {
    const a = httpApi({ name: 'a', context: '/x', resources: [{ method: 'GET', path: '/{id}', steps: [] }] });
    const b = httpApi({
      name: 'b',
      context: '/x',
      resources: [{ method: 'GET', path: '/{other}', steps: [] }],
    });
    expect(() => serve({ apis: [a, b] })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_HTTP_INVALID_CONFIG' }),
    );
  });

  it('refuses bad declarations early', () => {
    expect(() => httpApi({ name: 'a', context: 'x', resources: [] })).toThrow(/context must start with/);
    expect(() =>
      httpApi({ name: 'a', context: '/x', resources: [{ method: 'G ET', path: '/', steps: [] }] }),
    ).toThrow(/not an HTTP method/);
    expect(() => httpServer({ port: 70_000 })).toThrow(/port/);
    expect(() => proxyService({ name: 'a b', steps: [] })).toThrow(/invalid/);
  });

  it('reports a missing engine and a server that is not listening', async () => {
    const server = httpServer({ port: 0 });
    await expect(server.inject({ method: 'GET', path: '/' })).rejects.toMatchObject({
      code: 'MEDIARY_HTTP_NOT_REGISTERED',
    });
    expect(() => server.url).toThrow(expect.objectContaining({ code: 'MEDIARY_HTTP_NOT_LISTENING' }));
  });
});
