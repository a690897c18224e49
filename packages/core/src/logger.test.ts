import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleLogger, redact, silentLogger } from './logger.js';

describe('redact', () => {
  it('replaces values of secret-looking names at any depth, in arrays too', () => {
    expect(
      redact({
        password: 'p',
        Authorization: 'Bearer x',
        nested: { apiKey: 'k', 'api-key': 'k', items: [{ clientSecret: 's', ok: 1 }] },
        cookie: 'c',
        privateKey: 'pk',
        plain: 'visible',
      }),
    ).toEqual({
      password: '[redacted]',
      Authorization: '[redacted]',
      nested: {
        apiKey: '[redacted]',
        'api-key': '[redacted]',
        items: [{ clientSecret: '[redacted]', ok: 1 }],
      },
      cookie: '[redacted]',
      privateKey: '[redacted]',
      plain: 'visible',
    });
  });

  it('shows errors as name, message and code, and leaves scalars alone', () => {
    const error = Object.assign(new Error('boom'), { code: 'X' });
    expect(redact({ error })).toEqual({ error: { name: 'Error', message: 'boom', code: 'X' } });
    expect(redact('password')).toBe('password');
    expect(redact(null)).toBeNull();
  });

  it('stops at a bounded depth instead of following a cycle forever', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => redact(cyclic)).not.toThrow();
  });
});

describe('console logger', () => {
  const saved = process.env.MEDIARY_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.MEDIARY_LOG_LEVEL;
    else process.env.MEDIARY_LOG_LEVEL = saved;
  });

  it('writes JSON lines at or above its level, with bindings, and redacts', () => {
    const lines: string[] = [];
    const log = createConsoleLogger({
      level: 'info',
      write: (l) => lines.push(l),
      bindings: { engine: 'e' },
    });
    log.debug('hidden');
    log.info('shown', { routeId: 'r', token: 't' });
    log.child({ correlationId: 'c' }).error('child');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      level: 'info',
      msg: 'shown',
      engine: 'e',
      routeId: 'r',
      token: '[redacted]',
    });
    expect(records[1]).toMatchObject({ level: 'error', msg: 'child', engine: 'e', correlationId: 'c' });
    expect(typeof records[0]!.time).toBe('string');
  });

  it('takes its level from MEDIARY_LOG_LEVEL when none is given', () => {
    process.env.MEDIARY_LOG_LEVEL = 'warn';
    const lines: string[] = [];
    const log = createConsoleLogger({ write: (l) => lines.push(l) });
    log.info('no');
    log.warn('yes');
    expect(lines).toHaveLength(1);
  });

  it('never throws into the host, even when writing fails', () => {
    const log = createConsoleLogger({
      write: () => {
        throw new Error('disk full');
      },
    });
    expect(() => log.error('x')).not.toThrow();
    expect(() => silentLogger.child({}).info('x')).not.toThrow();
  });
});
