/**
 * Content-based routing: `filter` (match/otherwise — WSO2's then/else, named so no options object is ever a
 * thenable) and `choice` (cases by value, regular expression or
 * predicate, with a default).
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import type { Expr } from '../expression.js';
import { defineMediator, type Mediator, type Step, type StepResult } from '../mediator.js';
import { sequence } from '../sequence.js';

export interface FilterOptions<V extends Vars = Vars> {
  /** Runs when the predicate holds (WSO2's `then`). */
  readonly match?: readonly Step<V>[];
  /** Runs when it does not (WSO2's `else`). */
  readonly otherwise?: readonly Step<V>[];
}

/**
 * Runs `match` when the predicate holds and `otherwise` when it does not. Without branches it is Camel's filter: a
 * message that does not match stops the flow (`drop`), which is not an error.
 *
 * @example
 * filter((ctx) => ctx.vars.priority === 'high', { match: [call('fast-lane')] })
 * filter(jsonata('payload.amount > 0'))
 */
export function filter<V extends Vars = Vars>(
  predicate: Expr<unknown, V>,
  options: FilterOptions<V> = {},
): Mediator<V> {
  const thenSeq = options.match ? sequence(options.match, { name: 'filter:match' }) : undefined;
  const elseSeq = options.otherwise ? sequence(options.otherwise, { name: 'filter:otherwise' }) : undefined;
  const bare = !thenSeq && !elseSeq;
  const decide = (holds: unknown, ctx: MessageContext<V>): StepResult | Promise<StepResult> => {
    if (bare) return holds ? undefined : 'drop';
    const branch = holds ? thenSeq : elseSeq;
    return branch ? branch.run(ctx) : undefined;
  };
  // A synchronous predicate (the usual TypeScript one) decides without a microtask turn.
  return defineMediator<V>('filter', (ctx) => {
    const holds = predicate(ctx);
    return holds instanceof Promise ? holds.then((h) => decide(h, ctx)) : decide(holds, ctx);
  });
}

/** One case of a {@link choice}: matches a value, a regular expression, or a predicate. */
export type ChoiceCase<V extends Vars = Vars> = (
  | { readonly equals: unknown }
  | { readonly matches: RegExp }
  | { readonly when: Expr<unknown, V> }
) & { readonly steps: readonly Step<V>[] };

export interface ChoiceOptions<V extends Vars = Vars> {
  /** The value cases compare against (not needed when every case is a `when` predicate). */
  readonly on?: Expr<unknown, V>;
  readonly cases: readonly ChoiceCase<V>[];
  /** Runs when no case matches; without it, the flow continues. */
  readonly otherwise?: readonly Step<V>[];
}

/**
 * WSO2's switch, Camel's choice: the first matching case runs.
 *
 * @example
 * choice({
 *   on: (ctx) => ctx.vars.hospital,
 *   cases: [
 *     { equals: 'grand oak community hospital', steps: [setVar('hospitalId', 'grandoaks')] },
 *     { matches: /^clemency/, steps: [setVar('hospitalId', 'clemency')] },
 *   ],
 *   otherwise: [throwError({ message: 'unknown hospital', status: 400 })],
 * })
 */
export function choice<V extends Vars = Vars>(options: ChoiceOptions<V>): Mediator<V> {
  const cases = options.cases.map((c, i) => ({
    test: c,
    body: sequence(c.steps, { name: `choice:case${i}` }),
  }));
  const otherwise = options.otherwise ? sequence(options.otherwise, { name: 'choice:otherwise' }) : undefined;
  /** Tries the cases from `from` on; awaits only a case whose predicate is asynchronous. */
  const pick = (value: unknown, ctx: MessageContext<V>, from: number): StepResult | Promise<StepResult> => {
    for (let i = from; i < cases.length; i++) {
      const { test, body } = cases[i]!;
      const hit = matches(test, value, ctx as unknown as MessageContext);
      if (hit instanceof Promise) return hit.then((h) => (h ? body.run(ctx) : pick(value, ctx, i + 1)));
      if (hit === true) return body.run(ctx);
    }
    return otherwise ? otherwise.run(ctx) : undefined;
  };
  const on = options.on as Expr<unknown> | undefined;
  return defineMediator<V>('choice', (ctx) => {
    const value = on ? on(ctx as unknown as MessageContext) : undefined;
    return value instanceof Promise ? value.then((v) => pick(v, ctx, 0)) : pick(value, ctx, 0);
  });
}

function matches<V extends Vars>(
  test: ChoiceCase<V>,
  value: unknown,
  ctx: MessageContext,
): boolean | Promise<boolean> {
  if ('equals' in test) return Object.is(test.equals, value) || test.equals === value;
  if ('matches' in test) {
    if (typeof value !== 'string') return false;
    // A /g or /y expression keeps `lastIndex` between calls: without a reset every other message would miss.
    test.matches.lastIndex = 0;
    return test.matches.test(value);
  }
  const holds = (test.when as Expr<unknown>)(ctx);
  return holds instanceof Promise ? holds.then(Boolean) : Boolean(holds);
}
