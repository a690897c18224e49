import { describe, expect, it } from 'vitest';
import {
  coreErrors,
  defineErrors,
  isMediaryError,
  listErrorSpecs,
  MediaryError,
  toMediaryError,
} from './errors.js';

const sample = defineErrors({
  THING: { code: 'MEDIARY_TEST_THING', message: 'Thing {name} failed with {detail}', status: 422 },
  FLAKY: { code: 'MEDIARY_TEST_FLAKY', message: 'Try again', status: 503, retryable: true },
});

describe('error catalogs', () => {
  it('create errors with the code, status, retryable flag, filled message, details and cause', () => {
    const cause = new Error('root');
    const error = sample.THING({ name: 'x', detail: { a: 1 } }, { cause });
    expect(error).toBeInstanceOf(MediaryError);
    expect(error.name).toBe('MediaryError');
    expect([error.code, error.status, error.retryable]).toEqual(['MEDIARY_TEST_THING', 422, false]);
    expect(error.message).toBe('Thing x failed with {"a":1}');
    expect(error.details).toEqual({ name: 'x', detail: { a: 1 } });
    expect(error.cause).toBe(cause);
    expect(sample.FLAKY().retryable).toBe(true);
    expect(sample.THING.code).toBe('MEDIARY_TEST_THING');
  });

  it('leave unknown placeholders as they are and shorten long echoed values', () => {
    expect(sample.THING({ name: 'y' }).message).toBe('Thing y failed with {detail}');
    expect(sample.THING({ name: 'z'.repeat(500), detail: 1 }).message).toBe(
      `Thing ${'z'.repeat(200)}… failed with 1`,
    );
  });

  it('show clients only the code and message', () => {
    expect(
      JSON.parse(JSON.stringify(sample.THING({ name: 'a', detail: 'b' }, { cause: new Error('secret') }))),
    ).toEqual({
      code: 'MEDIARY_TEST_THING',
      message: 'Thing a failed with b',
    });
  });

  it('recognise their own errors, also from a second copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { code: 'MEDIARY_TEST_THING', status: 422 });
    expect(sample.THING.is(sample.THING())).toBe(true);
    expect(sample.THING.is(foreign)).toBe(true);
    expect(sample.THING.is(sample.FLAKY())).toBe(false);
    expect(isMediaryError(foreign)).toBe(true);
    expect(isMediaryError(Object.assign(new Error('x'), { code: 'ENOENT', status: 1 }))).toBe(false);
    expect(isMediaryError({ code: 'MEDIARY_X', status: 1 })).toBe(false);
  });

  it('refuse a code defined twice with different messages, and list every code', () => {
    expect(() => defineErrors({ X: { code: 'MEDIARY_TEST_THING', message: 'other', status: 400 } })).toThrow(
      'Mediary error code MEDIARY_TEST_THING is defined twice with different messages',
    );
    const codes = listErrorSpecs().map((s) => s.code);
    expect(codes).toContain('MEDIARY_TEST_FLAKY');
    expect(codes).toContain(coreErrors.INTERNAL.code);
  });
});

describe('toMediaryError', () => {
  it('passes Mediary errors through, and hides anything else behind MEDIARY_INTERNAL with the cause', () => {
    const own = coreErrors.BODY_TOO_LARGE({ limit: 1 });
    expect(toMediaryError(own)).toBe(own);
    const wrapped = toMediaryError(new TypeError('x is undefined'));
    expect([wrapped.code, wrapped.status, wrapped.message]).toEqual([
      'MEDIARY_INTERNAL',
      500,
      'An internal error occurred',
    ]);
    expect((wrapped.cause as Error).message).toBe('x is undefined');
    expect(toMediaryError('a string').cause).toBe('a string');
  });

  it('turns an AbortError into a retryable MEDIARY_ABORTED', () => {
    const error = toMediaryError(new DOMException('The operation was aborted', 'AbortError'));
    expect([error.code, error.status, error.retryable]).toEqual(['MEDIARY_ABORTED', 503, true]);
  });
});
