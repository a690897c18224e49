/**
 * An idempotent repository in a PostgreSQL table, shared by every process that uses the same table and
 * name. Recording a key is one atomic statement — `INSERT … ON CONFLICT DO UPDATE … WHERE expired` — so of
 * two processes recording the same key at once exactly one is told the message is new.
 *
 * The window is measured on the database server's clock (`now()`), which every process shares; a fake
 * engine clock does not move it. Expired rows are swept every `sweepEvery` additions, and by
 * {@link PostgresIdempotentRepository.deleteExpired}.
 *
 * @module
 */
import type { IdempotentRepository } from '@mediary/core';
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
} from './internal/database.js';

const COMPONENT = 'idempotent repository';

/** Options of {@link postgresIdempotentRepository}. */
export type PostgresIdempotentRepositoryOptions = PostgresConnectionOptions &
  DatabaseOptions & {
    /** The table holding the keys. Default `mediary_idempotent`. */
    readonly table?: string;
    /** The table's schema. Default: the connection's search path. */
    readonly schema?: string;
    /** Separates consumers sharing the table; processes that must agree use the same name. Default `default`. */
    readonly name?: string;
    /** Delete expired keys after this many additions (0 never). Default 1000. */
    readonly sweepEvery?: number;
    /** Whether the first operation creates the table when missing. Default true. */
    readonly ensureSchema?: boolean;
  };

/** Seen keys in PostgreSQL. Create it with {@link postgresIdempotentRepository}. */
export class PostgresIdempotentRepository implements IdempotentRepository {
  readonly name: string;
  readonly #db: Database;
  readonly #table: string;
  readonly #quotedSchema: string | undefined;
  readonly #ready: () => Promise<void>;
  readonly #sweepEvery: number;
  #additions = 0;

  constructor(options: PostgresIdempotentRepositoryOptions) {
    this.name = options.name ?? 'default';
    if (typeof this.name !== 'string' || this.name === '') {
      throw postgresErrors.INVALID_OPTIONS({
        component: COMPONENT,
        reason: 'name must be a non-empty string',
      });
    }
    this.#sweepEvery = options.sweepEvery ?? 1000;
    if (!Number.isInteger(this.#sweepEvery) || this.#sweepEvery < 0) {
      throw postgresErrors.INVALID_OPTIONS({
        component: COMPONENT,
        reason: `sweepEvery must be an integer ≥ 0, got ${options.sweepEvery}`,
      });
    }
    this.#table = qualifiedName(options.table ?? 'mediary_idempotent', options.schema, COMPONENT);
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
        repository text NOT NULL,
        key text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (repository, key)
      )`,
    ]);
  }

  async add(key: string, ttlMs: number): Promise<boolean> {
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw postgresErrors.INVALID_OPTIONS({
        component: COMPONENT,
        reason: `ttlMs must be a finite number > 0, got ${ttlMs}`,
      });
    }
    await this.#ready();
    // A conflicting row is taken over only when it expired; the row lock makes concurrent callers queue
    // behind each other, and the later one sees the fresh expiry and gets no row back.
    const result = await this.#db.query(
      'record a key',
      `INSERT INTO ${this.#table} AS r (repository, key, expires_at)
       VALUES ($1, $2, now() + $3::float8 * interval '1 millisecond')
       ON CONFLICT (repository, key) DO UPDATE SET expires_at = excluded.expires_at
         WHERE r.expires_at <= now()`,
      [this.name, key, ttlMs],
    );
    if (this.#sweepEvery > 0 && ++this.#additions % this.#sweepEvery === 0) await this.deleteExpired();
    return result.rowCount === 1;
  }

  async contains(key: string): Promise<boolean> {
    await this.#ready();
    const result = await this.#db.query(
      'look a key up',
      `SELECT 1 FROM ${this.#table} WHERE repository = $1 AND key = $2 AND expires_at > now()`,
      [this.name, key],
    );
    return result.rowCount === 1;
  }

  async remove(key: string): Promise<void> {
    await this.#ready();
    await this.#db.query('remove a key', `DELETE FROM ${this.#table} WHERE repository = $1 AND key = $2`, [
      this.name,
      key,
    ]);
  }

  /** Deletes this repository's expired keys; resolves to how many. */
  async deleteExpired(): Promise<number> {
    await this.#ready();
    const result = await this.#db.query(
      'delete expired keys',
      `DELETE FROM ${this.#table} WHERE repository = $1 AND expires_at <= now()`,
      [this.name],
    );
    return result.rowCount ?? 0;
  }

  /** Ends the pool when the repository opened it from a connection string. */
  async close(): Promise<void> {
    await this.#db.close();
  }
}

/**
 * Creates an idempotent repository in PostgreSQL, so several processes agree on which messages they saw.
 *
 * @example
 * idempotent({
 *   key: (ctx) => ctx.message.headers.get('x-message-id') ?? '',
 *   windowMs: 60 * 60 * 1000,
 *   repository: postgresIdempotentRepository({ pool, name: 'payments' }),
 *   steps: [call('payments')],
 * });
 */
export function postgresIdempotentRepository(
  options: PostgresIdempotentRepositoryOptions,
): PostgresIdempotentRepository {
  return new PostgresIdempotentRepository(options);
}
