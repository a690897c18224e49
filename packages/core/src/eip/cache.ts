/**
 * Response cache (WSO2's cache mediator): on a hit the message's body, headers and status are restored
 * from the cache and the cached steps are skipped; on a miss the steps run and the resulting message is
 * stored (body bytes, headers, status, and how the steps ended). Entries expire after `ttlMs` on the
 * engine's clock; at most `maxEntries` are kept, the least recently used going first. Failures and, by
 * default, replies with a status of 400 or more are not cached. State is per engine.
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext, Vars } from '../context.js';
import type { Expr } from '../expression.js';
import { defineMediator, type Mediator, type Outcome, type Step } from '../mediator.js';
import { createMessage, type Message } from '../message.js';
import { evaluateKey } from './internal/key.js';
import { parseOptions } from './internal/options.js';
import { perEngine } from './internal/per-engine.js';
import { toSteps } from './internal/targets.js';

/** The serialisable part of {@link CacheOptions}. */
export const cacheOptionsSchema = z.object({
  /** How long an entry is served, on the engine's clock. */
  ttlMs: z.number().positive().finite(),
  /** Most entries kept; the least recently used is evicted first. Default 1000. */
  maxEntries: z.number().int().min(1).default(1000),
  /** Set `vars[hitVar]` to true on a hit and false on a miss. Default `'cacheHit'`; `false` sets nothing. */
  hitVar: z.union([z.string().min(1), z.literal(false)]).default('cacheHit'),
});

export interface CacheOptions<V extends Vars = Vars> extends z.input<typeof cacheOptionsSchema> {
  /** What identifies a response (e.g. the path and query). */
  readonly key: Expr<string | number, V> | string;
  /** The steps whose result is cached (typically a call). */
  readonly steps: readonly Step[] | Mediator;
  /** Whether a result may be cached. Default: the message status is absent or below 400. */
  readonly cacheable?: (message: Message) => boolean;
}

interface Entry {
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number | undefined;
  readonly outcome: Outcome;
  readonly expiresAt: number;
}

/**
 * Caches the result of some steps by key.
 *
 * @example
 * cache({ key: (ctx) => `doctors:${ctx.transport.params.category}`, ttlMs: 60_000, steps: [call('hospital')] })
 */
export function cache<V extends Vars = Vars>(options: CacheOptions<V>): Mediator<V> {
  const { ttlMs, maxEntries, hitVar } = parseOptions('cache', cacheOptionsSchema, options);
  const steps = toSteps(options.steps, 'cache:steps');
  const cacheable = options.cacheable ?? ((m: Message) => m.status === undefined || m.status < 400);
  const entriesOf = perEngine(() => new Map<string, Entry>());

  return defineMediator<V>('cache', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const key = await evaluateKey(options.key as Expr<string>, c, 'cache');
    const entries = entriesOf(c.engine);
    const now = c.engine.clock.now();
    const hit = entries.get(key);
    if (hit && hit.expiresAt > now) {
      // Re-inserting keeps the Map's order least-recently-used first.
      entries.delete(key);
      entries.set(key, hit);
      c.message = createMessage({ headers: hit.headers, body: hit.body, limits: c.message.limits });
      c.message.status = hit.status;
      if (hitVar !== false) c.vars[hitVar] = true;
      return hit.outcome;
    }
    if (hit) entries.delete(key);
    if (hitVar !== false) c.vars[hitVar] = false;
    const outcome: Outcome = (await steps.run(c)) ?? undefined;
    if (outcome !== 'drop' && cacheable(c.message)) {
      const reply = c.message;
      entries.set(key, {
        body: await reply.bytes(),
        headers: reply.headers.toObject(),
        status: reply.status,
        outcome,
        expiresAt: c.engine.clock.now() + ttlMs,
      });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return outcome;
  });
}
