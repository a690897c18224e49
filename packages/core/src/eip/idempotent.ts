/**
 * Idempotent consumer (Camel's idempotentConsumer): a message whose key was already seen within the window
 * is a duplicate — skipped (`'drop'`), or marked with `vars.duplicate = true` and let through.
 *
 * - `eager` (default): the key is recorded before the steps run, so a duplicate that arrives while the
 *   first copy is still being processed is caught too; if the steps fail the key is removed again (unless
 *   `removeOnFailure: false`), so a redelivery can succeed.
 * - `on-completion`: the key is recorded only when the steps succeeded; a failed message leaves no trace.
 *   A copy arriving while the first is still running is treated as a duplicate (tracked in memory, per
 *   engine), so two copies never run at once.
 *
 * With `steps`, they are the protected work. Without them the consumer guards the rest of the flow; that is
 * only possible in eager mode (without `removeOnFailure`), since a mediator cannot see how the rest of the
 * flow ends.
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext, Vars } from '../context.js';
import type { Expr } from '../expression.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import { eipErrors } from './errors.js';
import { createMemoryIdempotentRepository, type IdempotentRepository } from './idempotent-repository.js';
import { evaluateKey } from './internal/key.js';
import { parseOptions } from './internal/options.js';
import { perEngine } from './internal/per-engine.js';
import { toSteps } from './internal/targets.js';

/** The serialisable part of {@link IdempotentOptions}. */
export const idempotentOptionsSchema = z.object({
  /** When the key is recorded. Default `'eager'`. */
  mode: z.enum(['eager', 'on-completion']).default('eager'),
  /** `'skip'` (default) ends a duplicate's flow with `'drop'`; `'mark'` sets `vars.duplicate` and goes on. */
  onDuplicate: z.enum(['skip', 'mark']).default('skip'),
  /** How long a key counts, on the repository's clock. Default 24 h. */
  windowMs: z
    .number()
    .positive()
    .finite()
    .default(24 * 60 * 60 * 1000),
  /** Eager mode: forget the key when the steps fail. Default true. */
  removeOnFailure: z.boolean().default(true),
});

export interface IdempotentOptions<V extends Vars = Vars> extends z.input<typeof idempotentOptionsSchema> {
  /** The message's identity (a message id header, a business key). */
  readonly key: Expr<string | number, V> | string;
  /** Where keys are remembered. Default: in memory, one per engine, on the engine's clock. */
  readonly repository?: IdempotentRepository;
  /** The protected steps. Required for `on-completion`. */
  readonly steps?: readonly Step[] | Mediator;
}

/**
 * Lets each message through once per key and window.
 *
 * @example
 * idempotent({ key: (ctx) => ctx.message.headers.get('x-message-id') ?? '', steps: [call('payments')] })
 * idempotent({ key: jsonata('payload.orderId'), mode: 'on-completion', onDuplicate: 'mark', steps: [...] })
 */
export function idempotent<V extends Vars = Vars>(options: IdempotentOptions<V>): Mediator<V> {
  const { mode, onDuplicate, windowMs, removeOnFailure } = parseOptions(
    'idempotent',
    idempotentOptionsSchema,
    options,
  );
  if (!options.steps && mode === 'on-completion') {
    throw eipErrors.CONFIG_INVALID({
      pattern: 'idempotent',
      reason: "mode 'on-completion' needs the protected steps",
    });
  }
  const steps = options.steps ? toSteps(options.steps, 'idempotent:steps') : undefined;
  const stateOf = perEngine((runtime) => ({
    repository: options.repository ?? createMemoryIdempotentRepository({ clock: runtime.clock }),
    running: new Set<string>(),
  }));

  return defineMediator<V>('idempotent', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const key = await evaluateKey(options.key as Expr<string>, c, 'idempotent');
    const { repository, running } = stateOf(c.engine);

    let duplicate: boolean;
    if (mode === 'eager') duplicate = !(await repository.add(key, windowMs));
    else if (running.has(key)) duplicate = true;
    else {
      // Claimed before the repository is asked, so a copy arriving meanwhile sees it as running.
      running.add(key);
      duplicate = await repository.contains(key).catch((error: unknown) => {
        running.delete(key);
        throw error;
      });
      if (duplicate || !steps) running.delete(key);
    }
    if (duplicate) {
      if (onDuplicate === 'skip') {
        c.log.debug('duplicate message skipped', { routeId: c.routeId, key });
        return 'drop';
      }
      c.vars.duplicate = true;
      // A marked duplicate runs the steps, but records and removes nothing: the first copy owns the key.
      return steps ? steps.run(c) : undefined;
    }
    if (onDuplicate === 'mark') c.vars.duplicate = false;
    if (!steps) return undefined;

    if (mode === 'eager') {
      try {
        return await steps.run(c);
      } catch (error) {
        if (removeOnFailure) await repository.remove(key);
        throw error;
      }
    }
    try {
      const outcome = await steps.run(c);
      await repository.add(key, windowMs);
      return outcome;
    } finally {
      running.delete(key);
    }
  });
}
