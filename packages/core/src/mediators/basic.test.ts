// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Mediary templates are plain strings with ${…} placeholders.
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { coreErrors, defineErrors } from '../errors.js';
import { jsonata } from '../expression.js';
import type { Logger } from '../logger.js';
import {
  drop,
  log,
  removeHeader,
  removeVar,
  respond,
  retrySequence,
  setBody,
  setHeader,
  setStatus,
  setVar,
  throwError,
} from './basic.js';

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

function spyLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void =>
      void lines.push({ level, message, fields });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

const testErrors = defineErrors({
  UNKNOWN_HOSPITAL: {
    code: 'MEDIARY_TEST_UNKNOWN_HOSPITAL',
    message: 'No hospital is named {hospital}',
    status: 422,
  },
});

describe('setVar and removeVar', () => {
  it('set a variable from a constant, a function, an async function or JSONata, and remove one', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        setVar('constant', 'c'),
        setVar('fromFn', (ctx) => `${ctx.vars.constant}!`),
        setVar('fromAsync', async (ctx) => (await ctx.message.json<{ n: number }>()).n),
        setVar('fromJsonata', jsonata('payload.n * 10')),
        setVar('scratch', 1),
        removeVar('scratch'),
      ],
      { json: { n: 4 } },
    );
    expect(result.context.vars).toEqual({ constant: 'c', fromFn: 'c!', fromAsync: 4, fromJsonata: 40 });
  });
});

describe('setHeader and removeHeader', () => {
  it('set a header from a constant or an expression, and remove one', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        setHeader('X-Hospital', (ctx) => String(ctx.vars.id)),
        setHeader('x-fixed', 'v'),
        removeHeader('Authorization'),
      ],
      { headers: { authorization: 'Bearer x' } },
      { vars: { id: 7 } },
    );
    expect(result.message.headers.toObject()).toEqual({ 'x-hospital': '7', 'x-fixed': 'v' });
  });

  it('refuses a value with CR, LF or NUL (header injection) with a 400', async () => {
    await using h = await createHarness();
    for (const bad of ['a\r\nx-evil: 1', 'a\nb', 'a\rb', 'a\0b']) {
      const result = await h.send([setHeader('x-h', (ctx) => ctx.vars.bad as string)], {}, { vars: { bad } });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('MEDIARY_VALIDATION_FAILED');
        expect(result.error.status).toBe(400);
        expect(result.error.message).toContain('header x-h would contain a line break or NUL');
      }
      expect(result.message.headers.has('x-h')).toBe(false);
    }
  });
});

describe('setBody and setStatus', () => {
  it('set text, bytes or JSON bodies with an optional content type and status', async () => {
    await using h = await createHarness();
    const text = await h.send([setBody('hello')]);
    expect([text.message.contentType, await text.message.text()]).toEqual([
      'text/plain; charset=utf-8',
      'hello',
    ]);
    const bytes = await h.send([setBody(new Uint8Array([1, 2]))]);
    expect(bytes.message.contentType).toBe('application/octet-stream');
    expect([...(await bytes.message.bytes())]).toEqual([1, 2]);
    const json = await h.send(
      [setBody((ctx) => ({ id: ctx.vars.id }), { status: 202 })],
      {},
      { vars: { id: 1 } },
    );
    expect([json.message.contentType, json.message.status, await json.message.json()]).toEqual([
      'application/json',
      202,
      { id: 1 },
    ]);
    const typed = await h.send([setBody('<a/>', { contentType: 'application/xml' })]);
    expect(typed.message.contentType).toBe('application/xml');
  });

  it('set the reply status from a constant or an expression', async () => {
    await using h = await createHarness();
    expect((await h.send([setStatus(201)])).message.status).toBe(201);
    expect(
      (await h.send([setStatus((ctx) => ctx.vars.s as number)], {}, { vars: { s: 418 } })).message.status,
    ).toBe(418);
  });
});

describe('log', () => {
  it('writes a templated message at the chosen level with route and correlation ids', async () => {
    const lines: Line[] = [];
    await using h = await createHarness();
    await h.send(
      [log({ level: 'warn', message: 'reserving at ${vars.hospital}' })],
      {},
      {
        vars: { hospital: 'grandoaks' },
        correlationId: 'c-1',
        log: spyLogger(lines),
      },
    );
    expect(lines).toEqual([
      { level: 'warn', message: 'reserving at grandoaks', fields: { routeId: 'test', correlationId: 'c-1' } },
    ]);
  });

  it('redacts secret-looking fields, however deep, before any logger sees them', async () => {
    const lines: Line[] = [];
    await using h = await createHarness();
    await h.send(
      [
        log({
          message: (ctx) => `user ${ctx.vars.user}`,
          fields: {
            user: (ctx) => ctx.vars.user,
            password: 'hunter2',
            authorization: (ctx) => ctx.message.headers.get('authorization'),
            request: { headers: { 'x-api-key': 'k', accept: 'json' }, body: { token: 't', amount: 5 } },
          },
        }),
      ],
      { headers: { authorization: 'Bearer secret' } },
      { vars: { user: 'ann' }, log: spyLogger(lines) },
    );
    expect(lines[0]!.level).toBe('info');
    expect(lines[0]!.message).toBe('user ann');
    expect(lines[0]!.fields).toMatchObject({
      user: 'ann',
      password: '[redacted]',
      authorization: '[redacted]',
      request: {
        headers: { 'x-api-key': '[redacted]', accept: 'json' },
        body: { token: '[redacted]', amount: 5 },
      },
    });
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|Bearer secret/);
  });
});

describe('flow outcomes', () => {
  it("respond and drop stop the flow; retry is 'retry'", async () => {
    await using h = await createHarness();
    let after = false;
    const mark = () => {
      after = true;
    };
    const responded = await h.send([respond(), mark]);
    expect(responded.ok && responded.outcome).toBe('respond');
    const dropped = await h.send([drop(), mark]);
    expect(dropped.ok && dropped.outcome).toBe('drop');
    expect(after).toBe(false);
    expect(retrySequence().run({} as never)).toBe('retry');
  });
});

describe('throwError', () => {
  it('fails with a catalog error whose params may be expressions', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [throwError(testErrors.UNKNOWN_HOSPITAL, { hospital: jsonata('payload.hospital') })],
      { json: { hospital: 'nowhere' } },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(testErrors.UNKNOWN_HOSPITAL.is(result.error)).toBe(true);
      expect(result.error.message).toBe('No hospital is named nowhere');
      expect(result.error.status).toBe(422);
      expect(result.error.details).toEqual({ hospital: 'nowhere' });
    }
  });

  it('fails with a templated message and a status, as MEDIARY_RAISED unless a code is given', async () => {
    await using h = await createHarness();
    const raised = await h.send(
      [throwError({ message: 'unknown hospital ${payload.hospital}', status: 400 })],
      {
        json: { hospital: 'x' },
      },
    );
    expect(!raised.ok && [raised.error.code, raised.error.status, raised.error.message]).toEqual([
      'MEDIARY_RAISED',
      400,
      'unknown hospital x',
    ]);
    const coded = await h.send([throwError({ message: 'gone', code: 'MEDIARY_APP_GONE' })]);
    expect(!coded.ok && [coded.error.code, coded.error.status]).toEqual([
      'MEDIARY_APP_GONE',
      coreErrors.RAISED.status,
    ]);
  });
});
