/**
 * Aggregate (WSO2's aggregate mediator, Camel's aggregator): messages are grouped by a correlation key, and
 * a group completes on a size, an inactivity timeout, a predicate, or the engine's stop. A completed group
 * is combined into one message that runs through `onComplete` as its own exchange.
 *
 * The rules, as Camel has them: every incoming message's own flow ends here with `'drop'` — it was consumed
 * by the aggregator. When a message completes its group (by size or predicate), `onComplete` runs before
 * that message's flow returns, so the caller sees the work done; a failure inside `onComplete` is logged
 * and emitted on the bus (`message:failed`, route id `<route>:aggregate`) and does not fail the incoming
 * message. Groups completed by timeout or by the engine's stop run `onComplete` in the background, and a
 * stopping engine waits for them.
 *
 * State is per engine: the same aggregator used by two engines keeps two sets of groups, timers and locks.
 *
 * @module
 */
import { z } from 'zod';
import type { TimerHandle } from '../clock.js';
import type { MessageContext, Vars } from '../context.js';
import { type Expr, jsonata } from '../expression.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import { createMessage, type Message } from '../message.js';
import type { Runtime } from '../runtime.js';
import {
  type AggregationEntry,
  type AggregationGroup,
  type AggregationRepository,
  createMemoryAggregationRepository,
} from './aggregation-repository.js';
import { eipErrors } from './errors.js';
import { bodyValue } from './internal/body-value.js';
import { runDetached } from './internal/detached.js';
import { evaluateKey } from './internal/key.js';
import { createKeyLock } from './internal/key-lock.js';
import { lifecycleOf } from './internal/lifecycle.js';
import { parseOptions } from './internal/options.js';
import { perEngine } from './internal/per-engine.js';
import { toSteps } from './internal/targets.js';

/** Why a group completed; the completed message sees it as `vars.aggregateReason`. */
export type CompletionReason = 'size' | 'predicate' | 'timeout' | 'stop';

/** The serialisable completion conditions. */
export const aggregateCompletionSchema = z.object({
  /** Complete when the group holds this many messages. */
  size: z.number().int().min(1).optional(),
  /** Complete when no message joined the group for this long (engine clock). */
  timeoutMs: z.number().min(0).finite().optional(),
});

export interface AggregateCompletion extends z.input<typeof aggregateCompletionSchema> {
  /** Complete when this holds, checked after each message joins. */
  readonly predicate?: (group: AggregationGroup) => boolean | Promise<boolean>;
}

/** The serialisable part of {@link AggregateOptions}. */
export const aggregateOptionsSchema = z.object({
  complete: aggregateCompletionSchema,
  /**
   * A message whose key belongs to a group that already completed: `'new-group'` (default) starts a new
   * group; `'drop'` ignores it (its flow ends with `'drop'`); `'fail'` fails its flow with
   * `MEDIARY_AGGREGATE_LATE` (409). Completed keys are remembered up to `rememberCompleted` keys.
   */
  lateMessages: z.enum(['new-group', 'drop', 'fail']).default('new-group'),
  /** How many completed keys are remembered for `lateMessages`. Default 10 000 (oldest forgotten first). */
  rememberCompleted: z.number().int().min(1).default(10_000),
  /** Complete every open group when the engine stops. Default true (a persistent repository may say false). */
  completeOnStop: z.boolean().default(true),
});

/**
 * How a group becomes one body: a function of the body values (in arrival order), or a JSONata expression
 * over `payload` = the array of values. Default: the array itself. A string result becomes a text body
 * (with the first message's content type), bytes stay bytes, anything else becomes JSON.
 */
export type AggregateCombine =
  | ((values: unknown[], group: AggregationGroup) => unknown | Promise<unknown>)
  | string;

export interface AggregateOptions<V extends Vars = Vars>
  extends Omit<z.input<typeof aggregateOptionsSchema>, 'complete'> {
  /** The correlation key: an expression, or a constant for one group at a time. */
  readonly correlate: Expr<string | number, V> | string;
  readonly complete: AggregateCompletion;
  readonly combine?: AggregateCombine;
  /** What a completed group runs through. It sees `vars.aggregateKey`, `aggregateSize`, `aggregateReason`. */
  readonly onComplete: readonly Step[] | Mediator;
  /** Where open groups live. Default: in memory, one per engine. */
  readonly repository?: AggregationRepository;
}

/** An aggregator: a mediator, plus a way to complete open groups by hand. */
export interface Aggregator extends Mediator {
  /** Completes the open group `key`, or every open group, on `engine`; resolves to how many completed. */
  completeGroups(engine: Runtime, key?: string): Promise<number>;
}

interface EngineState {
  readonly runtime: Runtime;
  readonly repository: AggregationRepository;
  readonly timers: Map<string, TimerHandle>;
  readonly lock: ReturnType<typeof createKeyLock>;
  readonly completed: Map<string, true>;
  routeId: string;
  recovered: Promise<void> | undefined;
}

/**
 * Groups messages and sends each completed group onward.
 *
 * @example
 * aggregate({
 *   correlate: (ctx) => ctx.message.headers.get('x-order-id') ?? 'none',
 *   complete: { size: 3, timeoutMs: 5000 },
 *   combine: (quotes) => ({ quotes }),
 *   onComplete: [call('best-quote')],
 * })
 */
export function aggregate<V extends Vars = Vars>(options: AggregateOptions<V>): Aggregator {
  const parsed = parseOptions('aggregate', aggregateOptionsSchema, options);
  const { size, timeoutMs } = parsed.complete;
  const predicate = options.complete.predicate;
  if (size === undefined && timeoutMs === undefined && predicate === undefined) {
    throw eipErrors.CONFIG_INVALID({
      pattern: 'aggregate',
      reason: 'complete needs a size, timeoutMs or predicate',
    });
  }
  const { lateMessages: late, rememberCompleted: remember, completeOnStop } = parsed;
  const completion = completionFor(options);

  const stateOf = perEngine((runtime): EngineState => {
    const state: EngineState = {
      runtime,
      repository: options.repository ?? createMemoryAggregationRepository(),
      timers: new Map(),
      lock: createKeyLock(),
      completed: new Map(),
      routeId: 'aggregate',
      recovered: undefined,
    };
    if (completeOnStop) {
      lifecycleOf(runtime).onStop(async () => {
        await completeGroups(state, undefined, 'stop');
      });
    }
    return state;
  });

  /** Removes the group under its key's lock, so no message joins a group that is being completed. */
  const take = async (state: EngineState, key: string): Promise<AggregationGroup | undefined> => {
    const group = await state.repository.get(key);
    if (!group) return undefined;
    await state.repository.remove(key);
    clearTimer(state, key);
    if (late !== 'new-group') {
      state.completed.set(key, true);
      if (state.completed.size > remember) state.completed.delete(state.completed.keys().next().value!);
    }
    return group;
  };

  const finish = (state: EngineState, group: AggregationGroup, reason: CompletionReason) =>
    runDetached(state.runtime, completion(group), combinedMessage(group), {
      routeId: `${state.routeId}:aggregate`,
      correlationId: group.entries[0]?.correlationId,
      vars: {
        ...group.entries[0]?.vars,
        aggregateKey: group.key,
        aggregateSize: group.entries.length,
        aggregateReason: reason,
      },
    });

  const completeGroups = async (
    state: EngineState,
    only: string | undefined,
    reason: CompletionReason,
  ): Promise<number> => {
    const keys = only === undefined ? await state.repository.keys() : [only];
    const runs = await Promise.all(
      keys.map(async (key) => {
        const group = await state.lock.run(key, () => take(state, key));
        if (group) await finish(state, group, reason);
        return group ? 1 : 0;
      }),
    );
    return runs.reduce<number>((a, b) => a + b, 0);
  };

  const armTimer = (state: EngineState, key: string, delayMs: number) => {
    if (timeoutMs === undefined) return;
    clearTimer(state, key);
    const handle = state.runtime.clock.setTimeout(() => {
      if (state.timers.get(key) !== handle) return;
      state.timers.delete(key);
      completeGroups(state, key, 'timeout').catch((error: unknown) =>
        state.runtime.log.error('an aggregation group could not be completed', { key, error }),
      );
    }, delayMs);
    state.timers.set(key, handle);
  };

  /** Groups left in a persistent repository by an earlier run get their inactivity timers back. */
  const recover = (state: EngineState): Promise<void> => {
    state.recovered ??= (async () => {
      if (timeoutMs === undefined || !options.repository) return;
      const now = state.runtime.clock.now();
      for (const key of await state.repository.keys()) {
        const group = await state.repository.get(key);
        if (group) armTimer(state, key, Math.max(0, group.updatedAt + timeoutMs - now));
      }
    })();
    return state.recovered;
  };

  const mediator = defineMediator<Vars>('aggregate', async (ctx: MessageContext) => {
    const state = stateOf(ctx.engine);
    state.routeId = ctx.routeId;
    if (options.repository && timeoutMs !== undefined) await recover(state);
    const key =
      typeof options.correlate === 'string' && options.correlate !== ''
        ? options.correlate
        : await evaluateKey(options.correlate as Expr<string | number>, ctx, 'aggregate');
    const entry = await toEntry(ctx);
    const completed = await state.lock.run(key, async () => {
      if (state.completed.has(key)) {
        if (late === 'fail') throw eipErrors.AGGREGATE_LATE({ key });
        if (late === 'drop') {
          ctx.log.debug('late message dropped by the aggregator', { routeId: ctx.routeId, key });
          return undefined;
        }
      }
      const group = await state.repository.add(key, entry);
      let reason: CompletionReason | undefined;
      if (size !== undefined && group.entries.length >= size) reason = 'size';
      else if (predicate && (await predicate(group))) reason = 'predicate';
      if (reason === undefined) {
        armTimer(state, key, timeoutMs ?? 0);
        return undefined;
      }
      const taken = await take(state, key);
      return taken && { group: taken, reason };
    });
    if (completed) await finish(state, completed.group, completed.reason);
    return 'drop' as const;
  });

  return Object.assign(mediator, {
    completeGroups: (engine: Runtime, key?: string) => completeGroups(stateOf(engine), key, 'stop'),
  });
}

function clearTimer(state: EngineState, key: string): void {
  const handle = state.timers.get(key);
  if (handle === undefined) return;
  state.runtime.clock.clearTimeout(handle);
  state.timers.delete(key);
}

async function toEntry(ctx: MessageContext): Promise<AggregationEntry> {
  const vars: Record<string, unknown> = {};
  for (const name of Object.keys(ctx.vars)) vars[name] = ctx.vars[name];
  const entry: { -readonly [K in keyof AggregationEntry]: AggregationEntry[K] } = {
    value: await bodyValue(ctx.message),
    headers: ctx.message.headers.toObject(),
    vars,
    correlationId: ctx.correlationId,
    receivedAt: ctx.engine.clock.now(),
  };
  const contentType = ctx.message.contentType;
  if (contentType !== undefined) entry.contentType = contentType;
  return entry;
}

/** The group's message before combining: the first message's headers, the values as a JSON array. */
function combinedMessage(group: AggregationGroup): Message {
  const message = createMessage({ headers: group.entries[0]?.headers ?? {} });
  message.headers.delete('content-length');
  message.setJson(group.entries.map((e) => e.value));
  return message;
}

/** The mediator a completed group runs: combine (when asked), then `onComplete`. */
function completionFor<V extends Vars>(options: AggregateOptions<V>): (group: AggregationGroup) => Mediator {
  const onComplete = toSteps(options.onComplete, 'aggregate:onComplete');
  const combine = options.combine;
  if (combine === undefined) return () => onComplete;
  const expression = typeof combine === 'string' ? jsonata(combine) : undefined;
  return (group) =>
    defineMediator<Vars>('aggregate:combine', async (ctx: MessageContext) => {
      const result = expression
        ? await expression(ctx)
        : await (combine as Exclude<AggregateCombine, string>)(
            group.entries.map((e) => e.value),
            group,
          );
      if (typeof result === 'string') ctx.message.setText(result, group.entries[0]?.contentType);
      else if (result instanceof Uint8Array) ctx.message.setBody(result);
      else ctx.message.setJson(result);
      return onComplete.run(ctx);
    });
}
