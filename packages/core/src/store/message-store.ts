/**
 * Message stores (WSO2's message stores, a queue in Camel terms): durable-or-not FIFO queues a route
 * enqueues into and a processor leases from. A leased message is invisible to other consumers until it is
 * acknowledged (removed), released (visible again, one more attempt counted) or its lease expires.
 *
 * A stored message is plain data — bytes, strings and JSON — so a route's state (headers and variables)
 * survives any store: in memory, RabbitMQ, PostgreSQL or Redis.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createVars, type MessageContext, type Vars } from '../context.js';
import { createMessage, type Message, type MessageLimits } from '../message.js';
import { storeErrors } from './errors.js';
import { copyJson } from './internal/copy-json.js';

/** A message at rest. */
export interface StoredMessage {
  readonly id: string;
  readonly body: Uint8Array;
  readonly contentType?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The route's variables, JSON-serialisable. */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Failed deliveries so far (releases and expired leases). */
  readonly attempts: number;
  /** Engine-clock ms when it was first enqueued. */
  readonly enqueuedAt: number;
  /** Why the last delivery failed, when a consumer said. */
  readonly lastError?: { readonly code: string; readonly message: string };
}

/** A message handed to one consumer. */
export interface Lease {
  /** Identifies this lease; a later lease of the same message gets a new token. */
  readonly token: string;
  readonly message: StoredMessage;
  /** Store-clock ms after which the message is visible to others again. */
  readonly expiresAt: number;
}

export interface LeaseOptions {
  /** How long the message stays invisible to others. Default: the store's default (30 s in memory). */
  readonly leaseMs?: number;
}

export interface ReleaseOptions {
  /** Keep the message invisible this much longer before it can be leased again. Default 0. */
  readonly delayMs?: number;
  /** Why the delivery failed; kept as `lastError`. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** A FIFO message store. Implementations run the shared conformance suite (`describeMessageStore`). */
export interface MessageStore {
  readonly name: string;
  /** Adds a message at the tail; resolves to its id. */
  enqueue(message: StoredMessage): Promise<string>;
  /** The oldest visible message, now leased to the caller; `undefined` when none is visible. */
  lease(options?: LeaseOptions): Promise<Lease | undefined>;
  /** Removes a leased message. Fails with `MEDIARY_STORE_LEASE_LOST` when the lease is no longer current. */
  ack(lease: Lease): Promise<void>;
  /** Makes a leased message visible again at its place in the queue, counting one more attempt. */
  release(lease: Lease, options?: ReleaseOptions): Promise<void>;
  /** Messages held, leased ones included. */
  size(): Promise<number>;
  /** Up to `limit` messages in queue order, without leasing them. */
  browse(limit?: number): Promise<StoredMessage[]>;
  /** Removes every message; resolves to how many were removed. */
  purge(): Promise<number>;
  close?(): Promise<void>;
}

/**
 * Captures the current message and variables as a stored message (a new id, zero attempts). Variables
 * must be JSON-serialisable: functions and `undefined` values are left out, and anything that JSON cannot
 * represent (a cycle, a BigInt) fails with `MEDIARY_STORE_NOT_SERIALISABLE`.
 *
 * @example
 * const id = await store.enqueue(await toStoredMessage(ctx));
 */
export async function toStoredMessage(ctx: MessageContext): Promise<StoredMessage> {
  const headers = ctx.message.headers.toObject();
  delete headers['content-length'];
  const contentType = ctx.message.contentType;
  const stored = {
    id: randomUUID(),
    body: await ctx.message.bytes(),
    headers,
    vars: jsonVars(ctx.vars),
    attempts: 0,
    enqueuedAt: ctx.engine.clock.now(),
  };
  return contentType === undefined ? stored : { ...stored, contentType };
}

/**
 * Rebuilds a message and its variables from a stored message, to dispatch it.
 *
 * @example
 * const { message, vars } = fromStoredMessage(lease.message);
 * await engine.dispatch('orders', message, { vars });
 */
export function fromStoredMessage(
  stored: StoredMessage,
  limits?: MessageLimits,
): { message: Message; vars: Vars } {
  const message = createMessage({
    headers: stored.headers,
    body: stored.body,
    ...(limits ? { limits } : {}),
  });
  if (stored.contentType !== undefined) message.contentType = stored.contentType;
  return { message, vars: createVars(copyJson(stored.vars) as Vars) };
}

function jsonVars(vars: Vars): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    try {
      const text = JSON.stringify(value);
      if (text !== undefined) out[name] = JSON.parse(text);
    } catch (error) {
      throw storeErrors.NOT_SERIALISABLE({ name, reason: (error as Error).message }, { cause: error });
    }
  }
  return out;
}
