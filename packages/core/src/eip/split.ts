/**
 * Split (Camel's splitter, WSO2's iterate/foreach): each item of an array becomes its own message, runs
 * through the given steps, and the items' final bodies are collected back in the original order.
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext, Vars } from '../context.js';
import { type MediaryError, toMediaryError } from '../errors.js';
import type { Expr } from '../expression.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import { createMessage } from '../message.js';
import { eipErrors } from './errors.js';
import { bodyValue } from './internal/body-value.js';
import { childContext } from './internal/child-context.js';
import { inheritStatus } from './internal/inherit-status.js';
import { describeType } from './internal/key.js';
import { parseOptions } from './internal/options.js';
import { toSteps } from './internal/targets.js';

/** Where collected results go: the body (default), a variable, or nowhere. */
export const collectTargetSchema = z.union([
  z.literal('body'),
  z.object({ var: z.string().min(1) }),
  z.literal(false),
]);
export type CollectTarget = z.output<typeof collectTargetSchema>;

/** The serialisable part of {@link SplitOptions}. */
export const splitOptionsSchema = z.object({
  /** How many items run at once. Default 1 (one after the other). Results keep the input order either way. */
  parallel: z.number().int().min(1).default(1),
  /**
   * Where the items' final bodies go, as a JSON array in input order. Items whose steps end with `'drop'`
   * are left out (a filter inside the split removes items). Default `'body'`.
   */
  collect: collectTargetSchema.default('body'),
  /**
   * Keep going when an item fails: the failed item is left out of the results and described in
   * `vars.splitErrors`. Default false: the first failure fails the split with `MEDIARY_SPLIT_ITEM_FAILED`,
   * whose details carry the item's index (no new items start; items already running finish).
   */
  continueOnError: z.boolean().default(false),
});

/** One item that failed while `continueOnError` was set (kept in `vars.splitErrors`). */
export interface SplitItemError {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

export interface SplitOptions<V extends Vars = Vars> extends z.input<typeof splitOptionsSchema> {
  /** The items. Default: the JSON body, which must be an array. */
  readonly items?: Expr<readonly unknown[], V>;
  /** What each item runs through. Each item sees `vars.splitIndex` and `vars.splitSize`. */
  readonly steps: readonly Step[] | Mediator;
}

const DROPPED = Symbol('dropped');

/**
 * Splits an array into one message per item.
 *
 * @example
 * split({ steps: [call('price'), transform(...)] })                      // body [a, b] → [priced a, priced b]
 * split({ items: jsonata('payload.orders'), parallel: 4, collect: { var: 'results' }, steps: [...] })
 */
export function split<V extends Vars = Vars>(options: SplitOptions<V>): Mediator<V> {
  const steps = toSteps(options.steps, 'split:item');
  const { parallel, collect, continueOnError } = parseOptions('split', splitOptionsSchema, options);
  return defineMediator<V>('split', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const items = await readItems(options.items as Expr<unknown> | undefined, c);
    const results = new Array<unknown>(items.length);
    const errors: SplitItemError[] = [];
    let failure: { index: number; error: MediaryError } | undefined;

    const runItem = async (index: number) => {
      const message = createMessage({
        headers: c.message.headers,
        json: items[index],
        limits: c.message.limits,
      });
      message.headers.delete('content-length');
      const item = childContext(c, message, { splitIndex: index, splitSize: items.length });
      try {
        const outcome = await steps.run(item);
        results[index] = outcome === 'drop' ? DROPPED : await bodyValue(item.message);
      } catch (thrown) {
        const error = toMediaryError(thrown);
        results[index] = DROPPED;
        if (continueOnError) errors.push({ index, code: error.code, message: error.message });
        else failure ??= { index, error };
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < items.length && failure === undefined) await runItem(next++);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));

    if (failure) throw itemFailed(failure.index, failure.error);
    if (continueOnError) c.vars.splitErrors = errors.sort((a, b) => a.index - b.index);
    if (collect === false) return;
    const collected = results.filter((r) => r !== DROPPED);
    if (collect === 'body') c.message.setJson(collected);
    else c.vars[collect.var] = collected;
  });
}

async function readItems(items: Expr<unknown> | undefined, ctx: MessageContext): Promise<readonly unknown[]> {
  const value = items ? await items(ctx) : await ctx.message.json();
  if (!Array.isArray(value)) throw eipErrors.SPLIT_NOT_ARRAY({ type: describeType(value) });
  return value;
}

function itemFailed(index: number, error: MediaryError): MediaryError {
  return inheritStatus(
    eipErrors.SPLIT_ITEM_FAILED(
      { index, reason: error.message },
      { cause: error, details: { itemCode: error.code } },
    ),
    error,
  );
}
