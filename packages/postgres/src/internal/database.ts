/**
 * The one place that talks to `pg`: acquires a pooled connection (waiting out a database restart), runs a
 * statement or a transaction, gives broken connections back for destruction, and turns driver errors into
 * catalog errors. Stores and repositories only write SQL.
 *
 * @module
 */
import { type Clock, isMediaryError, type MediaryError, sleep, systemClock } from '@mediary/core';
import pg, { type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { postgresErrors } from '../errors.js';

/** Either a pool the caller owns (and ends), or a connection string the component opens a pool for. */
export type PostgresConnectionOptions =
  | { readonly pool: Pool; readonly connectionString?: undefined }
  | { readonly connectionString: string; readonly pool?: undefined };

/** Options every PostgreSQL component takes besides its connection. */
export interface DatabaseOptions {
  /** Measures the wait for a connection. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * How long an operation keeps trying to get a connection while the database is unreachable (restarting,
   * failing over) before it fails with `MEDIARY_POSTGRES_UNAVAILABLE`. Default 10 000 ms.
   */
  readonly connectTimeoutMs?: number;
}

/** Who is asking, for error messages. */
export interface Subject {
  readonly component: string;
  readonly name: string;
}

// SQLSTATE classes and codes that mean "the connection, not the statement, failed": connection exceptions,
// operator intervention (admin/crash shutdown, cannot connect now) and too many connections.
const CONNECTION_SQLSTATE = /^(08|57P0[1-3]|53300)/;
const CONNECTION_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// pg reports some socket failures without a code.
const CONNECTION_MESSAGE = /connection terminated|not queryable|timeout exceeded when trying to connect/i;

/** True when `error` says the connection broke, so trying again on a new connection may succeed. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (CONNECTION_SQLSTATE.test(code) || CONNECTION_ERRNO.has(code))) return true;
  return error instanceof Error && CONNECTION_MESSAGE.test(error.message);
}

/** A pool plus the error handling every component shares. */
export class Database {
  readonly pool: Pool;
  readonly #owned: boolean;
  readonly #clock: Clock;
  readonly #connectTimeoutMs: number;
  readonly #subject: Subject;
  #closed = false;

  constructor(options: PostgresConnectionOptions & DatabaseOptions, subject: Subject) {
    this.#subject = subject;
    this.#clock = options.clock ?? systemClock;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    if (!(this.#connectTimeoutMs >= 0)) {
      throw postgresErrors.INVALID_OPTIONS({
        component: subject.component,
        reason: `connectTimeoutMs must be a number ≥ 0, got ${options.connectTimeoutMs}`,
      });
    }
    if (options.pool && options.connectionString === undefined) {
      this.pool = options.pool;
      this.#owned = false;
    } else if (typeof options.connectionString === 'string' && !options.pool) {
      this.pool = new pg.Pool({ connectionString: options.connectionString });
      // An idle client whose server went away emits 'error' on the pool, and an unhandled 'error' event
      // would end the process. The pool has already dropped that client; the next query opens a new one.
      this.pool.on('error', () => {});
      // A new connection is handed out in the middle of reading the server's bytes; a "terminating
      // connection" right behind them would find no listener yet. Every client of ours gets one at birth.
      this.pool.on('connect', (client) => client.on('error', () => {}));
      this.#owned = true;
    } else {
      throw postgresErrors.INVALID_OPTIONS({
        component: subject.component,
        reason: 'give exactly one of pool and connectionString',
      });
    }
  }

  /** Runs one statement (its own transaction). */
  query<R extends QueryResultRow>(
    operation: string,
    text: string,
    values: readonly unknown[] = [],
  ): Promise<QueryResult<R>> {
    return this.#use(operation, (client) => client.query<R>(text, values as unknown[]));
  }

  /** Runs `work` inside BEGIN … COMMIT on one connection; rolls back when it throws. */
  transaction<T>(operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#use(operation, async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A failed ROLLBACK means a broken connection, which pg marks unusable and the pool then drops.
        if (!isConnectionError(error)) await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends the pool when this component opened it; a pool passed in stays the caller's to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.pool.end();
  }

  /**
   * Checks a connection out for `work` and gives it back, destroyed when it broke. While checked out, a
   * client has no error listener of the pool's, and the server's "terminating connection" can arrive right
   * behind a query's last reply; without a listener of ours that error would end the process.
   */
  async #use<T>(operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect(operation);
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      if (isConnectionError(error)) broken ??= error as Error;
      throw this.#wrap(operation, error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async #connect(operation: string): Promise<PoolClient> {
    if (this.#closed) throw postgresErrors.CLOSED({ ...this.#subject });
    const deadline = this.#clock.now() + this.#connectTimeoutMs;
    let delay = 50;
    for (;;) {
      try {
        return await this.pool.connect();
      } catch (error) {
        // Waiting is only safe here: nothing was sent yet, so a retry cannot run a statement twice.
        const left = deadline - this.#clock.now();
        if (!isConnectionError(error) || left <= 0) throw this.#wrap(operation, error);
        await sleep(this.#clock, Math.min(delay, left));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  #wrap(operation: string, error: unknown): MediaryError {
    if (isMediaryError(error)) return error;
    const reason = error instanceof Error ? error.message : String(error);
    const params = { ...this.#subject, operation, reason };
    return isConnectionError(error)
      ? postgresErrors.UNAVAILABLE(params, { cause: error })
      : postgresErrors.QUERY_FAILED(params, { cause: error });
  }
}

/** Quotes an identifier after checking it fits PostgreSQL's 63-byte limit (longer names are truncated). */
export function identifier(value: unknown, what: string, component: string): string {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 63) {
    throw postgresErrors.INVALID_OPTIONS({
      component,
      reason: `${what} must be a non-empty identifier of at most 63 bytes, got ${JSON.stringify(value)}`,
    });
  }
  return pg.escapeIdentifier(value);
}

/** `"schema"."table"`, or `"table"` (found through the search path) when no schema is given. */
export function qualifiedName(table: unknown, schema: unknown, component: string): string {
  const quoted = identifier(table, 'table', component);
  return schema === undefined ? quoted : `${identifier(schema, 'schema', component)}.${quoted}`;
}

/** Serialises to JSON text for a `json` column, with a catalog error when the value cannot be. */
export function toJson(value: unknown, subject: Subject, what: string): string {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('the value has no JSON form');
    return text;
  } catch (error) {
    throw postgresErrors.NOT_SERIALISABLE(
      { ...subject, what, reason: (error as Error).message },
      { cause: error },
    );
  }
}

/**
 * Creates tables under a transaction-scoped advisory lock, so two processes starting together do not race
 * on `CREATE TABLE IF NOT EXISTS` (which can fail with a unique violation on the catalog).
 */
export async function createTables(
  db: Database,
  quotedSchema: string | undefined,
  statements: readonly string[],
): Promise<void> {
  await db.transaction('create its table', async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('mediary:schema'))`);
    if (quotedSchema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    for (const statement of statements) await client.query(statement);
  });
}

/** Memoises an async setup step; a failed attempt is forgotten so the next call tries again. */
export function once(step: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= step().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
