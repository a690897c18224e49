/**
 * Following a message's cancellation without an `AbortSignal`.
 *
 * `ctx.signal` is made on first read, and an endpoint that listens on it pays for an `AbortController`, a
 * listener added and one removed on every call, for messages that almost never abort. {@link onAbort} gives
 * the same notice through a plain callback list when the context is the engine's own, and falls back to the
 * signal for any other context (one a step built with a signal of its own, such as a timeout's).
 *
 * @module
 */
import type { MessageContext, Vars } from './context.js';

/**
 * The prototype method by which the engine's contexts accept an abort listener. On the prototype, never an
 * own property: `{ ...ctx, signal }` copies own properties, and such a copy must follow its own signal.
 */
export const abortHook: unique symbol = Symbol('mediary.abortHook');

interface AbortHooked {
  [abortHook](listener: (reason: unknown) => void): () => void;
}

/**
 * Calls `listener` once if the message is aborted (client gone, deadline, shutdown) — at once if it already
 * is — and returns the function that stops listening. Call that function when the work is done.
 *
 * @example
 * const stop = onAbort(ctx, (reason) => request.cancel(reason));
 * try {
 *   return await request.done;
 * } finally {
 *   stop();
 * }
 */
export function onAbort<V extends Vars>(
  ctx: MessageContext<V>,
  listener: (reason: unknown) => void,
): () => void {
  const hook = (ctx as Partial<AbortHooked>)[abortHook];
  if (typeof hook === 'function') return hook.call(ctx, listener);
  return onSignalAbort(ctx.signal, listener);
}

/**
 * The same for a bare `AbortSignal`: calls `listener` once with the signal's reason when it aborts — at once
 * if it already has — and returns the function that stops listening.
 *
 * @example
 * const stop = onSignalAbort(options.signal, (reason) => reject(toMediaryError(reason)));
 */
export function onSignalAbort(signal: AbortSignal, listener: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    listener(signal.reason);
    return noop;
  }
  const onSignal = () => listener(signal.reason);
  signal.addEventListener('abort', onSignal, { once: true });
  return () => signal.removeEventListener('abort', onSignal);
}

function noop(): void {}
