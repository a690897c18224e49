/**
 * A persistent message store in a PostgreSQL table. `enqueue` resolves once the row is committed, so an
 * accepted message survives a `kill -9` of the process (and, with PostgreSQL's default
 * `synchronous_commit = on`, a crash of the server).
 *
 * How the store operations map onto SQL (one table can hold many queues; a store is one `queue` value):
 * - **enqueue**: `INSERT … ON CONFLICT (queue, id) DO NOTHING`; a conflict is `MEDIARY_STORE_DUPLICATE_ID`.
 *   Rows are ordered by a `bigserial` sequence number, so the queue is FIFO across processes.
 * - **lease**: one `UPDATE … WHERE seq = (SELECT seq … ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
 *   RETURNING …` that stamps a fresh lease token and `leased_until`. `SKIP LOCKED` makes concurrent
 *   leases (in this process or others) pass over a row another transaction is taking, so no message is
 *   handed out twice at once. A row whose lease ran out is visible again; re-leasing it counts an attempt.
 * - **ack**: `DELETE … WHERE id AND lease_token`; nothing deleted means the lease was lost.
 * - **release**: clears the lease, counts an attempt, keeps the row's sequence number (so it is delivered
 *   first again) and sets `visible_at = now() + delay`.
 * - **size / browse / purge**: `count(*)`, `SELECT … ORDER BY seq LIMIT`, `DELETE` of the queue's rows.
 *
 * Time (lease expiry, release delays, `Lease.expiresAt`) is the database server's clock, so every process
 * sharing the table agrees on it; a fake engine clock does not move it.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Lease, LeaseOptions, MessageStore, ReleaseOptions, StoredMessage } from '@mediary/core';
import { storeErrors } from '@mediary/core';
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

const COMPONENT = 'message store';

/** Options of {@link postgresMessageStore}. */
export type PostgresMessageStoreOptions = PostgresConnectionOptions &
  DatabaseOptions & {
    /** The table holding the messages; several stores (queues) can share one. */
    readonly table: string;
    /** The table's schema. Default: the connection's search path (usually `public`). */
    readonly schema?: string;
    /** The store's name on the engine, and its `queue` value in the table. Default: the table's name. */
    readonly name?: string;
    /** Default lease length. Default 30 000 ms. */
    readonly leaseMs?: number;
    /**
     * Whether the first operation creates the schema (when given) and the table when missing. Default
     * true; with false, call {@link PostgresMessageStore.ensureSchema} yourself or create the table with a
     * migration tool (the DDL is in the README).
     */
    readonly ensureSchema?: boolean;
  };

interface MessageRow {
  readonly id: string;
  readonly body: Buffer;
  readonly content_type: string | null;
  readonly headers: Record<string, string>;
  readonly vars: Record<string, unknown>;
  readonly attempts: number;
  readonly last_error: { code: string; message: string } | null;
  readonly enqueued_at: string;
}

const COLUMNS = 'id, body, content_type, headers, vars, attempts, last_error, enqueued_at';

/** A FIFO store in a PostgreSQL table. Create it with {@link postgresMessageStore}. */
export class PostgresMessageStore implements MessageStore {
  readonly name: string;
  readonly #db: Database;
  readonly #table: string;
  readonly #quotedSchema: string | undefined;
  readonly #leaseMs: number;
  readonly #ready: () => Promise<void>;
  #closed = false;

  constructor(options: PostgresMessageStoreOptions) {
    const name = options.name ?? options.table;
    if (typeof name !== 'string' || name === '') {
      throw postgresErrors.INVALID_OPTIONS({
        component: COMPONENT,
        reason: 'name must be a non-empty string',
      });
    }
    this.#leaseMs = checkMs(options.leaseMs ?? 30_000, 'leaseMs');
    this.#table = qualifiedName(options.table, options.schema, COMPONENT);
    this.#quotedSchema =
      options.schema === undefined ? undefined : identifier(options.schema, 'schema', COMPONENT);
    this.name = name;
    this.#db = new Database(options, { component: COMPONENT, name });
    const ensure = once(() => this.ensureSchema());
    this.#ready = options.ensureSchema === false ? async () => {} : ensure;
  }

  /** The pool the store queries through (the one passed in, or the one it opened). */
  get pool(): Pool {
    return this.#db.pool;
  }

  /** Creates the schema (when one was given) and the table when they do not exist. Safe to call again. */
  async ensureSchema(): Promise<void> {
    const t = this.#table;
    await createTables(this.#db, this.#quotedSchema, [
      `CREATE TABLE IF NOT EXISTS ${t} (
        seq bigserial NOT NULL,
        queue text NOT NULL,
        id text NOT NULL,
        body bytea NOT NULL,
        content_type text,
        headers json NOT NULL,
        vars json NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error json,
        enqueued_at bigint NOT NULL,
        visible_at timestamptz NOT NULL DEFAULT now(),
        lease_token text,
        leased_until timestamptz,
        PRIMARY KEY (queue, seq),
        UNIQUE (queue, id)
      )`,
    ]);
  }

  async enqueue(message: StoredMessage): Promise<string> {
    await this.#open();
    const subject = { component: COMPONENT, name: this.name };
    const result = await this.#db.query(
      'enqueue a message',
      `INSERT INTO ${this.#table}
         (queue, id, body, content_type, headers, vars, attempts, last_error, enqueued_at)
       VALUES ($1, $2, $3, $4, $5::json, $6::json, $7, $8::json, $9)
       ON CONFLICT (queue, id) DO NOTHING`,
      [
        this.name,
        message.id,
        Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
        message.contentType ?? null,
        toJson(message.headers, subject, `the headers of message ${message.id}`),
        toJson(message.vars, subject, `the variables of message ${message.id}`),
        message.attempts,
        message.lastError ? toJson(message.lastError, subject, 'the last error') : null,
        Math.trunc(message.enqueuedAt),
      ],
    );
    if (result.rowCount === 0) throw storeErrors.DUPLICATE_ID({ store: this.name, id: message.id });
    return message.id;
  }

  async lease(options: LeaseOptions = {}): Promise<Lease | undefined> {
    await this.#open();
    const leaseMs = options.leaseMs === undefined ? this.#leaseMs : checkMs(options.leaseMs, 'leaseMs');
    const token = randomUUID();
    const t = this.#table;
    const result = await this.#db.query<MessageRow & { expires_at: number }>(
      'lease a message',
      `UPDATE ${t} AS m
          SET lease_token = $2,
              leased_until = now() + $3::float8 * interval '1 millisecond',
              -- A lease that ran out unsettled was a failed delivery.
              attempts = m.attempts + CASE WHEN m.leased_until IS NULL THEN 0 ELSE 1 END
        WHERE m.queue = $1 AND m.seq = (
          SELECT seq FROM ${t}
           WHERE queue = $1 AND visible_at <= now() AND (leased_until IS NULL OR leased_until <= now())
           ORDER BY seq
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS.replace(/(\w+)/g, 'm.$1')},
                  floor(extract(epoch FROM m.leased_until) * 1000)::float8 AS expires_at`,
      [this.name, token, leaseMs],
    );
    const row = result.rows[0];
    return row ? { token, message: toStoredMessage(row), expiresAt: row.expires_at } : undefined;
  }

  async ack(lease: Lease): Promise<void> {
    await this.#open();
    const result = await this.#db.query(
      'acknowledge a message',
      `DELETE FROM ${this.#table} WHERE queue = $1 AND id = $2 AND lease_token = $3`,
      [this.name, lease.message.id, lease.token],
    );
    if (result.rowCount === 0) throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id });
  }

  async release(lease: Lease, options: ReleaseOptions = {}): Promise<void> {
    await this.#open();
    const delayMs = checkMs(options.delayMs ?? 0, 'delayMs', true);
    const subject = { component: COMPONENT, name: this.name };
    const result = await this.#db.query(
      'release a message',
      `UPDATE ${this.#table}
          SET lease_token = NULL,
              leased_until = NULL,
              attempts = attempts + 1,
              visible_at = now() + $4::float8 * interval '1 millisecond',
              last_error = COALESCE($5::json, last_error)
        WHERE queue = $1 AND id = $2 AND lease_token = $3`,
      [
        this.name,
        lease.message.id,
        lease.token,
        delayMs,
        options.error
          ? toJson({ code: options.error.code, message: options.error.message }, subject, 'the error')
          : null,
      ],
    );
    if (result.rowCount === 0) throw storeErrors.LEASE_LOST({ store: this.name, id: lease.message.id });
  }

  async size(): Promise<number> {
    await this.#open();
    const result = await this.#db.query<{ n: number }>(
      'count messages',
      `SELECT count(*)::int AS n FROM ${this.#table} WHERE queue = $1`,
      [this.name],
    );
    return result.rows[0]?.n ?? 0;
  }

  async browse(limit = 100): Promise<StoredMessage[]> {
    await this.#open();
    const result = await this.#db.query<MessageRow>(
      'browse messages',
      `SELECT ${COLUMNS} FROM ${this.#table} WHERE queue = $1 ORDER BY seq LIMIT $2`,
      [this.name, Math.max(0, Math.trunc(limit))],
    );
    return result.rows.map(toStoredMessage);
  }

  async purge(): Promise<number> {
    await this.#open();
    const result = await this.#db.query('purge messages', `DELETE FROM ${this.#table} WHERE queue = $1`, [
      this.name,
    ]);
    return result.rowCount ?? 0;
  }

  /** Stops the store; ends the pool when the store opened it from a connection string. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#db.close();
  }

  async #open(): Promise<void> {
    if (this.#closed) throw storeErrors.CLOSED({ store: this.name });
    await this.#ready();
  }
}

/**
 * Creates a message store in a PostgreSQL table, shared safely by any number of processes.
 *
 * @example
 * const orders = postgresMessageStore({ connectionString: process.env.DATABASE_URL!, table: 'mediary_messages', name: 'orders' });
 * registerStore(engine, orders);
 * // later: await orders.close();
 */
export function postgresMessageStore(options: PostgresMessageStoreOptions): PostgresMessageStore {
  return new PostgresMessageStore(options);
}

function toStoredMessage(row: MessageRow): StoredMessage {
  const message = {
    id: row.id,
    body: row.body,
    headers: row.headers,
    vars: row.vars,
    attempts: row.attempts,
    enqueuedAt: Number(row.enqueued_at),
  };
  return {
    ...message,
    ...(row.content_type === null ? {} : { contentType: row.content_type }),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
  };
}

function checkMs(value: number, what: string, zeroAllowed = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw postgresErrors.INVALID_OPTIONS({
      component: COMPONENT,
      reason: `${what} must be a finite number ${zeroAllowed ? '≥ 0' : '> 0'}, got ${value}`,
    });
  }
  return value;
}
