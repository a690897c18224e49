/**
 * Clone / multicast (WSO2's clone, Camel's multicast, the scatter half of scatter-gather): every target
 * gets its own copy of the message — `message.clone()`, which copies headers and shares the body until a
 * target sets a new one — and its own copy of the variables.
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext, Vars } from '../context.js';
import { type MediaryError, toMediaryError } from '../errors.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { eipErrors } from './errors.js';
import { bodyValue } from './internal/body-value.js';
import { childContext } from './internal/child-context.js';
import { inheritStatus } from './internal/inherit-status.js';
import { parseOptions } from './internal/options.js';
import { toTarget } from './internal/targets.js';
import { collectTargetSchema } from './split.js';
import type { Target } from './target.js';

/** The serialisable part of {@link MulticastOptions}. */
export const multicastOptionsSchema = z.object({
  /** Run the targets at the same time (default) or one after the other. */
  parallel: z.boolean().default(true),
  /**
   * Where the targets' final bodies go, as a JSON array in target order (targets that end with `'drop'` are
   * left out). Default `false`: the current message is unchanged.
   */
  collect: collectTargetSchema.default(false),
  /** Ignore failed targets (they are left out of the results). Default false: the first failure fails the flow. */
  continueOnError: z.boolean().default(false),
  /** End the flow (`'drop'`) after the targets ran, as WSO2's clone does by default. Default false. */
  dropOriginal: z.boolean().default(false),
});

export interface MulticastOptions extends z.input<typeof multicastOptionsSchema> {
  /** Each target: steps, a mediator (`sequence('name')`), or an endpoint by name (the reply is its result). */
  readonly targets: readonly Target[];
}

/**
 * Sends a copy of the message to every target, waits for all of them, and continues.
 *
 * @example
 * multicast({ targets: ['grandoaks', 'clemency', 'pinevalley'], collect: { var: 'quotes' } })
 * multicast({ targets: [[setVar('copy', 'audit'), call('audit')], 'billing'] })
 */
export function multicast(options: MulticastOptions): Mediator {
  return fanOut('multicast', options);
}

/**
 * WSO2's clone: the same as {@link multicast}, under the name WSO2 users know.
 *
 * @example
 * clone({ targets: [[call('archive')], [call('index')]], dropOriginal: true })
 */
export function clone(options: MulticastOptions): Mediator {
  return fanOut('clone', options);
}

const DROPPED = Symbol('dropped');

function fanOut(pattern: string, options: MulticastOptions): Mediator {
  const targets = options.targets.map((t, i) => toTarget(t, `${pattern}:target${i}`));
  const { parallel, collect, continueOnError, dropOriginal } = parseOptions(
    pattern,
    multicastOptionsSchema,
    options,
  );
  return defineMediator<Vars>(pattern, async (ctx: MessageContext) => {
    const results = new Array<unknown>(targets.length);
    let failure: { index: number; error: MediaryError } | undefined;
    const runTarget = async (index: number) => {
      const branch = childContext(ctx, ctx.message.clone());
      try {
        const outcome = await targets[index]!.run(branch);
        results[index] = outcome === 'drop' || collect === false ? DROPPED : await bodyValue(branch.message);
      } catch (thrown) {
        results[index] = DROPPED;
        if (!continueOnError) failure ??= { index, error: toMediaryError(thrown) };
      }
    };
    if (!parallel) {
      for (let i = 0; i < targets.length && failure === undefined; i++) await runTarget(i);
    } else {
      await Promise.all(targets.map((_, i) => runTarget(i)));
    }
    if (failure) {
      const { index, error } = failure;
      throw inheritStatus(
        eipErrors.MULTICAST_TARGET_FAILED(
          { pattern, index, reason: error.message },
          { cause: error, details: { targetCode: error.code } },
        ),
        error,
      );
    }
    if (collect !== false) {
      const collected = results.filter((r) => r !== DROPPED);
      if (collect === 'body') ctx.message.setJson(collected);
      else ctx.vars[collect.var] = collected;
    }
    return dropOriginal ? 'drop' : undefined;
  });
}
