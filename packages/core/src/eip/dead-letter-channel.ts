/**
 * Dead letter channel (Camel's deadLetterChannel with a redelivery policy): the protected steps are
 * redelivered with back-off on the engine's clock; once the attempts are used up — or at once, for an
 * error the policy does not retry — the ORIGINAL message (as it entered the channel, body intact: a clone
 * is kept on entry) goes to the dead letter with `vars.deadLetterError = { code, message, attempts }`, and
 * the flow ends with `'drop'`: the failure is handled. If the dead letter itself fails, the flow fails with
 * `MEDIARY_DEAD_LETTER_FAILED`, so a broker redelivers instead of losing the message.
 *
 * Each redelivery starts again from the original message; variables keep whatever earlier attempts set.
 *
 * @module
 */
import { z } from 'zod';
import { sleep } from '../clock.js';
import type { MessageContext, Vars } from '../context.js';
import type { Endpoint } from '../endpoint.js';
import { type MediaryError, toMediaryError } from '../errors.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import { type MessageStore, toStoredMessage } from '../store/message-store.js';
import { hasStore, storeOf } from '../store/registry.js';
import { eipErrors } from './errors.js';
import { parseOptions } from './internal/options.js';
import { endpointStep, toSteps } from './internal/targets.js';

/** The serialisable part of {@link RedeliveryPolicy}. */
export const redeliveryPolicySchema = z.object({
  /** Deliveries in all, the first included (1 = no redelivery). */
  maxAttempts: z.number().int().min(1),
  /** Wait before the first redelivery. */
  delayMs: z.number().min(0).finite(),
  /** Each further wait is this many times the previous one. Default 2. */
  multiplier: z.number().min(1).finite().default(2),
  /** Spread each wait randomly by ± this fraction (0–1). Default 0. */
  jitter: z.number().min(0).max(1).default(0),
  /** Longest wait. Default: no cap. */
  maxDelayMs: z.number().min(0).optional(),
});

export interface RedeliveryPolicy extends z.input<typeof redeliveryPolicySchema> {
  /** Which errors are redelivered. Default: those marked `retryable`. */
  readonly retryOn?: (error: MediaryError) => boolean;
}

/** Where dead letters go: steps, a mediator, a store, an endpoint, or a name (a registered store, else an endpoint). */
export type DeadLetterTarget = readonly Step[] | Mediator | MessageStore | Endpoint | string;

export interface DeadLetterChannelOptions {
  /** The protected steps. */
  readonly steps: readonly Step[] | Mediator;
  readonly redelivery: RedeliveryPolicy;
  readonly deadLetter: DeadLetterTarget;
}

/** What a dead letter carries in `vars.deadLetterError`. */
export interface DeadLetterError {
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
}

/**
 * Redelivers, then dead-letters.
 *
 * @example
 * deadLetterChannel({
 *   steps: [call('payments')],
 *   redelivery: { maxAttempts: 4, delayMs: 1000, multiplier: 2, maxDelayMs: 10_000 },
 *   deadLetter: 'payments-dlq',
 * })
 */
export function deadLetterChannel(options: DeadLetterChannelOptions): Mediator {
  const policy = parseOptions('deadLetterChannel', redeliveryPolicySchema, options.redelivery);
  const steps = toSteps(options.steps, 'deadLetterChannel:steps');
  const retryOn = options.redelivery.retryOn ?? ((error: MediaryError) => error.retryable);
  const deliver = deadLetterDelivery(options.deadLetter);
  const targetName = describeTarget(options.deadLetter);

  return defineMediator<Vars>('deadLetterChannel', async (ctx: MessageContext) => {
    const entry = ctx.message.clone();
    let error: MediaryError;
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        return await steps.run(ctx);
      } catch (thrown) {
        error = toMediaryError(thrown);
      }
      // A cancelled message (shutdown, client gone) is not a delivery failure.
      if (ctx.signal.aborted) throw error;
      if (attempts >= policy.maxAttempts || !retryOn(error)) break;
      const delayMs = redeliveryDelay(policy, attempts);
      ctx.log.debug('redelivering', {
        routeId: ctx.routeId,
        attempt: attempts + 1,
        delayMs,
        code: error.code,
      });
      await sleep(ctx.engine.clock, delayMs, ctx.signal);
      ctx.message = entry.clone();
    }
    ctx.message = entry.clone();
    ctx.error = error;
    const deadLetterError: DeadLetterError = { code: error.code, message: error.message, attempts };
    ctx.vars.deadLetterError = deadLetterError;
    try {
      await deliver(ctx);
    } catch (failed) {
      throw eipErrors.DEAD_LETTER_FAILED(
        { target: targetName, reason: toMediaryError(failed).message },
        { cause: failed, details: { original: error.code } },
      );
    }
    ctx.error = undefined;
    return 'drop';
  });
}

/**
 * The wait before the redelivery that follows failure number `failures` (1-based): back-off, cap, jitter.
 *
 * @example
 * redeliveryDelay({ maxAttempts: 5, delayMs: 100, multiplier: 2 }, 3) // 400
 */
export function redeliveryDelay(policy: RedeliveryPolicy, failures: number): number {
  const base = policy.delayMs * (policy.multiplier ?? 2) ** (failures - 1);
  const capped = Math.min(base, policy.maxDelayMs ?? Number.POSITIVE_INFINITY);
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  return Math.max(0, Math.round(capped * (1 + jitter * (Math.random() * 2 - 1))));
}

function deadLetterDelivery(target: DeadLetterTarget): (ctx: MessageContext) => Promise<unknown> {
  if (Array.isArray(target) || isMediator(target)) {
    const steps = toSteps(target as readonly Step[] | Mediator, 'deadLetterChannel:deadLetter');
    return async (ctx) => steps.run(ctx);
  }
  if (isStore(target)) return async (ctx) => target.enqueue(await toStoredMessage(ctx));
  if (typeof target === 'string') {
    const send = endpointStep(target, 'deadLetterChannel:deadLetter');
    return async (ctx) =>
      hasStore(ctx.engine, target)
        ? storeOf(ctx.engine, target).enqueue(await toStoredMessage(ctx))
        : send.run(ctx);
  }
  const send = endpointStep(target as Endpoint, 'deadLetterChannel:deadLetter');
  return async (ctx) => send.run(ctx);
}

function describeTarget(target: DeadLetterTarget): string {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return 'steps';
  return (target as { name?: string }).name ?? 'dead letter';
}

function isMediator(value: unknown): value is Mediator {
  return typeof (value as Mediator).run === 'function';
}

function isStore(value: unknown): value is MessageStore {
  return (
    typeof (value as MessageStore).enqueue === 'function' &&
    typeof (value as MessageStore).lease === 'function'
  );
}
