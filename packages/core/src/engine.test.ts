import { createHarness } from '@mediary/testing';
import { describe, expect, it, vi } from 'vitest';
import type { EngineEvents } from './bus.js';
import { sleep } from './clock.js';
import { functionEndpoint } from './endpoint.js';
import { createEngine, definePlugin, type Engine, type Source } from './engine.js';
import { call, choice, createMessage, respond, setVar, throwError } from './index.js';
import { createConsoleLogger, silentLogger } from './logger.js';
import { defineMediator } from './mediator.js';
import { sequence } from './sequence.js';
import { callTemplate, defineTemplate } from './template.js';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A step that waits until the test releases it, or until the message is aborted. */
function gate(released: Promise<void>) {
  return defineMediator('gate', (ctx) =>
    Promise.race([
      released,
      new Promise<never>((_, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      }),
    ]),
  );
}

function quietEngine(name: string): Engine {
  return createEngine({ name, logger: silentLogger });
}

describe('engine', () => {
  it('routes a message through a route and a mocked endpoint', async () => {
    await using h = await createHarness((engine) => {
      engine.addRoute({
        id: 'reserve',
        steps: [
          setVar('hospital', async (ctx) => ((await ctx.message.json()) as { hospital: string }).hospital),
          choice({
            on: (ctx) => ctx.vars.hospital,
            cases: [{ equals: 'clemency medical center', steps: [call('clemency')] }],
            otherwise: [throwError({ message: 'unknown hospital', status: 400 })],
          }),
          respond(),
        ],
      });
    });
    h.mock('clemency').reply({ json: { appointmentNumber: 1 } });
    const ok = await h.send('reserve', { json: { hospital: 'clemency medical center' } });
    expect(ok.ok && (await ok.message.json())).toEqual({ appointmentNumber: 1 });
    const bad = await h.send('reserve', { json: { hospital: 'nowhere' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.status).toBe(400);
    h.mock('clemency').expectCalled(1);
  });

  it('keeps the message as it arrived in ctx.original', async () => {
    const engine = quietEngine('original');
    const exchange = await engine.dispatch(
      sequence([
        (ctx) => {
          ctx.message.headers.set('x-step', '1');
          ctx.message.setJson({ changed: true });
        },
      ]),
      createMessage({ json: { original: true }, headers: { 'x-in': 'a' } }),
    );
    expect(await exchange.context.original.json()).toEqual({ original: true });
    expect(exchange.context.original.headers.has('x-step')).toBe(false);
    expect(await exchange.message.json()).toEqual({ changed: true });
  });

  it('fails with MEDIARY_ROUTE_NOT_FOUND (404) for an unknown route, never throwing', async () => {
    const exchange = await quietEngine('missing').dispatch('nope', createMessage());
    expect(!exchange.ok && [exchange.error.code, exchange.error.status]).toEqual([
      'MEDIARY_ROUTE_NOT_FOUND',
      404,
    ]);
  });

  it('refuses a second route, sequence, template or endpoint with the same name', () => {
    const engine = quietEngine('dupes');
    engine.addRoute({ id: 'r', steps: [] });
    engine.addSequence('s', []);
    engine.addTemplate(defineTemplate('t', { params: {}, steps: [] }));
    engine.addEndpoint(functionEndpoint('e', () => undefined));
    const duplicate = expect.objectContaining({ code: 'MEDIARY_DUPLICATE_NAME' });
    expect(() => engine.addRoute({ id: 'r', steps: [] })).toThrow(duplicate);
    expect(() => engine.addSequence('s', [])).toThrow(duplicate);
    expect(() => engine.addTemplate(defineTemplate('t', { params: {}, steps: [] }))).toThrow(duplicate);
    expect(() => engine.addEndpoint(functionEndpoint('e', () => undefined))).toThrow(duplicate);
  });

  it('takes a safe x-correlation-id and replaces an unsafe one', async () => {
    const engine = quietEngine('correlation');
    const kept = await engine.dispatch(
      sequence([]),
      createMessage({ headers: { 'x-correlation-id': 'abc-123' } }),
    );
    expect(kept.context.correlationId).toBe('abc-123');
    const replaced = await engine.dispatch(
      sequence([]),
      createMessage({ headers: { 'x-correlation-id': 'bad id\r\nx: y' } }),
    );
    expect(replaced.context.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const given = await engine.dispatch(sequence([]), createMessage(), { correlationId: 'from-option' });
    expect(given.context.correlationId).toBe('from-option');
  });

  it('logs a 5xx failure once as an error and a 4xx failure at debug', async () => {
    const lines: Array<{ level: string; code: string }> = [];
    const engine = createEngine({
      name: 'logging',
      logger: createConsoleLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
    });
    await engine.dispatch(sequence([throwError({ message: 'boom', status: 502 })]), createMessage());
    await engine.dispatch(sequence([throwError({ message: 'bad', status: 400 })]), createMessage());
    expect(lines.map((l) => [l.level, l.code])).toEqual([
      ['error', 'MEDIARY_RAISED'],
      ['debug', 'MEDIARY_RAISED'],
    ]);
  });

  it('sets up plugins explicitly, with the engine they belong to', () => {
    const seen: string[] = [];
    const engine = createEngine({
      name: 'plugged',
      logger: silentLogger,
      plugins: [definePlugin('p', (e) => void seen.push(e.name))],
    });
    engine.use(definePlugin('q', (e) => void seen.push(`${e.name}!`)));
    expect(seen).toEqual(['plugged', 'plugged!']);
  });

  it('replaces an endpoint by name until the replacement is removed', async () => {
    const engine = quietEngine('replace');
    const real = functionEndpoint('e', () => ({ json: 'real' }));
    engine.addEndpoint(real);
    const restore = engine.replaceEndpoint(
      'e',
      functionEndpoint('e', () => ({ json: 'mock' })),
    );
    expect(engine.endpoint('e')).not.toBe(real);
    restore();
    expect(engine.endpoint('e')).toBe(real);
    expect(() => engine.endpoint('other')).toThrow(
      expect.objectContaining({ code: 'MEDIARY_ENDPOINT_NOT_FOUND' }),
    );
  });
});

describe('two engines in one process', () => {
  it('keep routes, sequences, templates and endpoints of the same names apart, with mocks on one only', async () => {
    const build = (engine: Engine, who: string) => {
      engine.addEndpoint(functionEndpoint('backend', () => ({ json: { from: `real-${who}` } })));
      engine.addSequence('tag', [setVar('engine', who)]);
      engine.addTemplate(
        defineTemplate('mark', { params: { by: {} }, steps: [setVar('markedBy', (ctx) => ctx.vars.by)] }),
      );
      engine.addRoute({
        id: 'r',
        steps: [
          sequence('tag'),
          callTemplate('mark', { by: who }),
          async (ctx) => sleep(ctx.engine.clock, 0, ctx.signal),
          call('backend', { into: { var: 'reply' } }),
          respond(),
        ],
      });
    };
    await using a = await createHarness((engine) => build(engine, 'a'), {
      name: 'engine-a',
      realClock: true,
    });
    const b = quietEngine('engine-b');
    build(b, 'b');
    a.mock('backend').reply({ json: { from: 'mock-a' } });
    const events = { a: 0, b: 0 };
    a.engine.bus.on('message:completed', () => void events.a++);
    b.bus.on('message:completed', () => void events.b++);

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? a.send('r', { json: { i } }).then((x) => ({ engine: 'a', x }))
          : b.dispatch('r', createMessage({ json: { i } })).then((x) => ({ engine: 'b', x })),
      ),
    );
    for (const { engine, x } of results) {
      expect(x.ok).toBe(true);
      expect(x.context.vars.engine).toBe(engine);
      expect(x.context.vars.markedBy).toBe(engine);
      expect(x.context.vars.reply).toEqual({ from: engine === 'a' ? 'mock-a' : 'real-b' });
      expect(x.context.engine.name).toBe(`engine-${engine}`);
    }
    a.mock('backend').expectCalled(10);
    expect(events).toEqual({ a: 10, b: 10 });
    expect(b.hasEndpoint('backend')).toBe(true);
  });
});

describe('engine lifecycle', () => {
  it('drains an in-flight message on stop, refusing new ones with MEDIARY_ENGINE_STOPPING (503)', async () => {
    const engine = quietEngine('drain');
    const release = deferred();
    engine.addRoute({ id: 'slow', steps: [gate(release.promise), setVar('done', true), respond()] });
    await engine.start();
    const inFlight = engine.dispatch('slow', createMessage());
    expect(engine.inFlight).toBe(1);
    const stopped: Array<EngineEvents['engine:stopped'][0]> = [];
    engine.bus.on('engine:stopped', (e) => void stopped.push(e));

    const stopping = engine.stop({ timeoutMs: 10_000 });
    expect(engine.state).toBe('stopping');
    const refused = await engine.dispatch('slow', createMessage());
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('MEDIARY_ENGINE_STOPPING');
      expect(refused.error.status).toBe(503);
      expect(refused.error.retryable).toBe(true);
    }

    release.resolve();
    const finished = await inFlight;
    await stopping;
    expect(finished.ok && finished.outcome).toBe('respond');
    expect(finished.context.vars.done).toBe(true);
    expect(engine.state).toBe('stopped');
    expect(engine.inFlight).toBe(0);
    expect(stopped).toEqual([{ engine: 'drain', abandoned: 0 }]);
  });

  it('aborts what is still running after the stop timeout through ctx.signal', async () => {
    const engine = quietEngine('abort');
    let signal: AbortSignal | undefined;
    engine.addRoute({
      id: 'stuck',
      steps: [
        (ctx) => {
          signal = ctx.signal;
        },
        gate(new Promise<void>(() => {})),
      ],
    });
    const stuck = engine.dispatch('stuck', createMessage());
    const stopped: Array<EngineEvents['engine:stopped'][0]> = [];
    engine.bus.on('engine:stopped', (e) => void stopped.push(e));
    await engine.stop({ timeoutMs: 20 });
    const result = await stuck;
    expect(signal?.aborted).toBe(true);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('MEDIARY_ENGINE_STOPPING');
    expect(stopped).toEqual([{ engine: 'abort', abandoned: 1 }]);
  });

  it('shows a message that reads its signal only after the stop timeout that it was aborted', async () => {
    const engine = quietEngine('late-reader');
    const release = deferred();
    engine.addRoute({
      id: 'late',
      steps: [
        () => release.promise,
        (ctx) => {
          ctx.vars.aborted = ctx.signal.aborted;
          ctx.vars.reason = (ctx.signal.reason as { code?: string }).code;
        },
      ],
    });
    const running = engine.dispatch('late', createMessage());
    await engine.stop({ timeoutMs: 10 });
    release.resolve();
    const result = await running;
    expect(result.context.vars).toEqual({ aborted: true, reason: 'MEDIARY_ENGINE_STOPPING' });
  });

  it('aborts a message through ctx.signal when the caller aborts', async () => {
    const engine = quietEngine('caller-abort');
    const controller = new AbortController();
    const running = engine.dispatch(sequence([gate(new Promise<void>(() => {}))]), createMessage(), {
      signal: controller.signal,
    });
    controller.abort(new DOMException('client went away', 'AbortError'));
    const result = await running;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ABORTED');
    const already = await engine.dispatch(
      sequence([
        (ctx) => {
          ctx.vars.aborted = ctx.signal.aborted;
        },
      ]),
      createMessage(),
      { signal: AbortSignal.abort() },
    );
    expect(already.context.vars.aborted).toBe(true);
  });

  it('aborts a message through the function bindAbort hands the caller, and ignores it once dispatch returned', async () => {
    const engine = quietEngine('bind-abort');
    let abort: ((reason: unknown) => void) | undefined;
    const running = engine.dispatch(sequence([gate(new Promise<void>(() => {}))]), createMessage(), {
      bindAbort: (fn) => {
        abort = fn;
      },
    });
    abort?.(new DOMException('client went away', 'AbortError'));
    const result = await running;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ABORTED');

    let late: ((reason: unknown) => void) | undefined;
    const done = await engine.dispatch(
      sequence([
        (ctx) => {
          ctx.vars.signal = ctx.signal;
        },
      ]),
      createMessage(),
      { bindAbort: (fn) => (late = fn) },
    );
    late?.(new Error('too late'));
    expect((done.context.vars.signal as AbortSignal).aborted).toBe(false);
  });

  it('gives every context the same shape, with signal an own property that survives a spread', async () => {
    const engine = quietEngine('context-shape');
    const exchange = await engine.dispatch(sequence([]), createMessage());
    const copy = { ...exchange.context, vars: {} };
    expect(Object.keys(exchange.context)).toContain('signal');
    expect(copy.signal).toBe(exchange.context.signal);
    expect(copy.signal.aborted).toBe(false);
  });

  it('starts and stops sources and closes endpoints, announcing each stage on the bus', async () => {
    const calls: string[] = [];
    const source: Source = {
      name: 'src',
      start: async () => void calls.push('start'),
      stop: async () => void calls.push('stop'),
      close: async () => void calls.push('close'),
    };
    const engine = quietEngine('stages');
    engine.addEndpoint({
      ...functionEndpoint('e', () => undefined),
      close: async () => void calls.push('endpoint-close'),
    });
    engine.addRoute({ id: 'r', steps: [] });
    engine.addSource(source);
    const events: string[] = [];
    for (const name of [
      'engine:started',
      'route:started',
      'engine:stopping',
      'route:stopped',
      'engine:stopped',
    ] as const)
      engine.bus.on(name, () => void events.push(name));
    await engine.start();
    expect(engine.state).toBe('started');
    await engine.start();
    await engine.stop();
    await engine.stop();
    expect(calls).toEqual(['start', 'stop', 'close', 'endpoint-close']);
    expect(events).toEqual([
      'route:started',
      'engine:started',
      'engine:stopping',
      'route:stopped',
      'engine:stopped',
    ]);
  });

  it('stops again and re-throws when a source fails to start', async () => {
    const engine = quietEngine('bad-source');
    engine.addSource({
      name: 'broken',
      start: async () => {
        throw new Error('port in use');
      },
      stop: async () => {},
    });
    await expect(engine.start()).rejects.toThrow('port in use');
    expect(engine.state).toBe('stopped');
  });

  it('starts a source added after start, reporting its failure on the bus', async () => {
    const engine = quietEngine('late-source');
    await engine.start();
    const failed = deferred<EngineEvents['source:error'][0]>();
    engine.bus.on('source:error', failed.resolve);
    engine.addSource({
      name: 'late',
      start: async () => {
        throw new Error('nope');
      },
      stop: async () => {},
    });
    const event = await failed.promise;
    expect(event.source).toBe('late');
    expect(event.error.code).toBe('MEDIARY_INTERNAL');
    await engine.stop();
  });
});

describe('engine bus', () => {
  it('emits message and mediator events in order, with durations', async () => {
    const engine = quietEngine('events');
    engine.addRoute({ id: 'r', steps: [setVar('a', 1), respond()] });
    engine.addRoute({ id: 'bad', steps: [throwError({ message: 'x', status: 500 })] });
    const events: Array<[string, Record<string, unknown>]> = [];
    for (const name of [
      'message:received',
      'message:completed',
      'message:failed',
      'mediator:enter',
      'mediator:leave',
    ] as const)
      engine.bus.on(name, (e: object) => void events.push([name, e as Record<string, unknown>]));

    const ok = await engine.dispatch('r', createMessage(), { correlationId: 'c1' });
    expect(events.map(([name, e]) => [name, e.mediator ?? e.outcome ?? null])).toEqual([
      ['message:received', null],
      ['mediator:enter', 'setVar'],
      ['mediator:leave', 'setVar'],
      ['mediator:enter', 'respond'],
      ['mediator:leave', 'respond'],
      ['message:completed', 'respond'],
    ]);
    for (const [name, e] of events) {
      expect(e).toMatchObject({ routeId: 'r', correlationId: ok.context.correlationId });
      if (name === 'mediator:leave' || name === 'message:completed')
        expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }

    events.length = 0;
    await engine.dispatch('bad', createMessage());
    expect(events.map(([name]) => name)).toEqual([
      'message:received',
      'mediator:enter',
      'mediator:leave',
      'message:failed',
    ]);
    expect((events[2]![1].error as { code: string }).code).toBe('MEDIARY_RAISED');
    expect((events[3]![1].error as { code: string }).code).toBe('MEDIARY_RAISED');
    expect(events[3]![1].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('measures mediators only while somebody listens to mediator events', async () => {
    const engine = quietEngine('observed');
    engine.addRoute({ id: 'r', steps: [setVar('a', 1), setVar('b', 2), setVar('c', 3), respond()] });
    const now = vi.spyOn(performance, 'now');
    try {
      expect(engine.observed).toBe(false);
      await engine.dispatch('r', createMessage());
      const unobserved = now.mock.calls.length;

      const listener = () => {};
      engine.bus.on('mediator:leave', listener);
      expect(engine.observed).toBe(true);
      now.mockClear();
      await engine.dispatch('r', createMessage());
      const observed = now.mock.calls.length;
      engine.bus.off('mediator:leave', listener);
      expect(engine.observed).toBe(false);

      expect(unobserved).toBeLessThanOrEqual(2);
      expect(observed).toBeGreaterThanOrEqual(unobserved + 8);
    } finally {
      now.mockRestore();
    }
  });
});
