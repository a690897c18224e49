/**
 * Runs a mediator as its own exchange, outside any dispatch: wire taps, aggregated groups, released
 * resequenced messages. It never throws: failures are logged once here and emitted on the bus as
 * `message:failed`, the same events a dispatched message produces, so metrics see them.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  createVars,
  EMPTY_TRANSPORT,
  type MessageContext,
  type TransportInfo,
  type Vars,
} from '../../context.js';
import { type MediaryError, toMediaryError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Mediator, Outcome } from '../../mediator.js';
import type { Message } from '../../message.js';
import type { Runtime } from '../../runtime.js';
import { lifecycleOf } from './lifecycle.js';

export interface DetachedOptions {
  readonly routeId: string;
  readonly correlationId?: string | undefined;
  readonly vars?: Vars;
  readonly transport?: TransportInfo;
  readonly log?: Logger;
  readonly original?: Message;
  /** Start on the next turn of the event loop, so the caller is never slowed by the run's first steps. */
  readonly defer?: boolean;
  /** How long a stopping engine waits for this run before aborting it (real ms). Default 10 000. */
  readonly drainTimeoutMs?: number;
  /** Log level for failures. Default: error for 5xx, debug otherwise (like the engine). */
  readonly failureLevel?: 'warn' | 'error';
}

export type DetachedResult =
  | { readonly ok: true; readonly outcome: Outcome; readonly context: MessageContext }
  | { readonly ok: false; readonly error: MediaryError; readonly context: MessageContext };

/** Starts `mediator` on `message` as a tracked background exchange; resolves when it is done. */
export function runDetached(
  runtime: Runtime,
  mediator: Mediator,
  message: Message,
  options: DetachedOptions,
): Promise<DetachedResult> {
  const controller = new AbortController();
  const context: MessageContext = {
    message,
    original: options.original ?? message,
    vars: createVars(options.vars),
    transport: options.transport ?? EMPTY_TRANSPORT,
    correlationId: options.correlationId ?? randomUUID(),
    routeId: options.routeId,
    signal: controller.signal,
    log: options.log ?? runtime.log,
    error: undefined,
    engine: runtime,
  };
  const done = execute(runtime, mediator, context, options);
  lifecycleOf(runtime).track({ done, controller, drainTimeoutMs: options.drainTimeoutMs ?? 10_000 });
  return done;
}

async function execute(
  runtime: Runtime,
  mediator: Mediator,
  context: MessageContext,
  options: DetachedOptions,
): Promise<DetachedResult> {
  const { routeId, correlationId } = context;
  if (options.defer) await new Promise<void>((resolve) => setImmediate(resolve));
  const started = performance.now();
  runtime.bus.emit('message:received', { routeId, correlationId });
  try {
    const outcome = (await mediator.run(context)) ?? undefined;
    runtime.bus.emit('message:completed', {
      routeId,
      correlationId,
      outcome: outcome === 'retry' ? undefined : outcome,
      durationMs: performance.now() - started,
    });
    return { ok: true, outcome, context };
  } catch (thrown) {
    const error = toMediaryError(thrown);
    context.error = error;
    const fields = { routeId, correlationId, code: error.code };
    const level = options.failureLevel ?? (error.status >= 500 ? 'error' : 'debug');
    try {
      context.log[level](error.message, fields);
      runtime.bus.emit('message:failed', {
        routeId,
        correlationId,
        error,
        durationMs: performance.now() - started,
      });
    } catch {
      // A listener that throws must not turn a logged failure into an unhandled rejection.
    }
    return { ok: false, error, context };
  }
}
