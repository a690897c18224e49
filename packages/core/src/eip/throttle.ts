/**
 * Throttle (WSO2's throttle mediator, Camel's throttler): at most `rate.limit` messages per `rate.periodMs`
 * and at most `concurrency` at once inside the throttled steps, per key. Over the limit a message is either
 * refused with `MEDIARY_THROTTLED` (429, retryable — `details.retryAfterMs` says when a slot frees up) or,
 * in delay mode, waits on the engine's clock for a slot, first come first served, for at most `maxWaitMs`.
 *
 * Windows are fixed: a window opens with the first message after the previous one ended. State is per
 * engine; idle keys are forgotten.
 *
 * @module
 */
import { z } from 'zod';
import type { TimerHandle } from '../clock.js';
import type { MessageContext, Vars } from '../context.js';
import type { Expr } from '../expression.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import type { Runtime } from '../runtime.js';
import { eipErrors } from './errors.js';
import { evaluateKey } from './internal/key.js';
import { parseOptions } from './internal/options.js';
import { perEngine } from './internal/per-engine.js';
import { toSteps } from './internal/targets.js';

/** The serialisable part of {@link ThrottleOptions}. */
export const throttleOptionsSchema = z.object({
  /** At most `limit` messages per `periodMs` (engine clock), per key. */
  rate: z.object({ limit: z.number().int().min(1), periodMs: z.number().positive().finite() }).optional(),
  /** At most this many messages inside `steps` at once, per key (needs `steps`). */
  concurrency: z.number().int().min(1).optional(),
  /** `'reject'` (default) fails with `MEDIARY_THROTTLED`; `'delay'` waits for a slot. */
  mode: z.enum(['reject', 'delay']).default('reject'),
  /** Delay mode: longest wait before failing with `MEDIARY_THROTTLED`. Default 60 000. */
  maxWaitMs: z.number().min(0).finite().default(60_000),
  /** Delay mode: most messages waiting per key; more are refused. Default 10 000. */
  maxQueue: z.number().int().min(0).default(10_000),
});

export interface ThrottleOptions<V extends Vars = Vars> extends z.input<typeof throttleOptionsSchema> {
  /** What the limits are counted per (a client id, an API key…). Default: one count for every message. */
  readonly key?: Expr<string | number, V> | string;
  /** The throttled steps. Without them the throttle guards the rest of the flow (rate only). */
  readonly steps?: readonly Step[] | Mediator;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  timer: TimerHandle | undefined;
  cleanup: () => void;
}

interface Bucket {
  windowStart: number;
  used: number;
  active: number;
  readonly waiters: Waiter[];
  timer: TimerHandle | undefined;
}

const MAX_IDLE_KEYS = 10_000;

/**
 * Limits the rate and concurrency of messages.
 *
 * @example
 * throttle({ rate: { limit: 100, periodMs: 60_000 }, key: (ctx) => ctx.message.headers.get('x-api-key') ?? 'anonymous' })
 * throttle({ concurrency: 2, mode: 'delay', steps: [call('legacy-backend')] })
 */
export function throttle<V extends Vars = Vars>(options: ThrottleOptions<V>): Mediator<V> {
  const { rate, concurrency, mode, maxWaitMs, maxQueue } = parseOptions(
    'throttle',
    throttleOptionsSchema,
    options,
  );
  if (!rate && concurrency === undefined) {
    throw eipErrors.CONFIG_INVALID({ pattern: 'throttle', reason: 'give a rate, a concurrency, or both' });
  }
  if (concurrency !== undefined && !options.steps) {
    throw eipErrors.CONFIG_INVALID({ pattern: 'throttle', reason: 'concurrency needs the throttled steps' });
  }
  const steps = options.steps ? toSteps(options.steps, 'throttle:steps') : undefined;
  const bucketsOf = perEngine(() => new Map<string, Bucket>());

  const tryTake = (bucket: Bucket, now: number): boolean => {
    if (rate && now >= bucket.windowStart + rate.periodMs) {
      bucket.windowStart = now;
      bucket.used = 0;
    }
    if (rate && bucket.used >= rate.limit) return false;
    if (concurrency !== undefined && bucket.active >= concurrency) return false;
    bucket.used++;
    bucket.active++;
    return true;
  };

  const pump = (runtime: Runtime, bucket: Bucket) => {
    while (bucket.waiters.length > 0 && tryTake(bucket, runtime.clock.now())) {
      const waiter = bucket.waiters.shift()!;
      waiter.cleanup();
      waiter.resolve();
    }
    // Rate-limited waiters need time to pass: wake up when the window ends.
    if (bucket.waiters.length > 0 && rate && bucket.used >= rate.limit && bucket.timer === undefined) {
      const delay = Math.max(0, bucket.windowStart + rate.periodMs - runtime.clock.now());
      bucket.timer = runtime.clock.setTimeout(() => {
        bucket.timer = undefined;
        pump(runtime, bucket);
      }, delay);
    }
  };

  const wait = (ctx: MessageContext, key: string, bucket: Bucket) =>
    new Promise<void>((resolve, reject) => {
      if (bucket.waiters.length >= maxQueue) {
        reject(eipErrors.THROTTLED({ key, reason: `more than ${maxQueue} messages are waiting` }));
        return;
      }
      const { clock } = ctx.engine;
      const onAbort = () => {
        remove();
        reject(ctx.signal.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        timer: undefined,
        cleanup: () => {
          if (waiter.timer !== undefined) clock.clearTimeout(waiter.timer);
          ctx.signal.removeEventListener('abort', onAbort);
        },
      };
      const remove = () => {
        waiter.cleanup();
        const index = bucket.waiters.indexOf(waiter);
        if (index !== -1) bucket.waiters.splice(index, 1);
      };
      waiter.timer = clock.setTimeout(() => {
        remove();
        reject(
          eipErrors.THROTTLED(
            { key, reason: `no slot within ${maxWaitMs} ms` },
            { details: { retryAfterMs: 0 } },
          ),
        );
      }, maxWaitMs);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      bucket.waiters.push(waiter);
      pump(ctx.engine, bucket);
    });

  const bucketFor = (runtime: Runtime, key: string): Bucket => {
    const buckets = bucketsOf(runtime);
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= MAX_IDLE_KEYS) forgetIdle(buckets, runtime.clock.now(), rate?.periodMs ?? 0);
      bucket = { windowStart: Number.NEGATIVE_INFINITY, used: 0, active: 0, waiters: [], timer: undefined };
      buckets.set(key, bucket);
    }
    return bucket;
  };

  return defineMediator<V>('throttle', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const key =
      options.key === undefined ? '*' : await evaluateKey(options.key as Expr<string>, c, 'throttle');
    const bucket = bucketFor(c.engine, key);
    const now = c.engine.clock.now();
    if (!(bucket.waiters.length === 0 && tryTake(bucket, now))) {
      if (mode === 'reject') {
        const retryAfterMs = rate && bucket.used >= rate.limit ? bucket.windowStart + rate.periodMs - now : 0;
        throw eipErrors.THROTTLED(
          {
            key,
            reason:
              rate && bucket.used >= rate.limit
                ? `more than ${rate.limit} messages in ${rate.periodMs} ms`
                : `more than ${concurrency} at once`,
          },
          { details: { retryAfterMs } },
        );
      }
      await wait(c, key, bucket);
    }
    if (!steps) {
      bucket.active--;
      return undefined;
    }
    try {
      return await steps.run(c);
    } finally {
      bucket.active--;
      pump(c.engine, bucket);
    }
  });
}

function forgetIdle(buckets: Map<string, Bucket>, now: number, periodMs: number): void {
  for (const [key, bucket] of buckets) {
    if (bucket.active === 0 && bucket.waiters.length === 0 && now >= bucket.windowStart + periodMs) {
      buckets.delete(key);
    }
  }
}
