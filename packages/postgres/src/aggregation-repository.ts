/**
 * An aggregation repository in a PostgreSQL table: an aggregator's open groups survive a restart, and
 * several Mediary processes can feed the same groups. Each entry is one row (ordered by a `bigserial`), so
 * adding to a group is one `INSERT` and never rewrites the entries already there.
 *
 * The aggregator serialises calls for one key within an engine; across processes, two `add` calls for one
 * key both land (neither overwrites the other) and each returns the group as its statement saw it.
 *
 * @module
 */
import type { AggregationEntry, AggregationGroup, AggregationRepository } from '@mediary/core';
import type { Pool } from 'pg';
import { postgresErrors } from './errors.js';
import {
  createTables,
  Database,
  type DatabaseOptions,
  identifier,
  once,
  type PostgresConnectionOptions,
  qualifiedName,
  toJson,
} from './internal/database.js';

const COMPONENT = 'aggregation repository';

/** Options of {@link postgresAggregationRepository}. */
export type PostgresAggregationRepositoryOptions = PostgresConnectionOptions &
  DatabaseOptions & {
    /** The table holding the entries. Default `mediary_aggregation`. */
    readonly table?: string;
    /** The table's schema. Default: the connection's search path. */
    readonly schema?: string;
    /**
     * Separates aggregators sharing the table: give each aggregator its own. Processes that should share
     * groups use the same name. Default `default`.
     */
    readonly name?: string;
    /** Whether the first operation creates the table when missing. Default true. */
    readonly ensureSchema?: boolean;
  };

/** Open groups in PostgreSQL. Create it with {@link postgresAggregationRepository}. */
export class PostgresAggregationRepository implements AggregationRepository {
  readonly name: string;
  readonly #db: Database;
  readonly #table: string;
  readonly #quotedSchema: string | undefined;
  readonly #ready: () => Promise<void>;

  constructor(options: PostgresAggregationRepositoryOptions) {
    this.name = options.name ?? 'default';
    if (typeof this.name !== 'string' || this.name === '') {
      throw postgresErrors.INVALID_OPTIONS({
        component: COMPONENT,
        reason: 'name must be a non-empty string',
      });
    }
    this.#table = qualifiedName(options.table ?? 'mediary_aggregation', options.schema, COMPONENT);
    this.#quotedSchema =
      options.schema === undefined ? undefined : identifier(options.schema, 'schema', COMPONENT);
    this.#db = new Database(options, { component: COMPONENT, name: this.name });
    const ensure = once(() => this.ensureSchema());
    this.#ready = options.ensureSchema === false ? async () => {} : ensure;
  }

  /** The pool the repository queries through. */
  get pool(): Pool {
    return this.#db.pool;
  }

  /** Creates the schema (when one was given) and the table when they do not exist. */
  async ensureSchema(): Promise<void> {
    await createTables(this.#db, this.#quotedSchema, [
      `CREATE TABLE IF NOT EXISTS ${this.#table} (
        seq bigserial NOT NULL,
        repository text NOT NULL,
        key text NOT NULL,
        entry json NOT NULL,
        PRIMARY KEY (repository, key, seq)
      )`,
    ]);
  }

  async add(key: string, entry: AggregationEntry): Promise<AggregationGroup> {
    await this.#ready();
    const json = toJson(entry, { component: COMPONENT, name: this.name }, `an entry of group ${key}`);
    // The inserted row is not visible to the SELECT of the same statement, hence the UNION with RETURNING.
    const result = await this.#db.query<{ entry: AggregationEntry }>(
      'add to a group',
      `WITH added AS (
         INSERT INTO ${this.#table} (repository, key, entry) VALUES ($1, $2, $3::json) RETURNING seq, entry)
       SELECT seq, entry FROM ${this.#table} WHERE repository = $1 AND key = $2
       UNION ALL SELECT seq, entry FROM added
       ORDER BY seq`,
      [this.name, key, json],
    );
    return toGroup(key, result.rows)!;
  }

  async get(key: string): Promise<AggregationGroup | undefined> {
    await this.#ready();
    const result = await this.#db.query<{ entry: AggregationEntry }>(
      'read a group',
      `SELECT entry FROM ${this.#table} WHERE repository = $1 AND key = $2 ORDER BY seq`,
      [this.name, key],
    );
    return toGroup(key, result.rows);
  }

  async remove(key: string): Promise<void> {
    await this.#ready();
    await this.#db.query('remove a group', `DELETE FROM ${this.#table} WHERE repository = $1 AND key = $2`, [
      this.name,
      key,
    ]);
  }

  /** Keys of every open group, oldest group first. */
  async keys(): Promise<string[]> {
    await this.#ready();
    const result = await this.#db.query<{ key: string }>(
      'list groups',
      `SELECT key FROM ${this.#table} WHERE repository = $1 GROUP BY key ORDER BY min(seq)`,
      [this.name],
    );
    return result.rows.map((row) => row.key);
  }

  /** Ends the pool when the repository opened it from a connection string. */
  async close(): Promise<void> {
    await this.#db.close();
  }
}

/**
 * Creates an aggregation repository in PostgreSQL, for aggregators whose open groups must outlive the
 * process or be shared by several processes.
 *
 * @example
 * aggregate({
 *   correlate: (ctx) => ctx.vars.orderId as string,
 *   complete: { size: 3 },
 *   repository: postgresAggregationRepository({ pool, name: 'order-lines' }),
 *   onComplete: [call('fulfilment')],
 * });
 */
export function postgresAggregationRepository(
  options: PostgresAggregationRepositoryOptions,
): PostgresAggregationRepository {
  return new PostgresAggregationRepository(options);
}

function toGroup(
  key: string,
  rows: ReadonlyArray<{ entry: AggregationEntry }>,
): AggregationGroup | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const entries = rows.map((row) => row.entry);
  return { key, entries, createdAt: first.entry.receivedAt, updatedAt: entries.at(-1)!.receivedAt };
}
