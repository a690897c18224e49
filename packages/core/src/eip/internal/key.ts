/**
 * Evaluates a key expression (correlation, throttle, cache, idempotency keys) to a string.
 *
 * @module
 */
import type { MessageContext } from '../../context.js';
import { type Expr, evaluate } from '../../expression.js';
import { eipErrors } from '../errors.js';

/** Numbers become strings; anything else that is not a non-empty string fails with `MEDIARY_EIP_KEY_INVALID`. */
export async function evaluateKey(
  expr: Expr<string | number> | string,
  ctx: MessageContext,
  pattern: string,
): Promise<string> {
  const value: unknown = await evaluate(expr as Expr<unknown>, ctx);
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw eipErrors.KEY_INVALID({ pattern, type: describeType(value) });
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : typeof value;
}
