/**
 * NATS messages ↔ Mediary messages. NATS headers (names kept as sent, values lists) become message
 * headers (names lower-cased, a repeated header's values joined with `, `); `content-type` is the
 * message's content type. NATS's own headers (`Nats-…`: status, stream, expectations) are not copied out:
 * they steer the server.
 *
 * @module
 */
import { createMessage, type Message, type MessageLimits } from '@mediary/core';
import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';

/** Headers never copied into a NATS message: HTTP hop-by-hop headers and the body length. */
const NEVER_PUBLISHED = new Set([
  'content-length',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'expect',
]);

/** Which message headers go out as NATS headers. */
export interface HeaderMapping {
  /** Only these headers (case-insensitive). Default: every header. */
  readonly include?: readonly string[];
  /** Never these headers (case-insensitive), on top of the hop-by-hop ones that never go. */
  readonly exclude?: readonly string[];
}

/** What a NATS message (core or JetStream) offers. */
export interface NatsPayload {
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs | undefined;
}

/** The message a NATS message becomes: its payload bytes (never parsed here) and its headers. */
export function toMessage(msg: NatsPayload, limits?: MessageLimits): Message {
  const headers: Record<string, string> = {};
  if (msg.headers) {
    for (const [name, values] of msg.headers) {
      const lower = name.toLowerCase();
      if (lower.startsWith('nats-')) continue;
      headers[lower] = values.join(', ');
    }
  }
  return createMessage({ body: msg.data, headers, ...(limits ? { limits } : {}) });
}

/** The NATS headers a message is published with, or `undefined` when it has none to send. */
export function toHeaders(message: Message, mapping: HeaderMapping = {}): MsgHdrs | undefined {
  const include = mapping.include?.map((h) => h.toLowerCase());
  const exclude = new Set(mapping.exclude?.map((h) => h.toLowerCase()));
  let out: MsgHdrs | undefined;
  for (const [name, value] of message.headers) {
    if (NEVER_PUBLISHED.has(name) || name.startsWith('nats-') || exclude.has(name)) continue;
    if (include && !include.includes(name)) continue;
    out ??= natsHeaders();
    out.set(name, value);
  }
  return out;
}

/** The payload of a message as NATS wants it. */
export async function payloadOf(message: Message): Promise<Uint8Array> {
  return message.bytes();
}
