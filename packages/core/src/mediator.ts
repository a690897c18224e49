/**
 * Mediators: the steps of a flow. A mediator is a tiny object — a name and a function of the context — and
 * a plain async function works as a step too.
 *
 * Three outcomes are distinct and never mixed into a boolean:
 * - **continue**: return nothing; the next step runs.
 * - **stop**: return `'respond'` (the current message is the reply) or `'drop'` (no reply; a broker message
 *   is still acknowledged). Filtering out is a stop, not an error.
 * - **fail**: throw. The nearest error handler runs.
 *
 * @module
 */
import type { MessageContext, Vars } from './context.js';

/**
 * What a step returns. `undefined` continues; `'respond'` and `'drop'` stop the flow; `'retry'` is only
 * meaningful from an error handler and re-runs the sequence it protects.
 */
export type Outcome = undefined | 'respond' | 'drop' | 'retry';

/** A step of a flow. */
export interface Mediator<V extends Vars = Vars> {
  /** The kind of step (`filter`, `call`, …) or the function's name; shows up in events and traces. */
  readonly name: string;
  /** A stable id within its route, for tests that replace one step (Camel's AdviceWith). */
  readonly id?: string;
  run(ctx: MessageContext<V>): StepResult | Promise<StepResult>;
}

/** What running a step gives: an outcome, or nothing (continue). */
// biome-ignore lint/suspicious/noConfusingVoidType: a step that returns nothing continues.
export type StepResult = Outcome | void;

/** A plain function usable wherever a step is expected. */
export type StepFunction<V extends Vars = Vars> = (
  ctx: MessageContext<V>,
) => StepResult | Promise<StepResult>;

/** A mediator or a function. */
export type Step<V extends Vars = Vars> = Mediator<V> | StepFunction<V>;

/**
 * Declares a named mediator from a function. Built-in mediators are made this way.
 *
 * @example
 * const stamp = defineMediator('stamp', (ctx) => { ctx.message.headers.set('x-seen', '1'); });
 */
export function defineMediator<V extends Vars = Vars>(
  name: string,
  run: StepFunction<V>,
  options: { readonly id?: string } = {},
): Mediator<V> {
  return options.id === undefined ? { name, run } : { name, id: options.id, run };
}

/** Turns a step into a mediator (a function keeps its own name). */
export function toMediator<V extends Vars>(step: Step<V>): Mediator<V> {
  return typeof step === 'function' ? { name: step.name || 'step', run: step } : step;
}
