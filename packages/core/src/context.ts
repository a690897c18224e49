/**
 * The message context (Camel's Exchange): everything one message's trip through a route needs, in ten
 * members. Mediators receive it; transports create it through the engine.
 *
 * @module
 */
import type { MediaryError } from './errors.js';
import type { Logger } from './logger.js';
import type { Message } from './message.js';
import type { Runtime } from './runtime.js';

/** Variables of one message (WSO2's properties). Routes may declare their shape for typed access. */
export type Vars = Record<string, unknown>;

/** What the inbound transport knows about the message. */
export interface TransportInfo {
  /** The transport's name: `http`, `amqp`, `timer`, `direct`… */
  readonly name: string;
  /** Path parameters from a URI template (`{category}` → `params.category`). */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; a repeated one is an array. */
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Anything else the transport offers (method, path, remote address, delivery tag…). */
  readonly props: Readonly<Record<string, unknown>>;
}

/** The context a mediator runs with. `V` types the variables a route declares. */
export interface MessageContext<V extends Vars = Vars> {
  /** The current message. Mediators that change the body set a new one on it or replace it. */
  message: Message;
  /** The message as it arrived (shares its body with `message` until one of them sets a new body). */
  readonly original: Message;
  /** Variables; a plain object without a prototype, so no key can reach `Object.prototype`. */
  readonly vars: V;
  readonly transport: TransportInfo;
  /** Correlates logs, events and outbound calls; taken from `x-correlation-id` when the caller sent one. */
  readonly correlationId: string;
  readonly routeId: string;
  /** Aborts on timeout, client disconnect and shutdown; pass it to every I/O call. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The error being handled, inside an error handler. */
  error: MediaryError | undefined;
  /** The engine's services: endpoints, sequences, clock, bus, limits. */
  readonly engine: Runtime;
}

/** Creates a variables object without a prototype. */
export function createVars<V extends Vars = Vars>(initial?: Partial<V>): V {
  const vars = Object.create(null) as V;
  if (initial) for (const [k, v] of Object.entries(initial)) (vars as Vars)[k] = v;
  return vars;
}

export const EMPTY_TRANSPORT: TransportInfo = Object.freeze({
  name: 'direct',
  params: Object.freeze({}),
  query: Object.freeze({}),
  props: Object.freeze({}),
});
