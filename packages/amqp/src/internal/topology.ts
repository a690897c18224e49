/**
 * Declaring what a source or store consumes from: the queue, optionally an exchange with bindings, and
 * optionally a dead-letter exchange and queue that failed messages go to. Declarations are idempotent, so
 * they run again after every reconnect (a restarted broker may have lost non-durable topology).
 *
 * @module
 */
import type { Channel, Options } from 'amqplib';

/** An exchange to declare. */
export interface ExchangeDeclaration {
  readonly name: string;
  readonly type: 'direct' | 'topic' | 'fanout' | 'headers';
  /** Default `{ durable: true }`. */
  readonly options?: Options.AssertExchange;
}

/** A binding of the queue to the declared exchange: a routing pattern, or header values to match. */
export type BindingDeclaration =
  | { readonly pattern: string }
  | { readonly headers: Readonly<Record<string, unknown>>; readonly match?: 'all' | 'any' };

/** What to declare for a queue. */
export interface QueueDeclaration {
  /** Queue options (amqplib's `assertQueue` options). Default `{ durable: true }`. */
  readonly queue?: Options.AssertQueue;
  /** An exchange to declare and bind the queue to. */
  readonly exchange?: ExchangeDeclaration;
  /**
   * Bindings to `exchange`. Default one binding: the queue's name for `direct`, `#` for `topic`, and an
   * empty pattern for `fanout` and `headers` (which then matches every message).
   */
  readonly bindings?: readonly BindingDeclaration[];
  /**
   * A dead-letter exchange (fanout) and queue to declare and bind; the queue gets them as its
   * `x-dead-letter-exchange`, so messages nacked without requeue land in that queue.
   */
  readonly deadLetter?: { readonly exchange: string; readonly queue: string };
}

/** Declares `queue` and what `declaration` asks for, on `channel`. */
export async function declareQueue(
  channel: Channel,
  queue: string,
  declaration: QueueDeclaration,
): Promise<void> {
  const { deadLetter, exchange } = declaration;
  if (deadLetter) {
    await channel.assertExchange(deadLetter.exchange, 'fanout', { durable: true });
    await channel.assertQueue(deadLetter.queue, { durable: true });
    await channel.bindQueue(deadLetter.queue, deadLetter.exchange, '');
  }
  await channel.assertQueue(queue, {
    durable: true,
    ...(deadLetter ? { deadLetterExchange: deadLetter.exchange } : {}),
    ...declaration.queue,
  });
  if (!exchange) return;
  await channel.assertExchange(exchange.name, exchange.type, { durable: true, ...exchange.options });
  const bindings = declaration.bindings ?? [{ pattern: defaultPattern(exchange.type, queue) }];
  for (const binding of bindings) {
    if ('pattern' in binding) {
      await channel.bindQueue(queue, exchange.name, binding.pattern);
    } else {
      await channel.bindQueue(queue, exchange.name, '', {
        ...binding.headers,
        'x-match': binding.match ?? 'all',
      });
    }
  }
}

function defaultPattern(type: ExchangeDeclaration['type'], queue: string): string {
  switch (type) {
    case 'direct':
      return queue;
    case 'topic':
      return '#';
    case 'fanout':
    case 'headers':
      return '';
  }
}
