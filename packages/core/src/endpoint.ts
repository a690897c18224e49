/**
 * Endpoints: where messages go. An endpoint sends a message and resolves with the reply. Resilience
 * (timeouts, retries, circuit breakers, failover) is added by wrapping, the way undici composes
 * interceptors: `wrapEndpoint(http, timeout(…), retry(…), circuitBreaker(…))`.
 *
 * @module
 */
import type { MessageContext } from './context.js';
import { createMessage, Message, type MessageInit } from './message.js';

export interface Endpoint {
  /** The name the engine registers it under; mocks replace endpoints by this name. */
  readonly name: string;
  /** Sends `message`; resolves with the reply. Must honour `ctx.signal`. */
  send(message: Message, ctx: MessageContext): Promise<Message>;
  /** Releases connections (called by the engine on stop). */
  close?(): Promise<void>;
}

/** A decorator that adds behaviour around an endpoint and keeps its name. */
export type EndpointWrapper = (endpoint: Endpoint) => Endpoint;

/** What a function endpoint may return: a message, message init, or a plain value sent back as JSON. */
export type EndpointReply = Message | MessageInit | undefined;

/**
 * An endpoint backed by a function: for in-process services and tests.
 *
 * @example
 * const echo = functionEndpoint('echo', async (message) => message);
 * const fixed = functionEndpoint('fees', () => ({ json: { fee: 7000 } }));
 */
export function functionEndpoint(
  name: string,
  handler: (message: Message, ctx: MessageContext) => EndpointReply | Promise<EndpointReply>,
): Endpoint {
  return {
    name,
    async send(message, ctx) {
      const reply = await handler(message, ctx);
      if (reply instanceof Message) return reply;
      return createMessage(reply ?? {});
    },
  };
}

/**
 * Applies wrappers to an endpoint; the first wrapper is the outermost.
 *
 * @example
 * const hospital = wrapEndpoint(httpEndpoint({ name: 'hospital', url }), timeout(5000), retry({ maxAttempts: 3 }));
 */
export function wrapEndpoint(endpoint: Endpoint, ...wrappers: EndpointWrapper[]): Endpoint {
  return wrappers.reduceRight((inner, wrap) => wrap(inner), endpoint);
}
