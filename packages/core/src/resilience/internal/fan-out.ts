/**
 * What recipient list and scatter-gather share: run branches in parallel, each with its own request and an
 * optional deadline, and gather results in branch order; then hand them to an aggregation.
 */
import { bodyKind } from '../../content-type.js';
import type { MessageContext, Vars } from '../../context.js';
import { type MediaryError, toMediaryError } from '../../errors.js';
import { Message } from '../../message.js';
import { sendWithin } from '../timeout.js';
import { type EndpointRef, invoke, resolveEndpoint } from './endpoints.js';
import { abortError, raceSignal } from './signals.js';

/**
 * One branch's outcome. `ok` means the endpoint answered — whatever the reply's status (a `404` reply is
 * `ok` with `status: 404`); `value` is the reply body parsed as JSON for JSON replies, as text otherwise,
 * `undefined` when empty. A reply whose body does not parse (malformed JSON) makes the branch fail with
 * that error.
 */
export type BranchResult =
  | {
      readonly name: string;
      readonly ok: true;
      readonly message: Message;
      readonly value: unknown;
      readonly status: number;
    }
  | { readonly name: string; readonly ok: false; readonly error: MediaryError };

/** Where the gathered results go. */
export interface GatherOptions<V extends Vars = Vars> {
  /**
   * Turns the results (in branch order) into one value. Default: the values of the branches that answered
   * with a status below 400. A returned `Message` becomes the current message; `undefined` leaves it alone;
   * anything else becomes the JSON body.
   */
  readonly aggregate?: (results: readonly BranchResult[], ctx: MessageContext<V>) => unknown;
  /** Store the aggregated value in this variable instead of the body. */
  readonly into?: { readonly var: string };
}

export interface Branch {
  readonly name: string;
  readonly endpoint: EndpointRef;
  /** The request this branch sends (its own message, never one another branch holds). */
  request(ctx: MessageContext): Promise<Message>;
  /** The context the branch runs with (default: the message's). */
  readonly context?: (ctx: MessageContext) => MessageContext;
}

/** Runs every branch at once; never rejects for a branch, only when the whole message is cancelled. */
export async function runBranches(
  branches: readonly Branch[],
  ctx: MessageContext,
  timeoutMs: number | undefined,
): Promise<BranchResult[]> {
  const results = await Promise.all(branches.map((branch) => runBranch(branch, ctx, timeoutMs)));
  if (ctx.signal.aborted) throw abortError(ctx.signal.reason);
  return results;
}

async function runBranch(
  branch: Branch,
  parent: MessageContext,
  timeoutMs: number | undefined,
): Promise<BranchResult> {
  try {
    const ctx = branch.context?.(parent) ?? parent;
    const endpoint = resolveEndpoint(branch.endpoint, ctx);
    const request = await branch.request(ctx);
    const reply =
      timeoutMs === undefined
        ? await raceSignal(invoke(endpoint, request, ctx), ctx.signal)
        : await sendWithin(endpoint, request, ctx, timeoutMs);
    return {
      name: branch.name,
      ok: true,
      message: reply,
      value: await replyValue(reply),
      status: reply.status ?? 200,
    };
  } catch (error) {
    return { name: branch.name, ok: false, error: toMediaryError(error) };
  }
}

/** Applies the aggregation and puts its value where the options say. */
export async function gather<V extends Vars>(
  results: readonly BranchResult[],
  ctx: MessageContext,
  options: GatherOptions<V>,
): Promise<void> {
  const value = options.aggregate
    ? await options.aggregate(results, ctx as unknown as MessageContext<V>)
    : successfulValues(results);
  if (options.into) {
    ctx.vars[options.into.var] = value;
    return;
  }
  if (value === undefined) return;
  if (value instanceof Message) ctx.message = value;
  else ctx.message.setJson(value);
}

/** The default aggregation: values of the branches that answered with a status below 400, in branch order. */
export function successfulValues(results: readonly BranchResult[]): unknown[] {
  return results.filter((r) => r.ok && r.status < 400).map((r) => (r.ok ? r.value : undefined));
}

async function replyValue(reply: Message): Promise<unknown> {
  if (reply.isEmpty) return undefined;
  const kind = bodyKind(reply.contentType);
  return kind === 'json' || kind === 'form' ? reply.json() : reply.text();
}

/** The request for a branch that sends a copy of the current message. */
export function cloneRequest(ctx: MessageContext): Promise<Message> {
  return Promise.resolve(ctx.message.clone());
}
