/**
 * Ties the patterns' background work to the engine's stop: aggregators complete their open groups,
 * resequencers flush, and detached runs (wire taps, timed-out groups) are drained or abandoned.
 *
 * The engine calls `stop()` of every source before it drains in-flight messages, and `close()` after, so
 * one internal source per engine gives the patterns both moments without touching the engine: stop hooks
 * run at both (a message still in flight during the drain may open a new group), and detached runs are
 * waited for, each up to its own drain time (real time, like the engine's own drain), then aborted.
 * Runtimes that are not an {@link Engine} only get the `engine:stopping` event.
 *
 * @module
 */
import type { Engine } from '../../engine.js';
import { coreErrors } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { perEngine } from './per-engine.js';

/** Work started outside any dispatch that the engine's stop should wait for. */
export interface DetachedWork {
  readonly done: Promise<unknown>;
  readonly controller: AbortController;
  /** How long (real ms) a stopping engine waits for it before aborting it. */
  readonly drainTimeoutMs: number;
}

export interface EngineLifecycle {
  /** True from `engine:stopping` until the engine starts again. */
  readonly stopping: boolean;
  /** Runs `hook` when the engine stops (and again once in-flight messages drained). Returns an unsubscribe. */
  onStop(hook: () => Promise<void>): () => void;
  /** Runs `hook` once when the engine closes its sources. */
  onClose(hook: () => Promise<void>): () => void;
  track(work: DetachedWork): void;
  /** Detached runs still going. */
  readonly detached: number;
}

/** The lifecycle of the engine a message runs in (created on first use). */
export const lifecycleOf: (runtime: Runtime) => EngineLifecycle = perEngine(createLifecycle);

function createLifecycle(runtime: Runtime): EngineLifecycle {
  const stopHooks = new Set<() => Promise<void>>();
  const closeHooks = new Set<() => Promise<void>>();
  const running = new Set<DetachedWork>();
  let stopping: Promise<void> | undefined;

  const runHooks = async (hooks: Set<() => Promise<void>>) => {
    await Promise.allSettled([...hooks].map((hook) => hook()));
    await drain(running);
  };
  const beginStop = () => {
    stopping ??= runHooks(stopHooks);
    return stopping;
  };

  runtime.bus.on('engine:stopping', () => void beginStop());
  if (isEngine(runtime)) {
    runtime.addSource({
      name: 'mediary:eip-lifecycle',
      start: async () => {
        stopping = undefined;
      },
      stop: beginStop,
      close: async () => {
        await runHooks(stopHooks);
        await runHooks(closeHooks);
      },
    });
  }

  return {
    get stopping() {
      return stopping !== undefined;
    },
    get detached() {
      return running.size;
    },
    onStop(hook) {
      stopHooks.add(hook);
      return () => stopHooks.delete(hook);
    },
    onClose(hook) {
      closeHooks.add(hook);
      return () => closeHooks.delete(hook);
    },
    track(work) {
      running.add(work);
      const forget = () => running.delete(work);
      work.done.then(forget, forget);
    },
  };
}

async function drain(running: Set<DetachedWork>): Promise<void> {
  await Promise.all(
    [...running].map(async (work) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), work.drainTimeoutMs);
      });
      const result = await Promise.race([work.done.then(() => 'done' as const), deadline]);
      clearTimeout(timer);
      // Abandoned: aborted through its signal and no longer waited for, so a hung tap cannot hang a stop.
      if (result === 'timeout') {
        work.controller.abort(coreErrors.ENGINE_STOPPING());
        running.delete(work);
      }
    }),
  );
}

function isEngine(runtime: Runtime): runtime is Engine {
  return typeof (runtime as Partial<Engine>).addSource === 'function';
}
