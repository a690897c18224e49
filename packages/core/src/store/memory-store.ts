/**
 * The in-memory message store: a FIFO queue with leases, on the engine's clock (pass `engine.clock` so a
 * fake clock drives lease expiry and release delays). Nothing survives the process; use a persistent store
 * where "nothing acknowledged is ever lost" must hold across restarts.
 *
 * @module
 */
import { type Clock, systemClock } from '../clock.js';
import { storeErrors } from './errors.js';
import { copyJson } from './internal/copy-json.js';
import type { Lease, LeaseOptions, MessageStore, ReleaseOptions, StoredMessage } from './message-store.js';

export interface MemoryStoreOptions {
  /** Measures lease expiry and release delays. Default: the system clock. */
  readonly clock?: Clock;
  /** Default lease length. Default 30 000 ms. */
  readonly leaseMs?: number;
  /** Most messages held; enqueueing more fails with `MEDIARY_STORE_FULL`. Default: unbounded. */
  readonly maxSize?: number;
}

interface Slot {
  message: StoredMessage;
  token: string | undefined;
  leaseExpiresAt: number;
  visibleAt: number;
  removed: boolean;
}

const COMPACT_AFTER = 1024;

/** A FIFO store held in memory. Create it with {@link createMemoryStore}. */
export class MemoryMessageStore implements MessageStore {
  readonly name: string;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #maxSize: number;
  #queue: Slot[] = [];
  #head = 0;
  readonly #byId = new Map<string, Slot>();
  #leases = 0;
  #closed = false;

  constructor(name: string, options: MemoryStoreOptions = {}) {
    this.name = name;
    this.#clock = options.clock ?? systemClock;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  }

  async enqueue(message: StoredMessage): Promise<string> {
    this.#open();
    if (this.#byId.has(message.id)) throw storeErrors.DUPLICATE_ID({ store: this.name, id: message.id });
    if (this.#byId.size >= this.#maxSize) throw storeErrors.FULL({ store: this.name, limit: this.#maxSize });
    // Copied, so the caller can reuse its buffers and objects: a store holds values, not references.
    const slot: Slot = {
      message: {
        ...message,
        body: new Uint8Array(message.body),
        headers: { ...message.headers },
        vars: copyJson(message.vars),
      },
      token: undefined,
      leaseExpiresAt: 0,
      visibleAt: 0,
      removed: false,
    };
    this.#queue.push(slot);
    this.#byId.set(message.id, slot);
    return message.id;
  }

  async lease(options: LeaseOptions = {}): Promise<Lease | undefined> {
    this.#open();
    const now = this.#clock.now();
    const queue = this.#queue;
    for (let i = this.#head; i < queue.length; i++) {
      const slot = queue[i]!;
      if (slot.removed || slot.visibleAt > now) continue;
      if (slot.token !== undefined) {
        if (slot.leaseExpiresAt > now) continue;
        // The previous consumer never settled its lease: that delivery counts as failed.
        slot.message = { ...slot.message, attempts: slot.message.attempts + 1 };
      }
      slot.token = `${slot.message.id}#${++this.#leases}`;
      slot.leaseExpiresAt = now + (options.leaseMs ?? this.#leaseMs);
      return { token: slot.token, message: slot.message, expiresAt: slot.leaseExpiresAt };
    }
    return undefined;
  }

  async ack(lease: Lease): Promise<void> {
    this.#open();
    const slot = this.#current(lease);
    slot.removed = true;
    slot.token = undefined;
    this.#byId.delete(lease.message.id);
    this.#advance();
  }

  async release(lease: Lease, options: ReleaseOptions = {}): Promise<void> {
    this.#open();
    const slot = this.#current(lease);
    slot.token = undefined;
    slot.visibleAt = this.#clock.now() + (options.delayMs ?? 0);
    slot.message = options.error
      ? { ...slot.message, attempts: slot.message.attempts + 1, lastError: { ...options.error } }
      : { ...slot.message, attempts: slot.message.attempts + 1 };
  }

  async size(): Promise<number> {
    return this.#byId.size;
  }

  async browse(limit = 100): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for (let i = this.#head; i < this.#queue.length && out.length < limit; i++) {
      const slot = this.#queue[i]!;
      if (!slot.removed) out.push(slot.message);
    }
    return out;
  }

  async purge(): Promise<number> {
    const removed = this.#byId.size;
    for (const slot of this.#byId.values()) slot.removed = true;
    this.#byId.clear();
    this.#queue = [];
    this.#head = 0;
    return removed;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #current(lease: Lease): Slot {
    const slot = this.#byId.get(lease.message.id);
    if (!slot || slot.token !== lease.token) {
      throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id });
    }
    return slot;
  }

  #advance(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head]!.removed) this.#head++;
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > COMPACT_AFTER && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #open(): void {
    if (this.#closed) throw storeErrors.CLOSED({ store: this.name });
  }
}

/**
 * Creates an in-memory message store.
 *
 * @example
 * const orders = createMemoryStore('orders', { clock: engine.clock });
 * registerStore(engine, orders);
 */
export function createMemoryStore(name: string, options: MemoryStoreOptions = {}): MemoryMessageStore {
  return new MemoryMessageStore(name, options);
}
