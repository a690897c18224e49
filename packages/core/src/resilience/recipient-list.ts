/**
 * Recipient list: send a copy of the message to every endpoint of a list — fixed, or computed per message —
 * in parallel, and gather the replies.
 *
 * Each recipient gets its own `message.clone()`: headers are copied, the body is shared until somebody sets
 * a new one, and an unread stream body is collected once for all of them. Replies are gathered in list
 * order, whatever order they arrive in.
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { type Expr, evaluate } from '../expression.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { resilienceErrors } from './errors.js';
import { type EndpointRef, isEndpointRef, refName } from './internal/endpoints.js';
import {
  type BranchResult,
  cloneRequest,
  type GatherOptions,
  gather,
  runBranches,
} from './internal/fan-out.js';
import { parseOptions } from './internal/options.js';
import { timeoutMsSchema } from './timeout.js';

export interface RecipientListOptions<V extends Vars = Vars> extends GatherOptions<V> {
  /** A deadline for each recipient, in ms; a late one fails with `MEDIARY_ENDPOINT_TIMEOUT`. Default: none. */
  readonly timeoutMs?: number;
  /**
   * `fail` (default): once every recipient has finished, a failed one fails the step with its error (the
   * first failure in list order), like Camel's recipient list. `ignore`: failures only show in the results.
   */
  readonly onError?: 'fail' | 'ignore';
  readonly id?: string;
}

/**
 * Sends a copy of the message to each recipient in parallel. Recipients are endpoint names (resolved per
 * message, so tests can mock them), endpoints, or an expression giving either per message. By default the
 * body becomes the JSON array of the replies' values (see {@link GatherOptions}).
 *
 * @example
 * recipientList(['audit', 'billing'], { timeoutMs: 2000, into: { var: 'acks' } })
 * recipientList((ctx) => (ctx.vars.regions as string[]).map((r) => `stock-${r}`), {
 *   aggregate: (results) => ({ available: results.some((r) => r.ok && r.value === true) }),
 * })
 */
export function recipientList<V extends Vars = Vars>(
  recipients: readonly EndpointRef[] | Expr<readonly EndpointRef[], V>,
  options: RecipientListOptions<V> = {},
): Mediator<V> {
  const timeoutMs =
    options.timeoutMs === undefined
      ? undefined
      : parseOptions('recipientList', timeoutMsSchema, options.timeoutMs);
  const fixed = Array.isArray(recipients) ? [...(recipients as readonly EndpointRef[])] : undefined;
  const onError = options.onError ?? 'fail';
  return defineMediator<V>(
    'recipientList',
    async (ctx) => {
      const c = ctx as unknown as MessageContext;
      const list = fixed ?? checked(await evaluate(recipients as Expr<unknown>, c));
      const results = await runBranches(
        list.map((endpoint) => ({ name: refName(endpoint), endpoint, request: cloneRequest })),
        c,
        timeoutMs,
      );
      if (onError === 'fail') {
        const failure = results.find((r): r is Extract<BranchResult, { ok: false }> => !r.ok);
        if (failure) throw failure.error;
      }
      await gather(results, c, options);
    },
    options.id === undefined ? {} : { id: options.id },
  );
}

function checked(value: unknown): EndpointRef[] {
  if (Array.isArray(value) && value.every(isEndpointRef)) return value;
  const got = Array.isArray(value) ? 'an array with other values' : value === null ? 'null' : typeof value;
  throw resilienceErrors.RECIPIENTS_INVALID({ got });
}
