/**
 * The reply body as it leaves the endpoint: undici's body stream, unread (pass-through), behind a thin
 * iterator that counts bytes against the reply cap, turns stream failures into Mediary errors, and ends the
 * exchange (deadline, abort listener) when the body is done — read to the end, failed, or given up.
 *
 * It is an iterator object rather than an async generator on purpose: a generator's `return()` waits for a
 * pending `next()`, so a consumer giving up on a stalled backend would hang; here `return()` destroys the
 * source at once, which also fails the pending read.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { BodySource } from '@mediary/core';
import type { ExchangeGuard } from './exchange-guard.js';

const noop = (): void => {};

/**
 * A reply body that nobody can read any more (the message was dropped unread) releases its connection when
 * the iterator is collected, instead of holding it until the deadline.
 */
const abandoned = new FinalizationRegistry<{ source: Readable; guard: ExchangeGuard }>(
  ({ source, guard }) => {
    source.destroy();
    guard.finish();
  },
);

/**
 * Wraps a reply body stream.
 *
 * @example
 * const body = guardedBody(reply.body, guard, 10 * 1024 * 1024);
 */
export function guardedBody(source: Readable, guard: ExchangeGuard, limit: number): BodySource {
  // The stream is destroyed with an error on deadline, abort or return() even when nobody reads it; that
  // error is reported through the iterator, so it must not crash the process as an unhandled 'error'.
  source.on('error', noop);
  let iterator: AsyncIterator<Uint8Array> | undefined;
  let received = 0;
  let done = false;
  const finish = (): IteratorReturnResult<undefined> => {
    done = true;
    abandoned.unregister(body);
    guard.finish();
    return { done: true, value: undefined };
  };
  const body: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return body;
    },
    async next() {
      if (done) return { done: true, value: undefined };
      if (!iterator) {
        guard.markReading();
        iterator = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      }
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } catch (error) {
        finish();
        throw guard.failure(error, 'body');
      }
      if (step.done) return finish();
      received += step.value.byteLength;
      if (received > limit) {
        finish();
        source.destroy();
        throw guard.tooLarge(limit);
      }
      return step;
    },
    async return() {
      if (!done) source.destroy();
      return finish();
    },
  };
  abandoned.register(body, { source, guard }, body);
  return body;
}
