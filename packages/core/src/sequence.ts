/**
 * Sequences: lists of steps that are themselves a step. A sequence may carry an error handler (WSO2's fault
 * sequence, Camel's onException) and may be registered under a name and referenced from many routes.
 *
 * @module
 */
import type { MessageContext, Vars } from './context.js';
import { coreErrors, type MediaryError, toMediaryError } from './errors.js';
import { defineMediator, type Mediator, type Outcome, type Step, toMediator } from './mediator.js';

export interface SequenceOptions {
  /** Shown in events and traces. */
  readonly name?: string;
  readonly id?: string;
  /**
   * Runs when a step throws, with `ctx.error` set. It ends by returning `'respond'` or `'drop'` (the error is
   * handled), `'retry'` (the sequence runs again, up to `maxRetries`), or nothing — then the error goes on to
   * the next handler out. An error thrown inside the handler also goes out: a handler never handles itself.
   */
  readonly onError?: Step | readonly Step[];
  /** How often the handler may ask for `'retry'`. Default 3. */
  readonly maxRetries?: number;
}

/**
 * Builds a sequence from steps, or refers to a sequence registered on the engine by name.
 *
 * @example
 * const reserve = sequence([setVar('hospital', (ctx) => pickHospital(ctx)), call('hospital'), respond()], {
 *   onError: [payload({ error: '${error.message}' }), respond()],
 * });
 * engine.sequence('reserve', reserve);
 * const api = [sequence('reserve')];
 */
export function sequence<V extends Vars = Vars>(
  steps: readonly Step<V>[] | string,
  options: SequenceOptions = {},
): Mediator<V> {
  if (typeof steps === 'string') {
    const name = steps;
    return defineMediator<V>(`sequence:${name}`, (ctx) =>
      ctx.engine.sequence(name).run(ctx as MessageContext),
    );
  }
  const mediators = steps.map((step) => toMediator(step));
  const name = options.name ?? 'sequence';
  const base = options.id === undefined ? { name } : { name, id: options.id };
  if (options.onError === undefined) {
    return { ...base, run: (ctx) => runSteps(mediators, ctx) };
  }
  const handler = (Array.isArray(options.onError) ? options.onError : [options.onError]).map((s: Step) =>
    toMediator(s as Step<V>),
  );
  const maxRetries = options.maxRetries ?? 3;
  return {
    ...base,
    async run(ctx) {
      for (let retries = 0; ; retries++) {
        let error: MediaryError;
        try {
          return await runSteps(mediators, ctx);
        } catch (thrown) {
          error = toMediaryError(thrown);
        }
        ctx.error = error;
        const outcome = await runSteps(handler, ctx);
        if (outcome === 'retry') {
          if (retries >= maxRetries) throw coreErrors.RETRY_EXHAUSTED({ max: maxRetries }, { cause: error });
          ctx.error = undefined;
          continue;
        }
        if (outcome === undefined) throw error;
        return outcome;
      }
    },
  };
}

/**
 * Runs steps in order until one stops the flow. The hot path: no allocation per step, and timing only
 * while somebody listens to mediator events.
 */
export async function runSteps<V extends Vars>(
  steps: readonly Mediator<V>[],
  ctx: MessageContext<V>,
): Promise<Outcome> {
  if (ctx.engine.observed) return runObserved(steps, ctx);
  for (let i = 0; i < steps.length; i++) {
    let outcome = steps[i]!.run(ctx);
    if (outcome instanceof Promise) outcome = await outcome;
    if (outcome !== undefined) return outcome;
  }
  return undefined;
}

async function runObserved<V extends Vars>(
  steps: readonly Mediator<V>[],
  ctx: MessageContext<V>,
): Promise<Outcome> {
  const { bus } = ctx.engine;
  const { routeId, correlationId } = ctx;
  for (const step of steps) {
    const mediator = step.id ?? step.name;
    bus.emit('mediator:enter', { routeId, correlationId, mediator });
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = (await step.run(ctx)) ?? undefined;
    } catch (error) {
      const durationMs = performance.now() - started;
      bus.emit('mediator:leave', {
        routeId,
        correlationId,
        mediator,
        durationMs,
        error: toMediaryError(error),
      });
      throw error;
    }
    bus.emit('mediator:leave', {
      routeId,
      correlationId,
      mediator,
      durationMs: performance.now() - started,
      outcome,
    });
    if (outcome !== undefined) return outcome;
  }
  return undefined;
}
