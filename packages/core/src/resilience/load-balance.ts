/**
 * Load balancing: a group endpoint that spreads calls over its members, round-robin or by weight.
 *
 * `weighted` is nginx's smooth weighted round-robin: with weights 5, 1, 1 the order is a a b a c a a — the
 * heavy member is interleaved with the others instead of taking five calls in a row. Both strategies are
 * deterministic, so tests can predict which member takes which call. With `failover` (the default, as in
 * WSO2) a member's retryable failure moves the call on to the following members, in list order from the
 * chosen one; the request body is buffered for that like {@link failover} does.
 *
 * @module
 */
import { z } from 'zod';
import type { Endpoint } from '../endpoint.js';
import { coreErrors, type MediaryError, toMediaryError } from '../errors.js';
import {
  closeAll,
  type EndpointRef,
  makeResendable,
  refName,
  resolveEndpoint,
} from './internal/endpoints.js';
import { invalid, parseOptions } from './internal/options.js';
import { abortError } from './internal/signals.js';

/** The serialisable part of {@link LoadBalanceOptions}. */
export const loadBalanceOptionsSchema = z.object({
  /** `round-robin` (default) or `weighted` (smooth weighted round-robin). */
  strategy: z.enum(['round-robin', 'weighted']).default('round-robin'),
  /** One weight per member, for `weighted`; 0 takes a member out of the rotation. Default: all 1. */
  weights: z.array(z.number().int().min(0)).optional(),
  /** Try the following members when the chosen one fails with a retryable error. Default true. */
  failover: z.boolean().default(true),
});

export interface LoadBalanceOptions extends z.input<typeof loadBalanceOptionsSchema> {
  /** The group's name. Default `loadBalance(a,b,…)`. */
  readonly name?: string;
  /** Which errors move on to the next member when `failover` is on. Default: `error.retryable`. */
  readonly isFailure?: (error: MediaryError) => boolean;
}

/**
 * An endpoint that spreads calls over its members. Members are endpoints or names of registered endpoints
 * (resolved per call). When every member tried failed, it throws `MEDIARY_NO_ENDPOINT_AVAILABLE` with the
 * last error as `cause`; without failover, the chosen member's error is thrown as it is.
 *
 * @example
 * engine.addEndpoint(loadBalance(['fees-1', 'fees-2', 'fees-3'], { name: 'fees' }));
 * engine.addEndpoint(loadBalance([big, small], { name: 'quotes', strategy: 'weighted', weights: [3, 1] }));
 */
export function loadBalance(endpoints: readonly EndpointRef[], options: LoadBalanceOptions = {}): Endpoint {
  const { name: givenName, isFailure = (error: MediaryError) => error.retryable, ...data } = options;
  const config = parseOptions('loadBalance', loadBalanceOptionsSchema, data);
  const members = [...endpoints];
  if (members.length === 0) throw invalid('loadBalance', 'at least one endpoint is needed');
  const weights = config.weights ?? members.map(() => 1);
  if (config.weights && config.strategy !== 'weighted')
    throw invalid('loadBalance', "weights only apply to strategy 'weighted'");
  if (weights.length !== members.length)
    throw invalid('loadBalance', `${weights.length} weights given for ${members.length} endpoints`);
  if (!weights.some((w) => w > 0)) throw invalid('loadBalance', 'at least one weight must be above 0');

  const name = givenName ?? `loadBalance(${members.map(refName).join(',')})`;
  const pick = config.strategy === 'weighted' ? smoothWeighted(weights) : roundRobin(members.length);
  const close = closeAll(members);
  const endpoint: Endpoint = {
    name,
    async send(message, ctx) {
      const first = pick();
      if (!config.failover) return resolveEndpoint(members[first]!, ctx).send(message, ctx);
      const order = members.map((_, i) => (first + i) % members.length).filter((i) => weights[i]! > 0);
      if (order.length > 1) await makeResendable(message);
      let last: MediaryError | undefined;
      for (const index of order) {
        try {
          return await resolveEndpoint(members[index]!, ctx).send(message, ctx);
        } catch (thrown) {
          const error = toMediaryError(thrown);
          if (ctx.signal.aborted) throw abortError(ctx.signal.reason);
          if (!isFailure(error)) throw thrown;
          last = error;
        }
      }
      throw coreErrors.NO_ENDPOINT_AVAILABLE({ group: name }, { cause: last });
    },
  };
  return close ? { ...endpoint, close } : endpoint;
}

function roundRobin(size: number): () => number {
  let next = 0;
  return () => {
    const chosen = next;
    next = (next + 1) % size;
    return chosen;
  };
}

/** nginx's smooth weighted round-robin: raise every member by its weight, take the highest, lower it by the total. */
function smoothWeighted(weights: readonly number[]): () => number {
  const current = weights.map(() => 0);
  const total = weights.reduce((sum, w) => sum + w, 0);
  return () => {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    return best;
  };
}
