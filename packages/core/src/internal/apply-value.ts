/**
 * The hot path of the small mediators: hand a constant, or an expression's result, to a callback, awaiting
 * only when the expression really is asynchronous. A constant or synchronous expression then costs no
 * promise, and the sequence runner continues without a microtask turn.
 */
import type { MessageContext } from '../context.js';
import type { Expr } from '../expression.js';

export function applyValue<T>(
  value: T | Expr<T>,
  ctx: MessageContext,
  use: (value: T) => void,
): Promise<void> | undefined {
  if (typeof value !== 'function') {
    use(value);
    return undefined;
  }
  const result = (value as Expr<T>)(ctx);
  if (result instanceof Promise) return result.then(use);
  use(result);
  return undefined;
}
