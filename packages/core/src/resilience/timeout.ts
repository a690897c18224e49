/**
 * Timeout: a deadline for one call to an endpoint, measured on the engine's clock.
 *
 * When the deadline passes, the call's signal aborts (so the transport can cancel the request) and the call
 * fails at once with `MEDIARY_ENDPOINT_TIMEOUT` (504, retryable) — even if the endpoint ignores its signal.
 * Where the wrapper sits decides what the deadline covers: `wrapEndpoint(e, timeout(5000), retry(…))` bounds
 * the whole retry schedule, `wrapEndpoint(e, retry(…), timeout(1000))` bounds each attempt.
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext } from '../context.js';
import type { Endpoint, EndpointWrapper } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import type { Message } from '../message.js';
import { invoke, wrapped } from './internal/endpoints.js';
import { parseOptions } from './internal/options.js';
import { childSignal, raceSignal, withSignal } from './internal/signals.js';

/** A deadline in milliseconds: a positive, finite number. */
export const timeoutMsSchema = z.number().positive().finite();

/**
 * Fails a call that takes longer than `ms` with `MEDIARY_ENDPOINT_TIMEOUT`, aborting the signal the
 * endpoint was given.
 *
 * @example
 * const hospital = wrapEndpoint(httpEndpoint({ name: 'hospital', url }), timeout(10_000));
 */
export function timeout(ms: number): EndpointWrapper {
  const timeoutMs = parseOptions('timeout', timeoutMsSchema, ms);
  return (inner) => wrapped(inner, (message, ctx) => sendWithin(inner, message, ctx, timeoutMs));
}

/** Sends through `endpoint` with a deadline (shared with the fan-out mediators' per-branch timeouts). */
export async function sendWithin(
  endpoint: Endpoint,
  message: Message,
  ctx: MessageContext,
  timeoutMs: number,
): Promise<Message> {
  const clock = ctx.engine.clock;
  const child = childSignal(ctx.signal);
  // The timeout error is the abort reason, so an endpoint that rejects with its signal's reason rejects
  // with this very error, and the race below surfaces it first either way.
  const timer = clock.setTimeout(
    () => child.abort(coreErrors.ENDPOINT_TIMEOUT({ endpoint: endpoint.name, timeoutMs })),
    timeoutMs,
  );
  try {
    return await raceSignal(invoke(endpoint, message, withSignal(ctx, child.signal)), child.signal);
  } finally {
    clock.clearTimeout(timer);
    child.dispose();
  }
}
