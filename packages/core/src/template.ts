/**
 * Sequence templates (WSO2's call-template): a named, parameterised sequence. Parameters are evaluated at
 * the call site and visible inside the template as variables; the caller's variables of the same names are
 * restored afterwards, so a template never leaks its parameters.
 *
 * @module
 */
import type { Vars } from './context.js';
import { coreErrors } from './errors.js';
import { evaluate } from './expression.js';
import { defineMediator, type Mediator, type Step } from './mediator.js';
import type { ValueOrExpr } from './mediators/basic.js';
import { sequence } from './sequence.js';

export interface Template {
  readonly name: string;
  /** Parameter names, and defaults for the optional ones. */
  readonly params: Readonly<Record<string, { readonly default?: unknown } | undefined>>;
  readonly body: Mediator;
}

/**
 * Declares a template.
 *
 * @example
 * const notify = defineTemplate('notify', { params: { channel: {}, level: { default: 'info' } },
 *   steps: [log({ message: '${vars.channel}: ${vars.level}' })] });
 * engine.template(notify);
 * callTemplate('notify', { channel: 'ops' });
 */
export function defineTemplate(
  name: string,
  definition: { readonly params: Template['params']; readonly steps: readonly Step[] },
): Template {
  return Object.freeze({
    name,
    params: definition.params,
    body: sequence(definition.steps, { name: `template:${name}` }),
  });
}

/**
 * Runs a registered template with arguments (constants or expressions).
 *
 * @example
 * callTemplate('notify', { channel: (ctx) => ctx.vars.team });
 */
export function callTemplate<V extends Vars = Vars>(
  name: string,
  args: Readonly<Record<string, ValueOrExpr<unknown, V>>> = {},
): Mediator<V> {
  return defineMediator<V>('callTemplate', async (ctx) => {
    const template = ctx.engine.template(name);
    const values: Record<string, unknown> = {};
    for (const [param, spec] of Object.entries(template.params)) {
      if (param in args) values[param] = await evaluate(args[param], ctx);
      else if (spec && 'default' in spec) values[param] = spec.default;
      // A missing argument is a mistake in the route, not in the message: a 500, not a client's 400.
      else throw coreErrors.TEMPLATE_PARAM_MISSING({ name, param });
    }
    const vars = ctx.vars as Vars;
    const saved = new Map<string, unknown>();
    for (const [param, value] of Object.entries(values)) {
      saved.set(param, param in vars ? vars[param] : NOT_SET);
      vars[param] = value;
    }
    try {
      return await template.body.run(ctx as never);
    } finally {
      for (const [param, previous] of saved) {
        if (previous === NOT_SET) delete vars[param];
        else vars[param] = previous;
      }
    }
  });
}

const NOT_SET = Symbol('not set');
