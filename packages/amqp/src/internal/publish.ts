/**
 * Publishing with publisher confirms: the promise resolves only once the broker has taken responsibility
 * for the message (written it to disk for a persistent message on a durable queue), and rejects when the
 * broker refuses it or the channel closes first — in which case the message may or may not have arrived,
 * so callers treat the failure as retryable (at-least-once).
 *
 * @module
 */
import { reasonOf } from '@mediary/core';
import type { ConfirmChannel, Options } from 'amqplib';
import { amqpErrors } from '../errors.js';

/** Where a message goes. */
export interface PublishTarget {
  readonly exchange: string;
  readonly routingKey: string;
}

/**
 * Publishes `content` and waits for the broker's confirm (or, on a channel without confirms, for the
 * socket to take the bytes).
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  target: PublishTarget,
  content: Buffer,
  options: Options.Publish,
  confirm = true,
): Promise<void> {
  const { exchange, routingKey } = target;
  const failed = (reason: string, cause: unknown) =>
    amqpErrors.PUBLISH_FAILED(
      { exchange: exchange || '(default)', routingKey, reason },
      { cause, details: { interrupted: isInterruption(cause) } },
    );
  return new Promise<void>((resolve, reject) => {
    try {
      if (!confirm) {
        // Without confirms the only back-pressure is the socket: wait for it to drain when it is full.
        if (channel.publish(exchange, routingKey, content, options)) {
          resolve();
          return;
        }
        const onDrain = () => {
          channel.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          channel.off('drain', onDrain);
          reject(failed('the channel closed', undefined));
        };
        channel.once('drain', onDrain);
        channel.once('close', onClose);
        return;
      }
      channel.publish(exchange, routingKey, content, options, (error: unknown) => {
        if (error) reject(failed(reasonOf(error), error));
        else resolve();
      });
    } catch (error) {
      // amqplib throws synchronously when the channel is already closed.
      reject(failed(reasonOf(error), error));
    }
  });
}

/**
 * True when a publish failed because its channel or connection went away (the broker may or may not have
 * the message), as opposed to the broker refusing it (`basic.nack`) or closing the channel over it (a
 * missing exchange).
 */
export function isInterruption(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'IllegalOperationError' || /^channel closed$/i.test(error.message);
}

/** True for a `MEDIARY_AMQP_PUBLISH_FAILED` that {@link isInterruption} caused. */
export function wasInterrupted(error: unknown): boolean {
  return (error as { details?: { interrupted?: unknown } })?.details?.interrupted === true;
}
