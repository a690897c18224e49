/**
 * Small helpers the wrappers share: endpoint references by name or value, close forwarding, and making a
 * request body safe to send more than once.
 */
import type { MessageContext } from '../../context.js';
import type { Endpoint } from '../../endpoint.js';
import type { Message } from '../../message.js';

/**
 * An endpoint, or the name it is registered under. Names are resolved on every call through
 * `ctx.engine.endpoint(name)`, so a test that mocks the name reaches the mock.
 */
export type EndpointRef = string | Endpoint;

export function resolveEndpoint(ref: EndpointRef, ctx: MessageContext): Endpoint {
  return typeof ref === 'string' ? ctx.engine.endpoint(ref) : ref;
}

export function refName(ref: EndpointRef): string {
  return typeof ref === 'string' ? ref : ref.name;
}

/** True for something that looks like an endpoint reference (used to check expression results). */
export function isEndpointRef(value: unknown): value is EndpointRef {
  return (
    typeof value === 'string' ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Endpoint).name === 'string' &&
      typeof (value as Endpoint).send === 'function')
  );
}

/** A wrapper endpoint: keeps the inner endpoint's name and forwards `close` to it. */
export function wrapped(inner: Endpoint, send: Endpoint['send']): Endpoint {
  const close = inner.close;
  return close ? { name: inner.name, send, close: () => close.call(inner) } : { name: inner.name, send };
}

/** `close` for a group endpoint: closes the endpoints it was given as values (named ones belong to the engine). */
export function closeAll(refs: readonly EndpointRef[]): (() => Promise<void>) | undefined {
  const owned = refs.filter((ref): ref is Endpoint => typeof ref !== 'string' && ref.close !== undefined);
  if (owned.length === 0) return undefined;
  return async () => {
    await Promise.all(owned.map((endpoint) => endpoint.close?.()));
  };
}

/**
 * Makes a request sendable more than once. An unread stream body can be consumed only once, so it is
 * collected into memory (bounded by `message.limits.maxBodyBytes`, else `MEDIARY_BODY_TOO_LARGE`); bodies
 * already in memory are left alone.
 */
export async function makeResendable(message: Message): Promise<void> {
  if (message.bodyState === 'stream') await message.bytes();
}

/** Calls `endpoint.send` so that a synchronous throw becomes a rejection. */
export async function invoke(endpoint: Endpoint, message: Message, ctx: MessageContext): Promise<Message> {
  return endpoint.send(message, ctx);
}
