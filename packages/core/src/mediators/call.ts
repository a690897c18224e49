/**
 * Call: send the message (or a body built for the call) to an endpoint by name, and put the reply in the
 * body or in a variable. The endpoint is looked up per call, so tests can replace it by name.
 *
 * @module
 */
import { BINARY_TYPE, bodyKind } from '../content-type.js';
import type { MessageContext, Vars } from '../context.js';
import type { Endpoint } from '../endpoint.js';
import { type Expr, evaluate } from '../expression.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { createMessage, type Message } from '../message.js';

export interface CallOptions<V extends Vars = Vars> {
  /** Build the request body instead of sending the current message (JSON unless a string or bytes). */
  readonly body?: Expr<unknown, V>;
  /**
   * Where the reply goes. Default: it becomes the current message (status and headers included). With
   * `{ var }`, the reply's JSON body (or text, for non-JSON replies) is stored in that variable and the
   * current message is left alone.
   */
  readonly into?: 'message' | { readonly var: string };
}

/**
 * Calls an endpoint.
 *
 * @example
 * call('hospital')
 * call('fees', { into: { var: 'fee' } })
 * call('payments', { body: (ctx) => ({ fee: ctx.vars.fee }) })
 */
export function call<V extends Vars = Vars>(
  endpoint: string | Endpoint,
  options: CallOptions<V> = {},
): Mediator<V> {
  const into = options.into ?? 'message';
  const body = options.body as Expr<unknown> | undefined;
  return defineMediator<V>('call', (ctx) => {
    const c = ctx as unknown as MessageContext;
    const target = typeof endpoint === 'string' ? c.engine.endpoint(endpoint) : endpoint;
    // The common call — the current message out, the reply in its place — waits on the endpoint alone:
    // no async frame of its own around it.
    if (!body && into === 'message') {
      return target.send(c.message, c).then((reply) => {
        c.message = reply;
      });
    }
    return callAndStore(target, body, into, c);
  });
}

async function callAndStore(
  target: Endpoint,
  body: Expr<unknown> | undefined,
  into: NonNullable<CallOptions['into']>,
  ctx: MessageContext,
): Promise<void> {
  const request = body ? await buildRequest(body, ctx) : ctx.message;
  const reply = await target.send(request, ctx);
  if (into === 'message') ctx.message = reply;
  else ctx.vars[into.var] = await replyValue(reply);
}

async function buildRequest(body: Expr<unknown>, ctx: MessageContext): Promise<Message> {
  const value = await evaluate(body, ctx);
  const message = createMessage({ headers: ctx.message.headers, limits: ctx.message.limits });
  message.headers.delete('content-length');
  if (typeof value === 'string') message.setText(value);
  // Bytes must not inherit the current message's content type: a JSON request's type on raw bytes lies.
  else if (value instanceof Uint8Array) message.setBody(value, BINARY_TYPE);
  else message.setJson(value);
  return message;
}

async function replyValue(reply: Message): Promise<unknown> {
  if (reply.isEmpty) return undefined;
  const kind = bodyKind(reply.contentType);
  return kind === 'json' || kind === 'form' ? reply.json() : reply.text();
}
