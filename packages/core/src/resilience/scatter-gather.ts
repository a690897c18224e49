/**
 * Scatter-gather: call several endpoints in parallel — each branch with its own request — and gather what
 * came back into one message.
 *
 * Results are in **branch order**, not completion order, and one branch never fails the others: a timeout or
 * an error becomes that branch's `{ ok: false, error }` entry. The step itself fails only when the whole
 * message is cancelled, or when the aggregation throws — so "none answered" is the aggregation's call (T6
 * replies 404 then).
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { createVars } from '../context.js';
import { type Expr, evaluate } from '../expression.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { createMessage, Message } from '../message.js';
import type { EndpointRef } from './internal/endpoints.js';
import { type Branch, cloneRequest, type GatherOptions, gather, runBranches } from './internal/fan-out.js';
import { invalid, parseOptions } from './internal/options.js';
import { timeoutMsSchema } from './timeout.js';

export interface ScatterGatherBranch<V extends Vars = Vars> {
  /** Names the branch's entry in the results. Unique within the step. */
  readonly name: string;
  /** The endpoint, or the name of a registered one (resolved per message, so tests can mock it). */
  readonly endpoint: EndpointRef;
  /**
   * The branch's request body (JSON unless it is a string or bytes; a `Message` is sent as it is). Default:
   * a clone of the current message.
   */
  readonly body?: Expr<unknown, V>;
  /**
   * Variables only this branch sees, on top of the message's (for example the `hospitalId` a shared URI
   * template needs). The branch gets its own copy of the variables when this is given.
   */
  readonly vars?: Readonly<Record<string, unknown>>;
}

export interface ScatterGatherOptions<V extends Vars = Vars> extends GatherOptions<V> {
  readonly branches: readonly ScatterGatherBranch<V>[];
  /** A deadline for each branch, in ms; a late branch is `{ ok: false }` with `MEDIARY_ENDPOINT_TIMEOUT`. */
  readonly timeoutMs?: number;
  readonly id?: string;
}

/**
 * Calls every branch in parallel and gathers the results (see {@link BranchResult}). By default the body
 * becomes the JSON array of the values of the branches that answered with a status below 400, in branch
 * order.
 *
 * @example
 * scatterGather({
 *   branches: [
 *     { name: 'grandoaks', endpoint: 'fee', vars: { hospitalId: 'grandoaks' } },
 *     { name: 'clemency', endpoint: 'fee', vars: { hospitalId: 'clemency' } },
 *   ],
 *   timeoutMs: 3000,
 *   aggregate: (results) =>
 *     results.flatMap((r) => (r.ok && r.status === 200 ? [{ hospital_id: r.name, ...(r.value as object) }] : [])),
 * })
 */
export function scatterGather<V extends Vars = Vars>(options: ScatterGatherOptions<V>): Mediator<V> {
  const timeoutMs =
    options.timeoutMs === undefined
      ? undefined
      : parseOptions('scatterGather', timeoutMsSchema, options.timeoutMs);
  if (options.branches.length === 0) throw invalid('scatterGather', 'at least one branch is needed');
  const names = new Set(options.branches.map((b) => b.name));
  if (names.size !== options.branches.length) throw invalid('scatterGather', 'branch names must be unique');
  const branches = options.branches.map(toBranch);
  return defineMediator<V>(
    'scatterGather',
    async (ctx) => {
      const c = ctx as unknown as MessageContext;
      await gather(await runBranches(branches, c, timeoutMs), c, options);
    },
    options.id === undefined ? {} : { id: options.id },
  );
}

function toBranch<V extends Vars>(branch: ScatterGatherBranch<V>): Branch {
  const body = branch.body as Expr<unknown> | undefined;
  const vars = branch.vars;
  return {
    name: branch.name,
    endpoint: branch.endpoint,
    request: body ? (ctx) => buildRequest(body, ctx) : cloneRequest,
    ...(vars ? { context: (ctx) => ({ ...ctx, vars: createVars({ ...ctx.vars, ...vars }) }) } : {}),
  };
}

async function buildRequest(body: Expr<unknown>, ctx: MessageContext): Promise<Message> {
  const value = await evaluate(body, ctx);
  if (value instanceof Message) return value;
  const message = createMessage({ headers: ctx.message.headers, limits: ctx.message.limits });
  message.headers.delete('content-length');
  if (typeof value === 'string') message.setText(value);
  else if (value instanceof Uint8Array) message.setBody(value);
  else message.setJson(value);
  return message;
}
