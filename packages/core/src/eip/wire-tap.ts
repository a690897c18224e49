/**
 * Wire tap: a fire-and-forget copy of the message sent somewhere else (an audit log, an analytics
 * endpoint). The tap can never slow or fail the main flow: it starts on the next turn of the event loop
 * with its own copy of the message and variables and its own abort signal, and its errors are only logged
 * and emitted on the bus (`message:failed`, route id `<route>:wireTap`). A stopping engine waits for running
 * taps up to `drainTimeoutMs`, then aborts and abandons them.
 *
 * @module
 */
import { createVars, type MessageContext, type Vars } from '../context.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { runDetached } from './internal/detached.js';
import { toTarget } from './internal/targets.js';
import type { Target } from './target.js';

export interface WireTapOptions {
  /** How long a stopping engine waits for a running tap before aborting it (real ms). Default 5000. */
  readonly drainTimeoutMs?: number;
}

/**
 * Sends a copy of the message to steps or an endpoint, without waiting.
 *
 * @example
 * [wireTap('audit'), call('hospital'), respond()]
 * wireTap([setBody((ctx) => ({ seen: ctx.correlationId })), call('analytics')])
 */
export function wireTap(target: Target, options: WireTapOptions = {}): Mediator {
  const tap = toTarget(target, 'wireTap:target');
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  return defineMediator<Vars>('wireTap', (ctx: MessageContext) => {
    try {
      const detached = runDetached(ctx.engine, tap, ctx.message.clone(), {
        routeId: `${ctx.routeId}:wireTap`,
        correlationId: ctx.correlationId,
        vars: createVars(ctx.vars),
        transport: ctx.transport,
        log: ctx.log,
        original: ctx.original,
        defer: true,
        drainTimeoutMs,
        failureLevel: 'warn',
      });
      // Settled inside runDetached (it never rejects); nothing to wait for here.
      void detached;
    } catch (error) {
      // Even a tap that cannot be started must not fail the main flow.
      ctx.log.warn('the wire tap could not start', { routeId: ctx.routeId, error });
    }
  });
}
