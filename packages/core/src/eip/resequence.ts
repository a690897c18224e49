/**
 * Resequencer (Camel's stream resequencer): messages carry a sequence number and are released to `steps`
 * in that order, one at a time. A message that arrives ahead of a gap waits; when the oldest waiting
 * message has waited `timeoutMs` (engine clock) the gap is given up on and the next available number is
 * released. Numbers below the next expected one (late or repeated) are dropped.
 *
 * Every incoming message's own flow ends here with `'drop'`. Released messages run `steps` as their own
 * exchanges (route id `<route>:resequence`), in order; the incoming message that released them waits for
 * them, and a release that fails is logged and emitted on the bus without holding up the ones after it.
 * On the engine's stop every waiting message is released in order. State is per engine.
 *
 * @module
 */
import { z } from 'zod';
import type { TimerHandle } from '../clock.js';
import { createVars, type MessageContext, type TransportInfo, type Vars } from '../context.js';
import type { Expr } from '../expression.js';
import type { Logger } from '../logger.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import type { Message } from '../message.js';
import type { Runtime } from '../runtime.js';
import { eipErrors } from './errors.js';
import { runDetached } from './internal/detached.js';
import { lifecycleOf } from './internal/lifecycle.js';
import { parseOptions } from './internal/options.js';
import { perEngine } from './internal/per-engine.js';
import { toSteps } from './internal/targets.js';

/** The serialisable part of {@link ResequenceOptions}. */
export const resequenceOptionsSchema = z.object({
  /** How long the oldest waiting message waits for a gap to fill before the gap is skipped. */
  timeoutMs: z.number().min(0).finite(),
  /** The first number expected. Default: the number of the first message seen. */
  start: z.number().int().optional(),
  /** Most messages waiting; one more skips the gap at once. Default 1000. */
  capacity: z.number().int().min(1).default(1000),
});

export interface ResequenceOptions<V extends Vars = Vars> extends z.input<typeof resequenceOptionsSchema> {
  /** The message's sequence number (an integer). */
  readonly sequenceNumber: Expr<number, V>;
  /** Where released messages go. */
  readonly steps: readonly Step[] | Mediator;
}

interface Pending {
  readonly message: Message;
  readonly original: Message;
  readonly vars: Vars;
  readonly transport: TransportInfo;
  readonly correlationId: string;
  readonly log: Logger;
  readonly arrivedAt: number;
}

interface State {
  readonly runtime: Runtime;
  expected: number | undefined;
  readonly buffer: Map<number, Pending>;
  timer: TimerHandle | undefined;
  chain: Promise<void>;
  routeId: string;
}

/**
 * Puts messages back in order.
 *
 * @example
 * resequence({ sequenceNumber: (ctx) => Number(ctx.message.headers.get('x-seq')), timeoutMs: 5000, start: 1, steps: [call('ledger')] })
 */
export function resequence<V extends Vars = Vars>(options: ResequenceOptions<V>): Mediator<V> {
  const { timeoutMs, start, capacity } = parseOptions('resequence', resequenceOptionsSchema, options);
  const steps = toSteps(options.steps, 'resequence:steps');

  const stateOf = perEngine((runtime): State => {
    const state: State = {
      runtime,
      expected: start,
      buffer: new Map(),
      timer: undefined,
      chain: Promise.resolve(),
      routeId: 'resequence',
    };
    lifecycleOf(runtime).onStop(async () => {
      const all = takeAll(state);
      rearm(state);
      await release(state, all);
      await state.chain;
    });
    return state;
  });

  /** Takes every message that is next in line. */
  const takeReady = (state: State): Pending[] => {
    const ready: Pending[] = [];
    for (;;) {
      const next = state.buffer.get(state.expected!);
      if (!next) return ready;
      state.buffer.delete(state.expected!);
      state.expected! += 1;
      ready.push(next);
    }
  };

  /** Gives up on the gap before the lowest waiting number. */
  const skipGap = (state: State): Pending[] => {
    if (state.buffer.size === 0) return [];
    state.expected = Math.min(...state.buffer.keys());
    return takeReady(state);
  };

  const takeAll = (state: State): Pending[] => {
    const all: Pending[] = [];
    while (state.buffer.size > 0) all.push(...skipGap(state));
    return all;
  };

  /** Releases in order, after whatever an earlier trigger is still releasing. */
  const release = (state: State, ready: Pending[]): Promise<void> => {
    if (ready.length === 0) return Promise.resolve();
    state.chain = state.chain.then(async () => {
      for (const pending of ready) {
        await runDetached(state.runtime, steps, pending.message, {
          routeId: `${state.routeId}:resequence`,
          correlationId: pending.correlationId,
          vars: pending.vars,
          transport: pending.transport,
          log: pending.log,
          original: pending.original,
        });
      }
    });
    return state.chain;
  };

  /** The gap timer always runs for the oldest waiting message. */
  const rearm = (state: State) => {
    const { clock } = state.runtime;
    if (state.timer !== undefined) clock.clearTimeout(state.timer);
    state.timer = undefined;
    if (state.buffer.size === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const pending of state.buffer.values()) oldest = Math.min(oldest, pending.arrivedAt);
    const handle = clock.setTimeout(
      () => {
        if (state.timer !== handle) return;
        state.timer = undefined;
        const ready = skipGap(state);
        rearm(state);
        release(state, ready).catch((error: unknown) =>
          state.runtime.log.error('resequenced messages could not be released', { error }),
        );
      },
      Math.max(0, oldest + timeoutMs - clock.now()),
    );
    state.timer = handle;
  };

  return defineMediator<V>('resequence', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const state = stateOf(c.engine);
    state.routeId = c.routeId;
    const value: unknown = await options.sequenceNumber(ctx);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw eipErrors.RESEQUENCE_NUMBER_INVALID({ value: String(value) });
    }
    state.expected ??= value;
    if (value < state.expected || state.buffer.has(value)) {
      c.log.debug('late or repeated sequence number dropped', { routeId: c.routeId, sequenceNumber: value });
      return 'drop' as const;
    }
    state.buffer.set(value, {
      message: c.message.clone(),
      original: c.original,
      vars: createVars(c.vars),
      transport: c.transport,
      correlationId: c.correlationId,
      log: c.log,
      arrivedAt: c.engine.clock.now(),
    });
    const ready = takeReady(state);
    if (state.buffer.size > capacity) ready.push(...skipGap(state));
    rearm(state);
    await release(state, ready);
    return 'drop' as const;
  });
}
