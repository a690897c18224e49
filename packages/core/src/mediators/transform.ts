/**
 * Transform: the body becomes the result of an expression over the message (JSONata in configuration, a
 * function in code).
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { type Expr, jsonata } from '../expression.js';
import { defineMediator, type Mediator } from '../mediator.js';

/**
 * Replaces the JSON body with an expression's result.
 *
 * @example
 * transform('{ "patient": payload.name, "fee": $number(payload.actualFee) }')
 * transform(async (ctx) => toNested(await ctx.message.json()))
 */
export function transform<V extends Vars = Vars>(
  expression: string | Expr<unknown, V>,
  options: { readonly contentType?: string } = {},
): Mediator<V> {
  const expr = typeof expression === 'string' ? jsonata(expression) : (expression as Expr<unknown>);
  return defineMediator<V>('transform', async (ctx) => {
    const result = await expr(ctx as unknown as MessageContext);
    ctx.message.setJson(result === undefined ? null : result, options.contentType);
  });
}
