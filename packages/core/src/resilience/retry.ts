/**
 * Retry: send again after a failure, with exponential back-off and jitter, waiting on the engine's clock.
 *
 * By default only errors marked `retryable` are retried (timeouts, unreachable backends, suspended
 * endpoints); a `400` or a bug fails at once. A cancelled message (its signal aborted) is never retried, and
 * the wait between attempts ends early when it is cancelled.
 *
 * **The request is buffered.** An unread stream body can be sent only once, so when more than one attempt
 * is allowed the wrapper reads the request body into memory before the first attempt — bounded by the
 * message limit (`maxBodyBytes`, default 10 MiB; a larger body fails with `MEDIARY_BODY_TOO_LARGE`). Bodies
 * already in memory are not copied. Give `maxAttempts: 1` to keep a pure pass-through stream.
 *
 * @module
 */
import { z } from 'zod';
import { sleep } from '../clock.js';
import type { EndpointWrapper } from '../endpoint.js';
import { type MediaryError, toMediaryError } from '../errors.js';
import { makeResendable, wrapped } from './internal/endpoints.js';
import { parseOptions } from './internal/options.js';
import { abortError } from './internal/signals.js';

/** The serialisable part of {@link RetryOptions} (what a configuration file can say). */
export const retryOptionsSchema = z.object({
  /** Attempts in total, the first included. Default 3. */
  maxAttempts: z.number().int().min(1).default(3),
  /** Back-off before the first retry, in ms. Default 200. */
  initialDelayMs: z.number().min(0).finite().default(200),
  /** Each further back-off is the previous one times this. Default 2. */
  multiplier: z.number().min(1).finite().default(2),
  /** Upper bound of one back-off, in ms. Default 30 000. */
  maxDelayMs: z.number().min(0).finite().default(30_000),
  /**
   * `full` waits a random time between 0 and the back-off (spreads retries of many clients apart);
   * `none` waits exactly the back-off. Default `full`.
   */
  jitter: z.enum(['full', 'none']).default('full'),
});

export interface RetryOptions extends z.input<typeof retryOptionsSchema> {
  /** Which errors are retried. Default: `error.retryable`. Anything thrown is normalised first. */
  readonly retryOn?: (error: MediaryError, attempt: number) => boolean;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`; tests pass a fixed one. */
  readonly random?: () => number;
}

/**
 * Retries failed calls with exponential back-off: the wait before retry `n` is
 * `min(maxDelayMs, initialDelayMs × multiplier^(n-1))`, randomised down to 0 with `jitter: 'full'`. Each
 * retry emits `endpoint:retry` on the engine's bus; when the attempts run out the last error is thrown.
 *
 * @example
 * const hospital = wrapEndpoint(
 *   httpEndpoint({ name: 'hospital', url }),
 *   retry({ maxAttempts: 4, initialDelayMs: 500, maxDelayMs: 5000 }),
 *   timeout(2000), // per attempt
 * );
 */
export function retry(options: RetryOptions = {}): EndpointWrapper {
  const { retryOn = (error: MediaryError) => error.retryable, random = Math.random, ...data } = options;
  const policy = parseOptions('retry', retryOptionsSchema, data);
  const backoff = (attempt: number): number => {
    const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
    return policy.jitter === 'full' ? Math.floor(random() * cap) : cap;
  };
  return (inner) =>
    wrapped(inner, async function retrySend(message, ctx) {
      if (policy.maxAttempts > 1) await makeResendable(message);
      for (let attempt = 1; ; attempt++) {
        try {
          return await inner.send(message, ctx);
        } catch (thrown) {
          const error = toMediaryError(thrown);
          if (ctx.signal.aborted) throw abortError(ctx.signal.reason);
          if (attempt >= policy.maxAttempts || !retryOn(error, attempt)) throw thrown;
          const delayMs = backoff(attempt);
          ctx.engine.bus.emit('endpoint:retry', { endpoint: inner.name, attempt, delayMs, error });
          try {
            await sleep(ctx.engine.clock, delayMs, ctx.signal);
          } catch (reason) {
            throw abortError(reason);
          }
        }
      }
    });
}
