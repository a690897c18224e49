/**
 * Counts the deliveries of messages that failed, so a poison message stops after a bounded number of them.
 *
 * MQTT has no delivery counter. A broker that redelivers a QoS 1/2 message (after a reconnect, to the same
 * persistent session) sends it with the same packet identifier and the `dup` flag set. So a failure is
 * recorded under the message's topic, packet identifier and a digest of its payload; a later delivery
 * with `dup` set and the same key is the next attempt of that message. A delivery without `dup` is a new
 * message even when its packet identifier was used before (identifiers are reused once acknowledged).
 *
 * The count lives in this process: after a restart, a message gets up to `maxDeliveries` attempts again.
 * The table is bounded; the oldest entries go first.
 *
 * @module
 */
import { createHash } from 'node:crypto';

interface Entry {
  readonly digest: string;
  failures: number;
}

/** A delivery as far as counting is concerned. */
export interface DeliveryKey {
  readonly topic: string;
  readonly messageId: number | undefined;
  readonly dup: boolean;
  readonly payload: Uint8Array;
}

export class RedeliveryCounter {
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** Which delivery of its message this is: 1 for the first one this process sees. */
  deliveryOf(key: DeliveryKey): number {
    const id = idOf(key);
    if (id === undefined) return 1;
    const entry = this.#entries.get(id);
    if (!entry) return 1;
    if (!key.dup || entry.digest !== digestOf(key.payload)) {
      // A new message that reuses a packet identifier: the old record is stale.
      this.#entries.delete(id);
      return 1;
    }
    return entry.failures + 1;
  }

  /** Records that this delivery failed; returns how many deliveries of the message failed so far. */
  failed(key: DeliveryKey, delivery: number): number {
    const id = idOf(key);
    if (id === undefined) return delivery;
    this.#entries.delete(id);
    this.#entries.set(id, { digest: digestOf(key.payload), failures: delivery });
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return delivery;
  }

  /** Forgets a message that was acknowledged. */
  settled(key: DeliveryKey): void {
    const id = idOf(key);
    if (id !== undefined) this.#entries.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }
}

function idOf(key: DeliveryKey): string | undefined {
  return key.messageId === undefined ? undefined : `${key.messageId}\u0000${key.topic}`;
}

function digestOf(payload: Uint8Array): string {
  return createHash('sha1').update(payload).digest('base64');
}
