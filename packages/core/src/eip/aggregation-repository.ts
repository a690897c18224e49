/**
 * Where an aggregator keeps its open groups. The in-memory repository is the default; a persistent one
 * (PostgreSQL, Redis) implements the same four methods, and everything it is given is JSON-serialisable,
 * so open groups can survive a restart.
 *
 * @module
 */

/** One message in a group: its body value (JSON, text, or `null` for an empty body), headers and variables. */
export interface AggregationEntry {
  readonly value: unknown;
  readonly contentType?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A shallow copy of the message's variables; persistent repositories need them JSON-serialisable. */
  readonly vars: Readonly<Record<string, unknown>>;
  readonly correlationId: string;
  /** Engine-clock time the message joined the group. */
  readonly receivedAt: number;
}

/** An open group. */
export interface AggregationGroup {
  readonly key: string;
  /** In arrival order. Treat as read-only. */
  readonly entries: readonly AggregationEntry[];
  /** When the first and the latest entry arrived (engine-clock ms). */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Storage for open groups. Calls for one key are never concurrent (the aggregator serialises them), so an
 * implementation needs no locking of its own within one engine.
 */
export interface AggregationRepository {
  /** Appends an entry to the group `key` (creating it) and returns the group as it is now. */
  add(key: string, entry: AggregationEntry): Promise<AggregationGroup>;
  get(key: string): Promise<AggregationGroup | undefined>;
  remove(key: string): Promise<void>;
  /** Keys of every open group. */
  keys(): Promise<string[]>;
}

interface MutableGroup {
  readonly key: string;
  readonly entries: AggregationEntry[];
  readonly createdAt: number;
  updatedAt: number;
}

/**
 * An in-memory repository (the default: each engine gets its own).
 *
 * @example
 * aggregate({ correlate: (ctx) => ctx.vars.orderId, complete: { size: 3 }, repository: createMemoryAggregationRepository(), onComplete: [...] })
 */
export function createMemoryAggregationRepository(): AggregationRepository {
  const groups = new Map<string, MutableGroup>();
  return {
    async add(key, entry) {
      let group = groups.get(key);
      if (!group) {
        group = { key, entries: [], createdAt: entry.receivedAt, updatedAt: entry.receivedAt };
        groups.set(key, group);
      }
      group.entries.push(entry);
      group.updatedAt = entry.receivedAt;
      return group;
    },
    async get(key) {
      return groups.get(key);
    },
    async remove(key) {
      groups.delete(key);
    },
    async keys() {
      return [...groups.keys()];
    },
  };
}
