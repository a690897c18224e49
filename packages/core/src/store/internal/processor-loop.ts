/**
 * What the sampling and forwarding processors share: start/stop/close as an engine source, workers that
 * loop until stopped, and pauses on the engine's clock that a stop cuts short.
 *
 * Stop never waits for a message being dispatched — the engine drains in-flight messages after its
 * sources stopped, and waiting here would keep a hung backend from ever being aborted. `close()` (which the
 * engine calls after draining) waits for the workers to finish their last acknowledgement.
 *
 * @module
 */
import { sleep } from '../../clock.js';
import type { Engine } from '../../engine.js';
import { type MediaryError, toMediaryError } from '../../errors.js';
import { storeErrors } from '../errors.js';
import type { MessageStore, StoredMessage } from '../message-store.js';
import type { ProcessorState } from '../processor.js';
import { storeOf } from '../registry.js';

export interface LoopControl {
  readonly engine: Engine;
  /** True while workers should keep taking messages. */
  running(): boolean;
  /** Waits `ms` on the engine's clock, returning early when the processor stops. */
  pause(ms: number): Promise<void>;
  /** Stops the workers and marks the processor deactivated (it stays registered; `activate()` resumes). */
  deactivate(): void;
}

export interface ProcessorLoop {
  readonly state: ProcessorState;
  start(engine: Engine | undefined): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export function createProcessorLoop(
  name: string,
  options: { readonly engine?: Engine; readonly workers: number; readonly errorPauseMs?: number },
  prepare: (control: LoopControl) => () => Promise<void>,
): ProcessorLoop {
  let state: ProcessorState = 'stopped';
  let engine = options.engine;
  let stopper = new AbortController();
  let workers: Promise<void>[] = [];
  const errorPauseMs = options.errorPauseMs ?? 1000;

  const halt = (next: ProcessorState) => {
    if (state !== 'running') return;
    state = next;
    stopper.abort();
  };

  return {
    get state() {
      return state;
    },
    async start(given) {
      engine = given ?? engine;
      if (!engine) throw storeErrors.PROCESSOR_CONFIG_INVALID({ name, reason: 'start() needs the engine' });
      if (state === 'running') return;
      await Promise.all(workers);
      state = 'running';
      stopper = new AbortController();
      const signal = stopper.signal;
      const runtime = engine;
      const control: LoopControl = {
        engine: runtime,
        running: () => !signal.aborted,
        pause: (ms) => sleep(runtime.clock, ms, signal).catch(() => undefined),
        deactivate: () => halt('deactivated'),
      };
      const report = (error: unknown) =>
        runtime.bus.emit('source:error', { source: name, error: toMediaryError(error) });
      let iterate: () => Promise<void>;
      try {
        iterate = prepare(control);
      } catch (error) {
        // A configuration mistake (a store that is not registered): nothing to retry.
        state = 'stopped';
        throw error;
      }
      workers = Array.from({ length: options.workers }, async () => {
        while (control.running()) {
          try {
            await iterate();
          } catch (error) {
            // A store that failed (a lost lease, a broken connection) is reported and tried again later;
            // the message stays in the store.
            report(error);
            await control.pause(errorPauseMs);
          }
        }
      });
    },
    async stop() {
      halt('stopped');
    },
    async close() {
      halt('stopped');
      await Promise.all(workers);
    },
  };
}

/** A store given by name is looked up on the engine the processor starts on. */
export function resolveStore(engine: Engine, store: MessageStore | string): MessageStore {
  return typeof store === 'string' ? storeOf(engine, store) : store;
}

/** The stored message as it was enqueued — body intact — with the failure that ended its delivery. */
export function failedCopy(message: StoredMessage, error: MediaryError, attempts: number): StoredMessage {
  return { ...message, attempts, lastError: { code: error.code, message: error.message } };
}

export function engineOption(engine: Engine | undefined): { engine?: Engine } {
  return engine ? { engine } : {};
}
