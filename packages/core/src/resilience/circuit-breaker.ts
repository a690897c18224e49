/**
 * Circuit breaker: WSO2 / Apache Synapse endpoint suspension as a wrapper. After repeated failures the
 * endpoint is suspended and calls fail fast instead of piling onto a backend that is down; each suspension
 * in a row lasts longer, and a single trial call decides when it is back.
 *
 * | state       | calls                                 | on success             | on failure                                              |
 * | ----------- | ------------------------------------- | ---------------------- | ------------------------------------------------------- |
 * | `active`    | pass                                  | stay `active`          | `failing` (or `suspended` when `failureThreshold` is 1) |
 * | `failing`   | pass                                  | `active` (count reset) | count + 1; `suspended` once it reaches the threshold    |
 * | `suspended` | fail fast: `MEDIARY_ENDPOINT_SUSPENDED` | —                      | —                                                       |
 * | `half-open` | `halfOpenProbes` trial calls pass, others fail fast | `active` once every trial succeeded (growth reset) | `suspended` again, for longer |
 *
 * `suspended` → `half-open` happens when the first call arrives after the suspension ended (the breaker
 * keeps no timer of its own). The n-th suspension in a row lasts
 * `min(maxSuspendMs, initialSuspendMs × suspendMultiplier^(n-1))`.
 *
 * In WSO2's terms: `failing` is the *Timeout* state (marked for suspension, `retriesBeforeSuspension`);
 * `suspended` is *Suspended* (`initialDuration`, `progressionFactor`, `maximumDuration`); `half-open` is the
 * moment after a suspension expires when WSO2 lets the next message through and suspends again, for longer,
 * if it fails.
 *
 * What counts as a failure: by default errors marked `retryable` (timeouts, connection failures, `5xx`-class
 * endpoint errors). Other errors mean the backend answered, so they count as success. A call cancelled by its
 * own message (the caller's signal aborted) counts as neither. Every transition emits `endpoint:state`.
 *
 * @module
 */
import { z } from 'zod';
import type { MessageContext } from '../context.js';
import type { Endpoint } from '../endpoint.js';
import { coreErrors, type MediaryError, toMediaryError } from '../errors.js';
import { wrapped } from './internal/endpoints.js';
import { parseOptions } from './internal/options.js';

/** The breaker's states; see the module documentation for the transitions. */
export type CircuitState = 'active' | 'failing' | 'suspended' | 'half-open';

/** The serialisable part of {@link CircuitBreakerOptions}. */
export const circuitBreakerOptionsSchema = z.object({
  /** Consecutive failures that suspend the endpoint. Default 3. */
  failureThreshold: z.number().int().min(1).default(3),
  /** Length of the first suspension, in ms. Default 30 000 (WSO2's default). */
  initialSuspendMs: z.number().min(0).finite().default(30_000),
  /** Each consecutive suspension lasts this many times longer. Default 2. */
  suspendMultiplier: z.number().min(1).finite().default(2),
  /** Upper bound of one suspension, in ms. Default 300 000. */
  maxSuspendMs: z.number().min(0).finite().default(300_000),
  /** Trial calls let through after a suspension; all must succeed to close the breaker. Default 1. */
  halfOpenProbes: z.number().int().min(1).default(1),
});

export interface CircuitBreakerOptions extends z.input<typeof circuitBreakerOptionsSchema> {
  /** Which errors count as failures. Default: `error.retryable`. Anything thrown is normalised first. */
  readonly isFailure?: (error: MediaryError) => boolean;
}

/** An endpoint guarded by a breaker, with its state readable (for tests, health checks and consoles). */
export interface CircuitBreakerEndpoint extends Endpoint {
  readonly state: CircuitState;
  /** Consecutive failures counted while `active` / `failing`. */
  readonly failures: number;
  /** When the current suspension ends (engine clock, ms since the epoch), while `suspended`. */
  readonly suspendedUntil: number | undefined;
}

/**
 * Suspends an endpoint after repeated failures (WSO2's suspension state machine; see the module docs).
 * While suspended, calls fail fast with `MEDIARY_ENDPOINT_SUSPENDED` (503, retryable), whose details carry
 * `retryAfterMs`.
 *
 * @example
 * const hospital = wrapEndpoint(
 *   httpEndpoint({ name: 'hospital', url }),
 *   circuitBreaker({ failureThreshold: 3, initialSuspendMs: 1000, suspendMultiplier: 2, maxSuspendMs: 60_000 }),
 *   timeout(5000),
 * );
 */
export function circuitBreaker(
  options: CircuitBreakerOptions = {},
): (endpoint: Endpoint) => CircuitBreakerEndpoint {
  const { isFailure = (error: MediaryError) => error.retryable, ...data } = options;
  const config = parseOptions('circuitBreaker', circuitBreakerOptionsSchema, data);
  return (inner) => {
    let state: CircuitState = 'active';
    let failures = 0;
    let suspensions = 0;
    let suspendedUntil: number | undefined;
    // Bumped on every suspension: a call admitted before it reports into a state it no longer belongs to.
    let epoch = 0;
    let probesAdmitted = 0;
    let probesSucceeded = 0;

    const move = (to: CircuitState, ctx: MessageContext) => {
      const from = state;
      if (from === to) return;
      state = to;
      ctx.engine.bus.emit('endpoint:state', { endpoint: inner.name, from, to, at: ctx.engine.clock.now() });
    };

    const suspend = (ctx: MessageContext) => {
      const duration = Math.min(
        config.maxSuspendMs,
        config.initialSuspendMs * config.suspendMultiplier ** suspensions,
      );
      suspensions++;
      failures = 0;
      epoch++;
      suspendedUntil = ctx.engine.clock.now() + duration;
      move('suspended', ctx);
    };

    const succeeded = (ctx: MessageContext, admittedIn: number, probe: boolean) => {
      if (admittedIn !== epoch) return;
      if (probe) {
        if (++probesSucceeded < config.halfOpenProbes) return;
        suspensions = 0;
        suspendedUntil = undefined;
      } else if (state !== 'active' && state !== 'failing') return;
      failures = 0;
      move('active', ctx);
    };

    const failed = (ctx: MessageContext, admittedIn: number, probe: boolean) => {
      if (admittedIn !== epoch) return;
      if (probe) {
        suspend(ctx);
        return;
      }
      if (state !== 'active' && state !== 'failing') return;
      failures++;
      if (failures >= config.failureThreshold) suspend(ctx);
      else move('failing', ctx);
    };

    const suspendedError = (ctx: MessageContext) =>
      coreErrors.ENDPOINT_SUSPENDED({
        endpoint: inner.name,
        retryAfterMs: suspendedUntil === undefined ? 0 : Math.max(0, suspendedUntil - ctx.engine.clock.now()),
      });

    const endpoint = wrapped(inner, async function circuitBreakerSend(message, ctx) {
      if (state === 'suspended') {
        if (ctx.engine.clock.now() < (suspendedUntil ?? 0)) throw suspendedError(ctx);
        probesAdmitted = 0;
        probesSucceeded = 0;
        move('half-open', ctx);
      }
      const probe = state === 'half-open';
      if (probe) {
        if (probesAdmitted >= config.halfOpenProbes) throw suspendedError(ctx);
        probesAdmitted++;
      }
      const admittedIn = epoch;
      try {
        const reply = await inner.send(message, ctx);
        succeeded(ctx, admittedIn, probe);
        return reply;
      } catch (thrown) {
        if (ctx.signal.aborted) {
          // Cancelled by its own message: says nothing about the backend, so a trial slot is given back.
          if (probe && admittedIn === epoch) probesAdmitted--;
        } else if (isFailure(toMediaryError(thrown))) failed(ctx, admittedIn, probe);
        else succeeded(ctx, admittedIn, probe);
        throw thrown;
      }
    });

    return Object.defineProperties(endpoint, {
      state: { get: () => state, enumerable: true },
      failures: { get: () => failures, enumerable: true },
      suspendedUntil: { get: () => (state === 'suspended' ? suspendedUntil : undefined), enumerable: true },
    }) as CircuitBreakerEndpoint;
  };
}
