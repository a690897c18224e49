/**
 * Where a pattern sends something: a list of steps, a mediator (such as a named `sequence('x')`), or an
 * endpoint by name (looked up per message, so tests can mock it).
 *
 * @module
 */
import type { MessageContext } from '../../context.js';
import type { Endpoint } from '../../endpoint.js';
import { defineMediator, type Mediator, type Step } from '../../mediator.js';
import { sequence } from '../../sequence.js';
import type { Target } from '../target.js';

/** Steps or a mediator as one mediator. */
export function toSteps(steps: readonly Step[] | Mediator, name: string): Mediator {
  return isStepList(steps) ? sequence(steps as readonly Step[], { name }) : (steps as Mediator);
}

/** A mediator that sends the current message to an endpoint; the reply becomes the current message. */
export function endpointStep(endpoint: string | Endpoint, name: string): Mediator {
  return defineMediator(name, async (ctx: MessageContext) => {
    const target = typeof endpoint === 'string' ? ctx.engine.endpoint(endpoint) : endpoint;
    ctx.message = await target.send(ctx.message, ctx);
  });
}

/** A target as a mediator: strings and endpoint objects are endpoints, lists are steps. */
export function toTarget(target: Target, name: string): Mediator {
  if (typeof target === 'string') return endpointStep(target, name);
  if (isEndpoint(target)) return endpointStep(target, name);
  return toSteps(target, name);
}

function isStepList(value: unknown): boolean {
  return Array.isArray(value);
}

function isEndpoint(value: unknown): value is Endpoint {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Endpoint).send === 'function' &&
    typeof (value as Mediator).run !== 'function'
  );
}
