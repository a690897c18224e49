/**
 * Between AMQP and Mediary messages. AMQP's basic properties become headers under their usual names
 * (`message-id`, `correlation-id`, `reply-to`, `timestamp`, `type`, `app-id`, `priority`, `expiration`,
 * `user-id`, `content-encoding`, `content-type`) and custom AMQP headers become headers as strings; on the
 * way out the same names become properties again and every other header goes into the AMQP header table.
 *
 * @module
 */
import { createMessage, type Headers, type Message, type MessageLimits } from '@mediary/core';
import type { Options, MessageProperties as Properties } from 'amqplib';

/** Header name ↔ AMQP basic property. `content-type` is the message's content type. */
const PROPERTY_HEADERS = [
  ['message-id', 'messageId'],
  ['correlation-id', 'correlationId'],
  ['reply-to', 'replyTo'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['app-id', 'appId'],
  ['priority', 'priority'],
  ['expiration', 'expiration'],
  ['user-id', 'userId'],
  ['content-encoding', 'contentEncoding'],
] as const;

const PROPERTY_BY_HEADER: ReadonlyMap<string, string> = new Map(PROPERTY_HEADERS);

/**
 * Published only when `include` names them: RabbitMQ closes the channel when `user-id` is not the
 * connection's own user, which a header copied from an inbound message usually is not.
 */
const PUBLISHED_ONLY_WHEN_INCLUDED = new Set(['user-id']);

/** Headers this package writes to carry its own state; never shown to routes, never copied out. */
export const CONTROL_PREFIX = 'x-mediary-';

/**
 * Headers never copied into an AMQP message: HTTP hop-by-hop headers, the body length (AMQP frames carry
 * it), and what the broker sets itself (a copied `x-delivery-count` would fake a redelivery count).
 */
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
  'x-delivery-count',
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

/** Which message headers go into the AMQP header table. */
export interface HeaderMapping {
  /** Only these headers (case-insensitive). Default: every header. */
  readonly include?: readonly string[];
  /** Never these headers (case-insensitive), on top of the hop-by-hop ones that never go. */
  readonly exclude?: readonly string[];
}

/** A received AMQP message, as amqplib hands it over. */
export interface AmqpDelivery {
  readonly content: Buffer;
  readonly properties: Properties;
}

/** The message a delivery becomes: its body bytes (never parsed here) and its headers. */
export function toMessage(delivery: AmqpDelivery, limits?: MessageLimits): Message {
  const message = createMessage({
    body: new Uint8Array(delivery.content.buffer, delivery.content.byteOffset, delivery.content.byteLength),
    headers: toHeaderRecord(delivery.properties),
    ...(limits ? { limits } : {}),
  });
  const contentType = delivery.properties.contentType;
  if (typeof contentType === 'string' && contentType !== '') message.contentType = contentType;
  return message;
}

/** The properties and custom headers of a delivery as header name → string. */
export function toHeaderRecord(properties: Properties): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower.startsWith(CONTROL_PREFIX)) continue;
    const text = headerText(value);
    if (text !== undefined) headers[lower] = text;
  }
  for (const [header, property] of PROPERTY_HEADERS) {
    const value = (properties as unknown as Record<string, unknown>)[property];
    if (value !== undefined && value !== null && value !== '') headers[header] = String(value);
  }
  return headers;
}

/** What {@link toPublishOptions} needs besides the message. */
export interface PublishMapping {
  readonly persistent: boolean;
  readonly mandatory?: boolean;
  readonly headers?: HeaderMapping;
}

/** The AMQP properties and header table a message is published with. */
export function toPublishOptions(message: Message, mapping: PublishMapping): Options.Publish {
  const options: Record<string, unknown> = { persistent: mapping.persistent };
  if (mapping.mandatory) options.mandatory = true;
  const contentType = message.contentType;
  if (contentType !== undefined) options.contentType = contentType;
  const table: Record<string, string> = {};
  const include = mapping.headers?.include?.map((h) => h.toLowerCase());
  const exclude = new Set(mapping.headers?.exclude?.map((h) => h.toLowerCase()));
  for (const [name, value] of message.headers) {
    if (name === 'content-type' || NEVER_PUBLISHED.has(name) || name.startsWith(CONTROL_PREFIX)) continue;
    if (exclude.has(name) || (include ? !include.includes(name) : PUBLISHED_ONLY_WHEN_INCLUDED.has(name)))
      continue;
    const property = PROPERTY_BY_HEADER.get(name);
    if (property === undefined) {
      table[name] = value;
      continue;
    }
    const typed = propertyValue(property, value);
    if (typed !== undefined) options[property] = typed;
  }
  if (Object.keys(table).length > 0) options.headers = table;
  return options as Options.Publish;
}

/** Copies the headers of `from` into `to` (used for replies). */
export function copyHeaders(from: Headers, to: Headers): void {
  for (const [name, value] of from) to.set(name, value);
}

function propertyValue(property: string, value: string): string | number | undefined {
  if (property === 'priority' || property === 'timestamp') {
    const n = Number(value);
    // A header that is not a number cannot become the numeric property; it is dropped rather than sent wrong.
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  }
  return value;
}

/** AMQP field values (strings, numbers, booleans, byte arrays, tables, arrays) as header text. */
function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint'
      ? String(v)
      : v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString('utf8')
        : v,
  );
}
