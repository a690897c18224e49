/**
 * Failover: a group endpoint that tries its members in order and answers with the first that succeeds.
 *
 * A member's failure moves on to the next member only when it is the kind of failure another backend might
 * not have: by default an error marked `retryable` (timeout, unreachable, suspended). Any other error — a
 * `400`, a bug — is the answer and is thrown at once. A member guarded by a {@link circuitBreaker} that is
 * suspended fails fast with a retryable error, so it is skipped without a wait, as WSO2 skips suspended
 * endpoints. Like retry, failover buffers an unread stream body before the first try, so the next member
 * can be sent the same request.
 *
 * @module
 */
import type { Endpoint } from '../endpoint.js';
import { coreErrors, type MediaryError, toMediaryError } from '../errors.js';
import {
  closeAll,
  type EndpointRef,
  makeResendable,
  refName,
  resolveEndpoint,
} from './internal/endpoints.js';
import { invalid } from './internal/options.js';
import { abortError } from './internal/signals.js';

export interface FailoverOptions {
  /** The group's name (events, errors, registration). Default `failover(a,b,…)`. */
  readonly name?: string;
  /** Which errors move on to the next member. Default: `error.retryable`. */
  readonly isFailure?: (error: MediaryError) => boolean;
}

/**
 * An endpoint that sends to the first member that answers; when every member failed it throws
 * `MEDIARY_NO_ENDPOINT_AVAILABLE` (503, retryable) with the last member's error as `cause`. Members are
 * endpoints or names of registered endpoints (resolved per call, so tests can mock them by name).
 *
 * @example
 * engine.addEndpoint(failover(['hospital-primary', 'hospital-backup'], { name: 'hospital' }));
 */
export function failover(endpoints: readonly EndpointRef[], options: FailoverOptions = {}): Endpoint {
  if (endpoints.length === 0) throw invalid('failover', 'at least one endpoint is needed');
  const members = [...endpoints];
  const name = options.name ?? `failover(${members.map(refName).join(',')})`;
  const isFailure = options.isFailure ?? ((error: MediaryError) => error.retryable);
  const close = closeAll(members);
  const endpoint: Endpoint = {
    name,
    async send(message, ctx) {
      if (members.length > 1) await makeResendable(message);
      let last: MediaryError | undefined;
      for (const member of members) {
        try {
          return await resolveEndpoint(member, ctx).send(message, ctx);
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
