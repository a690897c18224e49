/**
 * The scheduled message forwarding processor (WSO2's): takes messages from a store and delivers them to an
 * endpoint, retrying until the endpoint accepts them.
 *
 * - Delivery goes through the engine (`engine.dispatch` of a mediator that calls the endpoint by name), so
 *   a mocked endpoint receives it and the bus sees each attempt. A reply with a status of 400 or more, or a
 *   thrown error, is a failed attempt.
 * - A status in `nonRetryStatuses` (default: every 4xx) is not retried: the message goes to the dead letter
 *   store at once (or is dropped when there is none).
 * - Otherwise the message is released (one more attempt counted) and, after `intervalMs` on the engine's
 *   clock, tried again. After `maxAttempts` attempts: `'dead-letter'` moves the original stored message
 *   to `deadLetterStore`, `'deactivate'` leaves it at the head of the store and stops the processor
 *   (`activate()` resumes; the message then gets one more attempt before the rule applies again),
 *   `'drop'` discards it.
 * - With `concurrency: 1` (default) the next message is not leased until the current one is settled, so
 *   messages are delivered in the order they were stored (WSO2's in-order delivery).
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext } from '../context.js';
import { toSteps } from '../eip/internal/targets.js';
import type { Endpoint } from '../endpoint.js';
import type { Engine } from '../engine.js';
import { coreErrors, isMediaryError, type MediaryError } from '../errors.js';
import { defineMediator, type Mediator, type Step } from '../mediator.js';
import { storeErrors } from './errors.js';
import { parseProcessorOptions } from './internal/options.js';
import {
  createProcessorLoop,
  engineOption,
  failedCopy,
  type LoopControl,
  resolveStore,
} from './internal/processor-loop.js';
import { fromStoredMessage, type Lease, type MessageStore } from './message-store.js';
import type { MessageProcessor, ProcessorStats } from './processor.js';

/** The serialisable part of {@link ForwardingProcessorOptions}. */
export const forwardingProcessorOptionsSchema = z.object({
  /** Shown in events and logs. Default `forward:<store>`. */
  name: z.string().min(1).optional(),
  /** Wait between attempts at the same message (engine clock). */
  intervalMs: z.number().min(0).finite(),
  /** Attempts per message, the first included. */
  maxAttempts: z.number().int().min(1),
  /** How often an empty store is polled. Default: `intervalMs` (at least 1 ms). */
  pollMs: z.number().positive().finite().optional(),
  /** Reply statuses that are never retried. Default: 400–499. */
  nonRetryStatuses: z.array(z.number().int().min(100).max(599)).optional(),
  /** Messages delivered at once. Default 1: in order. */
  concurrency: z.number().int().min(1).default(1),
  /** After `maxAttempts`. Default: `'dead-letter'` with a dead letter store, else `'deactivate'`. */
  onMaxAttempts: z.enum(['dead-letter', 'deactivate', 'drop']).optional(),
  /** How long a message being delivered stays invisible to other consumers. Default 60 000. */
  leaseMs: z.number().positive().finite().default(60_000),
});

export interface ForwardingProcessorOptions extends z.input<typeof forwardingProcessorOptionsSchema> {
  /** The store to drain: a store, or the name of one registered on the engine. */
  readonly store: MessageStore | string;
  /** Where messages go: an endpoint, or its name on the engine (so mocks by name work). */
  readonly endpoint: Endpoint | string;
  /** Where undeliverable messages go (a store, or a registered store's name). */
  readonly deadLetterStore?: MessageStore | string;
  /** Run with each successful reply (a failure here does not redeliver: the endpoint has the message). */
  readonly replySteps?: readonly Step[] | Mediator;
  /** Run after each failed attempt, with the stored message and `vars.forwardError`. */
  readonly faultSteps?: readonly Step[] | Mediator;
  /** The engine to use when `start()` is called without one. */
  readonly engine?: Engine;
}

/** What a failed attempt leaves in `vars.forwardError` for the fault steps. */
export interface ForwardError {
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  readonly attempt: number;
}

/**
 * Creates a forwarding processor.
 *
 * @example
 * registerStore(engine, createMemoryStore('orders', { clock: engine.clock }));
 * engine.addSource(forwardingProcessor({ store: 'orders', endpoint: 'orders-backend', intervalMs: 1000, maxAttempts: 5, deadLetterStore: 'orders-dlq' }));
 */
export function forwardingProcessor(options: ForwardingProcessorOptions): MessageProcessor {
  const storeName = typeof options.store === 'string' ? options.store : options.store.name;
  const name = options.name ?? `forward:${storeName}`;
  const parsed = parseProcessorOptions(name, forwardingProcessorOptionsSchema, options);
  const { intervalMs, maxAttempts, concurrency, leaseMs } = parsed;
  const onMaxAttempts = parsed.onMaxAttempts ?? (options.deadLetterStore ? 'dead-letter' : 'deactivate');
  if (onMaxAttempts === 'dead-letter' && !options.deadLetterStore) {
    throw storeErrors.PROCESSOR_CONFIG_INVALID({
      name,
      reason: "onMaxAttempts 'dead-letter' needs a deadLetterStore",
    });
  }
  const nonRetry = new Set(parsed.nonRetryStatuses ?? range(400, 499));
  const stats: ProcessorStats = { delivered: 0, failedAttempts: 0, deadLettered: 0, dropped: 0 };
  const endpointName = typeof options.endpoint === 'string' ? options.endpoint : options.endpoint.name;
  const forward = forwardMediator(name, options.endpoint, endpointName);
  const replySteps = options.replySteps ? toSteps(options.replySteps, `${name}:reply`) : undefined;
  const faultSteps = options.faultSteps ? toSteps(options.faultSteps, `${name}:fault`) : undefined;
  const pollMs = parsed.pollMs ?? Math.max(1, intervalMs);

  const prepare = (control: LoopControl): (() => Promise<void>) => {
    const { engine } = control;
    const store = resolveStore(engine, options.store);
    const deadLetters = options.deadLetterStore ? resolveStore(engine, options.deadLetterStore) : undefined;

    const deadLetter = async (lease: Lease, error: MediaryError, attempt: number) => {
      if (deadLetters) {
        await deadLetters.enqueue(failedCopy(lease.message, error, attempt));
        stats.deadLettered++;
      } else {
        engine.log.error('undeliverable message dropped', {
          processor: name,
          id: lease.message.id,
          code: error.code,
        });
        stats.dropped++;
      }
      await store.ack(lease);
    };

    return async () => {
      const lease = await store.lease({ leaseMs });
      if (!lease) {
        await control.pause(pollMs);
        return;
      }
      if (!control.running()) {
        await store.release(lease);
        return;
      }
      const attempt = lease.message.attempts + 1;
      const { message, vars } = fromStoredMessage(lease.message, engine.limits);
      const transport = {
        name: 'store',
        params: {},
        query: {},
        props: { store: store.name, messageId: lease.message.id, attempt },
      };
      const exchange = await engine.dispatch(forward, message, { vars, transport });
      if (exchange.ok) {
        await store.ack(lease);
        stats.delivered++;
        if (replySteps)
          await engine.dispatch(replySteps, exchange.message, { vars: exchange.context.vars, transport });
        return;
      }
      const error = exchange.error;
      if (!control.running() && (coreErrors.ENGINE_STOPPING.is(error) || coreErrors.ABORTED.is(error))) {
        // Cut short by the shutdown, not refused by the backend: back to the store for the next start.
        await store.release(lease);
        return;
      }
      stats.failedAttempts++;
      const status = rejectedStatus(error);
      if (faultSteps) {
        const failed = fromStoredMessage(lease.message, engine.limits);
        const forwardError: ForwardError =
          status === undefined
            ? { code: error.code, message: error.message, attempt }
            : { code: error.code, message: error.message, status, attempt };
        failed.vars.forwardError = forwardError;
        await engine.dispatch(faultSteps, failed.message, { vars: failed.vars, transport });
      }
      if (status !== undefined && nonRetry.has(status)) {
        await deadLetter(lease, error, attempt);
        return;
      }
      const lastError = { code: error.code, message: error.message };
      if (attempt < maxAttempts) {
        await store.release(lease, { error: lastError });
        await control.pause(intervalMs);
        return;
      }
      if (onMaxAttempts === 'deactivate') {
        await store.release(lease, { error: lastError });
        control.deactivate();
        engine.bus.emit('source:error', {
          source: name,
          error: storeErrors.PROCESSOR_DEACTIVATED(
            { name, id: lease.message.id, attempts: attempt },
            { cause: error },
          ),
        });
        return;
      }
      if (onMaxAttempts === 'dead-letter') await deadLetter(lease, error, attempt);
      else {
        stats.dropped++;
        engine.log.warn('message dropped after its last attempt', { processor: name, id: lease.message.id });
        await store.ack(lease);
      }
    };
  };

  const loop = createProcessorLoop(name, { workers: concurrency, ...engineOption(options.engine) }, prepare);
  return {
    name,
    stats,
    get state() {
      return loop.state;
    },
    start: (engine?: Engine) => loop.start(engine),
    stop: () => loop.stop(),
    close: () => loop.close(),
    activate: (engine?: Engine) => loop.start(engine),
  };
}

function forwardMediator(name: string, endpoint: Endpoint | string, endpointName: string): Mediator {
  return defineMediator(name, async (ctx: MessageContext) => {
    const target = typeof endpoint === 'string' ? ctx.engine.endpoint(endpoint) : endpoint;
    const reply = await target.send(ctx.message, ctx);
    ctx.message = reply;
    if (reply.status !== undefined && reply.status >= 400) {
      throw storeErrors.FORWARD_REJECTED({ endpoint: endpointName, status: reply.status });
    }
  });
}

/**
 * The backend status behind a failed delivery: a reply status this processor rejected, or the status an
 * endpoint that fails on error statuses reported (`details.status`, as `MEDIARY_HTTP_STATUS` carries it).
 */
function rejectedStatus(error: unknown): number | undefined {
  if (storeErrors.FORWARD_REJECTED.is(error)) return error.details.status as number;
  if (isMediaryError(error) && typeof error.details.status === 'number') return error.details.status;
  return undefined;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
