/**
 * The message sampling processor (WSO2's): every `intervalMs` on the engine's clock it takes up to `batch`
 * messages from a store and runs each through a sequence — a rate-limited consumer. A message whose run
 * fails is released and tried again at a later tick; after `maxAttempts` it goes to the dead letter store,
 * or is dropped (logged) when there is none.
 *
 * @module
 */

import { z } from 'zod';
import { toSteps } from '../eip/internal/targets.js';
import type { Engine } from '../engine.js';
import type { Mediator, Step } from '../mediator.js';
import { sequence } from '../sequence.js';
import { parseProcessorOptions } from './internal/options.js';
import {
  createProcessorLoop,
  engineOption,
  failedCopy,
  type LoopControl,
  resolveStore,
} from './internal/processor-loop.js';
import { fromStoredMessage, type MessageStore } from './message-store.js';
import type { MessageProcessor, ProcessorStats } from './processor.js';

/** The serialisable part of {@link SamplingProcessorOptions}. */
export const samplingProcessorOptionsSchema = z.object({
  /** Shown in events and logs. Default `sample:<store>`. */
  name: z.string().min(1).optional(),
  /** Time between batches (engine clock). */
  intervalMs: z.number().positive().finite(),
  /** Messages per tick. Default 1. */
  batch: z.number().int().min(1).default(1),
  /** Runs per message before it is dead-lettered or dropped. Default 3. */
  maxAttempts: z.number().int().min(1).default(3),
});

export interface SamplingProcessorOptions extends z.input<typeof samplingProcessorOptionsSchema> {
  readonly store: MessageStore | string;
  /** Steps, a mediator, or the name of a sequence registered on the engine. */
  readonly sequence: readonly Step[] | Mediator | string;
  readonly deadLetterStore?: MessageStore | string;
  /** The engine to use when `start()` is called without one. */
  readonly engine?: Engine;
}

/**
 * Creates a sampling processor.
 *
 * @example
 * engine.addSource(samplingProcessor({ store: 'events', sequence: 'publish-event', intervalMs: 1000, batch: 10 }));
 */
export function samplingProcessor(options: SamplingProcessorOptions): MessageProcessor {
  const storeName = typeof options.store === 'string' ? options.store : options.store.name;
  const name = options.name ?? `sample:${storeName}`;
  const { intervalMs, batch, maxAttempts } = parseProcessorOptions(
    name,
    samplingProcessorOptionsSchema,
    options,
  );
  const target =
    typeof options.sequence === 'string' ? sequence(options.sequence) : toSteps(options.sequence, name);
  const stats: ProcessorStats = { delivered: 0, failedAttempts: 0, deadLettered: 0, dropped: 0 };

  const prepare = (control: LoopControl): (() => Promise<void>) => {
    const { engine } = control;
    const store = resolveStore(engine, options.store);
    const deadLetters = options.deadLetterStore ? resolveStore(engine, options.deadLetterStore) : undefined;
    return async () => {
      for (let i = 0; i < batch && control.running(); i++) {
        const lease = await store.lease();
        if (!lease) break;
        const attempt = lease.message.attempts + 1;
        const { message, vars } = fromStoredMessage(lease.message, engine.limits);
        const exchange = await engine.dispatch(target, message, {
          vars,
          transport: {
            name: 'store',
            params: {},
            query: {},
            props: { store: store.name, messageId: lease.message.id, attempt },
          },
        });
        if (exchange.ok) {
          await store.ack(lease);
          stats.delivered++;
          continue;
        }
        stats.failedAttempts++;
        const { error } = exchange;
        if (attempt < maxAttempts) {
          // Settle for this tick: the message is tried again at the next one, still in order.
          await store.release(lease, { error: { code: error.code, message: error.message } });
          break;
        }
        if (deadLetters) {
          await deadLetters.enqueue(failedCopy(lease.message, error, attempt));
          stats.deadLettered++;
        } else {
          stats.dropped++;
          engine.log.error('message dropped after its last attempt', {
            processor: name,
            id: lease.message.id,
            code: error.code,
          });
        }
        await store.ack(lease);
      }
      await control.pause(intervalMs);
    };
  };

  const loop = createProcessorLoop(name, { workers: 1, ...engineOption(options.engine) }, prepare);
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
