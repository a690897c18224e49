/**
 * What the message processors have in common: an engine source that can also be started, stopped and
 * re-activated by hand, with counters.
 *
 * @module
 */
import type { Engine, Source } from '../engine.js';

/** `deactivated`: stopped by the processor itself after a message used up its attempts. */
export type ProcessorState = 'stopped' | 'running' | 'deactivated';

/** Counters since creation. */
export interface ProcessorStats {
  delivered: number;
  failedAttempts: number;
  deadLettered: number;
  dropped: number;
}

/** A processor: register it with `engine.addSource(processor)`, or call `start(engine)` yourself. */
export interface MessageProcessor extends Source {
  readonly state: ProcessorState;
  readonly stats: Readonly<ProcessorStats>;
  start(engine?: Engine): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
  /** Resumes a deactivated (or stopped) processor. */
  activate(engine?: Engine): Promise<void>;
}
