/**
 * Cancellation plumbing shared by the wrappers: a context copy with another signal, a child signal that
 * follows its parent, and a race that makes a call settle as soon as its signal aborts.
 */
import type { MessageContext } from '../../context.js';
import { coreErrors, isMediaryError, type MediaryError } from '../../errors.js';

/**
 * The same context with a different signal; every other member is kept. Endpoints receive the context as a
 * parameter and may keep a reference to it, so the original is never mutated.
 */
export function withSignal(ctx: MessageContext, signal: AbortSignal): MessageContext {
  return { ...ctx, signal };
}

/** An abort controller that also aborts (with the same reason) when `parent` does. */
export interface ChildSignal {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
  /** Stops following the parent; call it when the work is done so long-lived parents do not collect listeners. */
  dispose(): void;
}

export function childSignal(parent: AbortSignal): ChildSignal {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => parent.removeEventListener('abort', onAbort),
  };
}

/** The error a cancelled call fails with: the abort reason when it is a Mediary error, `ABORTED` otherwise. */
export function abortError(reason: unknown): MediaryError {
  if (isMediaryError(reason)) return reason;
  return coreErrors.ABORTED({ reason: describe(reason) }, { cause: reason });
}

/**
 * Settles with `work`, or rejects with the abort reason as soon as `signal` aborts — even when the work
 * ignores its signal. A late rejection of `work` is absorbed, never left unhandled.
 */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal.reason));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  return reason === undefined ? 'aborted' : String(reason);
}
