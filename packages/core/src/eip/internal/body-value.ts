/**
 * The value of a message body for collecting (split results, aggregation groups, multicast replies): JSON
 * and form bodies as their parsed value, other bodies as text, an empty body as `null`.
 *
 * @module
 */
import { bodyKind } from '../../content-type.js';
import type { Message } from '../../message.js';

export async function bodyValue(message: Message): Promise<unknown> {
  if (message.isEmpty) return null;
  const kind = bodyKind(message.contentType);
  if (kind === 'json' || kind === 'form') return message.json();
  return message.text();
}
