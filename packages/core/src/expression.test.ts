// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Mediary templates are plain strings with ${…} placeholders.
import { describe, expect, it } from 'vitest';
import type { MessageContext } from './context.js';
import { createEngine, type Engine } from './engine.js';
import { coreErrors, type MediaryError } from './errors.js';
import { compileJsonata, evaluate, jsonata, parseTemplate, template } from './expression.js';
import { silentLogger } from './logger.js';
import { setVar } from './mediators/basic.js';
import { createMessage, type Message } from './message.js';
import type { EngineLimits } from './runtime.js';

function engineWith(limits: Partial<EngineLimits> = {}): Engine {
  return createEngine({ logger: silentLogger, limits, config: { region: 'eu' } });
}

/** Evaluates an expression in a real context of a real engine; resolves with the value or the error. */
async function run<T>(
  expr: (ctx: MessageContext) => T | Promise<T>,
  options: { message?: Message; vars?: Record<string, unknown>; engine?: Engine } = {},
): Promise<{ value?: T; error?: MediaryError; message: Message }> {
  const engine = options.engine ?? engineWith();
  let value: T | undefined;
  const exchange = await engine.dispatch(
    {
      name: 'probe',
      run: async (ctx) => {
        value = await expr(ctx);
      },
    },
    options.message ?? createMessage(),
    { vars: options.vars ?? {} },
  );
  return exchange.ok
    ? { value: value as T, message: exchange.message }
    : { error: exchange.error, message: exchange.message };
}

describe('jsonata expressions', () => {
  it('see payload, vars, headers, params, query, props and config', async () => {
    const engine = engineWith();
    const expr = jsonata<string>(
      '[payload.hospital, $string(vars.id), headers."x-a", params.p, query.q, props.method, config.region] ~> $join("|")',
    );
    let seen: string | undefined;
    await engine.dispatch(
      {
        name: 'probe',
        run: async (ctx) => {
          seen = await expr(ctx);
        },
      },
      createMessage({ json: { hospital: 'h' }, headers: { 'X-A': 'ha' } }),
      {
        vars: { id: 7 },
        transport: { name: 'test', params: { p: 'pp' }, query: { q: 'qq' }, props: { method: 'POST' } },
      },
    );
    expect(seen).toBe('h|7|ha|pp|qq|POST|eu');
    expect(expr.source).toContain('payload.hospital');
  });

  it('leave an unread body unread when the expression does not mention payload', async () => {
    async function* body(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('{}');
    }
    const result = await run(jsonata('vars.n + 1'), {
      message: createMessage({ body: body(), contentType: 'application/json' }),
      vars: { n: 1 },
    });
    expect(result.value).toBe(2);
    expect(result.message.bodyState).toBe('stream');
  });

  it('see the error being handled as error.code, error.message and error.status', async () => {
    const engine = engineWith();
    let seen: unknown;
    await engine.dispatch(
      {
        name: 'probe',
        run: async (ctx) => {
          ctx.error = coreErrors.NOT_FOUND_ROUTE({ id: 'x' });
          seen = await jsonata('error')(ctx);
        },
      },
      createMessage(),
    );
    expect(seen).toEqual({ code: 'MEDIARY_ROUTE_NOT_FOUND', message: 'No route has the id x', status: 404 });
  });

  it('fail to compile with MEDIARY_EXPR_COMPILE naming the expression and the position', async () => {
    expect(() => compileJsonata('payload.(')).toThrow(
      expect.objectContaining({
        code: 'MEDIARY_EXPR_COMPILE',
        message: expect.stringMatching(/payload\.\(.*position/),
      }),
    );
    const { error } = await run(jsonata('1 +'));
    expect(error?.code).toBe('MEDIARY_EXPR_COMPILE');
    expect(error?.details.expression).toBe('1 +');
  });

  it('fail to evaluate with MEDIARY_EXPR_EVAL naming the expression, never with a silent empty', async () => {
    const { error } = await run(jsonata('$number("abc") + "x"'));
    expect(error?.code).toBe('MEDIARY_EXPR_EVAL');
    expect(error?.message).toContain('$number("abc") + "x"');
    expect(error?.cause).toBeDefined();
  });

  it('refuse $eval, so message content never becomes an expression', async () => {
    const { error } = await run(jsonata('$eval(payload.code)'), {
      message: createMessage({ json: { code: '1 + 1' } }),
    });
    expect(error?.code).toBe('MEDIARY_EXPR_EVAL');
    expect(error?.message).toContain('$eval is disabled');
  });

  it('treat a JSON body that is not an object as the payload itself', async () => {
    expect(
      (await run(jsonata('$count(payload)'), { message: createMessage({ json: [1, 2, 3] }) })).value,
    ).toBe(3);
    expect((await run(jsonata('payload'), { message: createMessage() })).value).toBeUndefined();
  });
});

describe('jsonata guards on by default', () => {
  it('stop a tail-recursive loop that never ends on the time limit with MEDIARY_EXPR_LIMIT', async () => {
    const source = '($f := function($x){ $f($x + 1) }; $f(0))';
    const { error } = await run(jsonata(source));
    expect(error?.code).toBe('MEDIARY_EXPR_LIMIT');
    expect(error?.details.expression).toBe(source);
    expect(error?.message).toBe(`Expression ${source} was stopped: it ran longer than the time limit`);
  });

  it('stop a recursion without end on the stack limit with MEDIARY_EXPR_LIMIT', async () => {
    const source = '($f := function($x){ 1 + $f($x + 1) }; $f(0))';
    const { error } = await run(jsonata(source));
    expect(error?.code).toBe('MEDIARY_EXPR_LIMIT');
    expect(error?.message).toBe(`Expression ${source} was stopped: it recursed deeper than the stack limit`);
  });

  it('stop an expression that builds a huge sequence with MEDIARY_EXPR_LIMIT', async () => {
    for (const source of ['[1..10000000].($ * 2)', '$map([1..9999999], function($v){ $v * 2 })']) {
      const { error } = await run(jsonata(source));
      expect(error?.code).toBe('MEDIARY_EXPR_LIMIT');
      expect(error?.message).toBe(
        `Expression ${source} was stopped: it built a sequence larger than the sequence limit`,
      );
    }
    const range = await run(jsonata('$count([1..100000000])'));
    expect(range.error?.message).toContain('it built a range larger than the sequence limit');
  });

  it('stop an expression that builds a string over the string limit', async () => {
    const engine = engineWith({ expressionMaxStringLength: 1000 });
    const { error } = await run(jsonata('$pad("x", 5000)'), { engine });
    expect(error?.code).toBe('MEDIARY_EXPR_LIMIT');
    expect(error?.message).toContain('it built a string longer than the string limit');
  });

  it('apply the engine limits, so a smaller time limit stops a loop sooner', async () => {
    const engine = engineWith({ expressionTimeoutMs: 50 });
    const started = performance.now();
    const { error } = await run(jsonata('($f := function($x){ $f($x + 1) }; $f(0))'), { engine });
    expect(error?.code).toBe('MEDIARY_EXPR_LIMIT');
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('let other messages on the same engine complete while a runaway expression runs', async () => {
    const engine = engineWith();
    engine.addRoute({
      id: 'runaway',
      steps: [setVar('r', jsonata('($f := function($x){ $f($x + 1) }; $f(0))'))],
    });
    engine.addRoute({ id: 'small', steps: [setVar('double', jsonata('vars.n * 2'))] });
    let runawaySettled = false;
    const runaway = engine.dispatch('runaway', createMessage()).then((exchange) => {
      runawaySettled = true;
      return exchange;
    });
    const small = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        engine.dispatch('small', createMessage(), { vars: { n } }).then((exchange) => ({
          exchange,
          runawayStillRunning: !runawaySettled,
        })),
      ),
    );
    for (const [n, { exchange, runawayStillRunning }] of small.entries()) {
      expect(exchange.ok).toBe(true);
      expect(exchange.context.vars.double).toBe(n * 2);
      expect(runawayStillRunning).toBe(true);
    }
    const stopped = await runaway;
    expect(stopped.ok).toBe(false);
    if (!stopped.ok) expect(stopped.error.code).toBe('MEDIARY_EXPR_LIMIT');
  });

  it('evaluate the same compiled expression concurrently without mixing up their states', async () => {
    const engine = engineWith();
    const expr = jsonata('$sum([1..vars.n])');
    const results = await Promise.all(
      [10, 1000, 5000].map((n) => run(expr, { engine, vars: { n } }).then((r) => r.value)),
    );
    expect(results).toEqual([55, 500500, 12502500]);
  });
});

describe('template strings', () => {
  it('fill ${…} placeholders, writing non-strings as JSON and undefined as nothing', async () => {
    const t = template('a=${vars.a} o=${vars.o} missing=[${vars.none}]');
    const { value } = await run(t, { vars: { a: 'x', o: { k: [1] } } });
    expect(value).toBe('a=x o={"k":[1]} missing=[]');
    expect(t.source).toBe('a=${vars.a} o=${vars.o} missing=[${vars.none}]');
  });

  it('honour nested braces and quoted braces inside a placeholder', async () => {
    const { value } = await run(template('v=${ {"a": {"b": "}"}}.a.b } n=${ {"x": 1}.x }'));
    expect(value).toBe('v=} n=1');
  });

  it('write $${ as a literal ${', async () => {
    const { value } = await run(template('cost: $${vars.x} is ${vars.x}'), { vars: { x: 5 } });
    expect(value).toBe('cost: ${vars.x} is 5');
  });

  it('return a constant without evaluating anything when there is no placeholder', () => {
    const t = template('plain $${text}');
    expect(t({} as MessageContext)).toBe('plain ${text}');
  });

  it('reject an unclosed placeholder with MEDIARY_EXPR_COMPILE', () => {
    expect(() => template('hello ${vars.x')).toThrow(
      expect.objectContaining({
        code: 'MEDIARY_EXPR_COMPILE',
        message: expect.stringContaining('unclosed placeholder at position 6'),
      }),
    );
  });

  it('split a template into literal text and expressions', () => {
    expect(parseTemplate('a ${x} b ${ "}" } c')).toEqual([
      'a ',
      { expression: 'x' },
      ' b ',
      { expression: ' "}" ' },
      ' c',
    ]);
    expect(parseTemplate("${ 'it\\'s' }")).toEqual([{ expression: " 'it\\'s' " }]);
  });
});

describe('evaluate', () => {
  it('calls functions with the context and returns constants as they are', async () => {
    const ctx = { vars: { a: 1 } } as unknown as MessageContext;
    expect(await evaluate((c: MessageContext) => c.vars.a, ctx)).toBe(1);
    expect(await evaluate(42, ctx)).toBe(42);
  });
});
