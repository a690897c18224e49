/**
 * Enrich: copy a value between the body, variables and headers, at a path. Writes never mutate a value
 * another branch may hold (objects along the path are copied), and no path or merged key can reach a
 * prototype.
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { type Expr, evaluate } from '../expression.js';
import { getPath, parsePath, safeMerge, setPath, withoutForbiddenKeys } from '../internal/safe-path.js';
import { defineMediator, type Mediator } from '../mediator.js';

/** A place in the message: the JSON body at a path, a variable (at a path), or a header. */
export type EnrichRef =
  | { readonly body: string }
  | { readonly var: string; readonly path?: string }
  | { readonly header: string };

export interface EnrichOptions<V extends Vars = Vars> {
  /** Where the value comes from: a place, or an expression. */
  readonly from: EnrichRef | Expr<unknown, V>;
  readonly to: EnrichRef;
  /** `replace` (default), `merge` (objects, recursively) or `append` (to an array). */
  readonly action?: 'replace' | 'merge' | 'append';
}

/**
 * Copies a value into the body, a variable or a header.
 *
 * @example
 * enrich({ from: { var: 'fee' }, to: { body: 'appointment.fee' } })
 * enrich({ from: { body: 'patient' }, to: { var: 'patient' } })
 * enrich({ from: (ctx) => ctx.vars.extra, to: { body: '' }, action: 'merge' })
 */
export function enrich<V extends Vars = Vars>(options: EnrichOptions<V>): Mediator<V> {
  const from = typeof options.from === 'function' ? options.from : compileRef(options.from);
  const to = compileRef(options.to);
  const action = options.action ?? 'replace';
  return defineMediator<V>('enrich', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const value = typeof from === 'function' ? await evaluate(from as Expr<unknown>, c) : await read(from, c);
    await write(to, c, value, action);
  });
}

interface CompiledRef {
  readonly where: 'body' | 'var' | 'header';
  readonly name: string;
  readonly keys: readonly string[];
}

function compileRef(ref: EnrichRef): CompiledRef {
  if ('body' in ref) return { where: 'body', name: '', keys: parsePath(ref.body) };
  if ('var' in ref)
    return { where: 'var', name: ref.var, keys: [...parsePath(ref.var), ...parsePath(ref.path ?? '')] };
  return { where: 'header', name: ref.header, keys: [] };
}

async function read(ref: CompiledRef, ctx: MessageContext): Promise<unknown> {
  switch (ref.where) {
    case 'body':
      return getPath(await ctx.message.json(), ref.keys);
    case 'var':
      return getPath(ctx.vars, ref.keys);
    case 'header':
      return ctx.message.headers.get(ref.name);
  }
}

async function write(
  ref: CompiledRef,
  ctx: MessageContext,
  value: unknown,
  action: 'replace' | 'merge' | 'append',
) {
  switch (ref.where) {
    case 'body': {
      const current = ctx.message.isEmpty ? undefined : await ctx.message.json();
      ctx.message.setJson(setPath(current, ref.keys, combine(getPath(current, ref.keys), value, action)));
      return;
    }
    case 'var': {
      const [name, ...rest] = ref.keys as [string, ...string[]];
      const current = ctx.vars[name];
      ctx.vars[name] = setPath(current, rest, combine(getPath(current, rest), value, action));
      return;
    }
    case 'header':
      ctx.message.headers.set(ref.name, typeof value === 'string' ? value : JSON.stringify(value));
      return;
  }
}

function combine(existing: unknown, incoming: unknown, action: 'replace' | 'merge' | 'append'): unknown {
  // The value may come from an untrusted body: forbidden keys are dropped on the way in, whatever the action.
  const value = withoutForbiddenKeys(incoming);
  if (action === 'merge') return safeMerge(withoutForbiddenKeys(existing), value);
  if (action === 'append')
    return [...(Array.isArray(existing) ? existing : existing === undefined ? [] : [existing]), value];
  return value;
}
