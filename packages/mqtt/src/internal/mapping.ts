/**
 * MQTT packets ↔ Mediary messages.
 *
 * MQTT 5 carries metadata in properties: user properties become headers (a repeated property's values are
 * joined with `, `), `contentType` is the message's content type, `correlationData` the `correlation-id`
 * header (UTF-8) and `responseTopic` the `reply-to` header — the same header names the AMQP transport
 * uses, so a message bridged from one broker to the other keeps its metadata. MQTT 3.1.1 has no
 * properties: its messages arrive with no headers and leave without them.
 *
 * @module
 */
import { createMessage, type Message, type MessageLimits } from '@mediary/core';
import type { IPublishPacket } from 'mqtt';

/** Headers that map to MQTT 5 publish properties rather than user properties. */
export const CORRELATION_HEADER = 'correlation-id';
export const REPLY_TO_HEADER = 'reply-to';

/** Headers never copied into user properties: HTTP hop-by-hop ones and what properties carry. */
const NEVER_PUBLISHED = new Set([
  'content-type',
  'content-length',
  CORRELATION_HEADER,
  REPLY_TO_HEADER,
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

/** Which message headers become MQTT 5 user properties. */
export interface HeaderMapping {
  /** Only these headers (case-insensitive). Default: every header. */
  readonly include?: readonly string[];
  /** Never these headers (case-insensitive), on top of the hop-by-hop ones that never go. */
  readonly exclude?: readonly string[];
}

/** The message a received publish becomes: its payload bytes (never parsed here) and its headers. */
export function toMessage(packet: IPublishPacket, limits?: MessageLimits): Message {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const headers: Record<string, string> = {};
  const props = packet.properties;
  for (const [name, value] of Object.entries(props?.userProperties ?? {})) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  if (props?.correlationData !== undefined)
    headers[CORRELATION_HEADER] = props.correlationData.toString('utf8');
  if (props?.responseTopic !== undefined) headers[REPLY_TO_HEADER] = props.responseTopic;
  const message = createMessage({
    body: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
    headers,
    ...(limits ? { limits } : {}),
  });
  if (props?.contentType) message.contentType = props.contentType;
  return message;
}

/** The MQTT 5 publish properties a message is sent with (MQTT 3.1.1 connections ignore them). */
export function toPublishProperties(
  message: Message,
  mapping: HeaderMapping = {},
): IPublishPacket['properties'] {
  const properties: NonNullable<IPublishPacket['properties']> = {};
  const contentType = message.contentType;
  if (contentType !== undefined) properties.contentType = contentType;
  const correlation = message.headers.get(CORRELATION_HEADER);
  if (correlation !== undefined) properties.correlationData = Buffer.from(correlation, 'utf8');
  const replyTo = message.headers.get(REPLY_TO_HEADER);
  if (replyTo !== undefined) properties.responseTopic = replyTo;
  const include = mapping.include?.map((h) => h.toLowerCase());
  const exclude = new Set(mapping.exclude?.map((h) => h.toLowerCase()));
  const user: Record<string, string> = {};
  let any = false;
  for (const [name, value] of message.headers) {
    if (NEVER_PUBLISHED.has(name) || exclude.has(name) || (include && !include.includes(name))) continue;
    user[name] = value;
    any = true;
  }
  if (any) properties.userProperties = user;
  return properties;
}

/** The payload bytes of a message as the MQTT client wants them. */
export async function payloadOf(message: Message): Promise<Buffer> {
  const bytes = await message.bytes();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
