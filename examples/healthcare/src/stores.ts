/**
 * The T5 message stores, chosen by `STORE_URL`: accepted reservations wait in one store until they are
 * delivered, and the undeliverable ones end in a second, the dead letter store.
 *
 * | `STORE_URL` | pending reservations | dead letters |
 * | --- | --- | --- |
 * | unset | in memory (lost with the process) | in memory |
 * | `amqp://…`, `amqps://…` | durable RabbitMQ queue `STORE_QUEUE` | queue `<STORE_QUEUE>.dead-letter` |
 * | `postgres://…`, `postgresql://…` | PostgreSQL table `STORE_TABLE` | table `<STORE_TABLE>_dead_letter` |
 *
 * `@mediary/amqp` and `@mediary/postgres` are imported only when their URL is given, so the default,
 * in-memory run loads neither (nor amqplib, nor pg).
 *
 * @module
 */
import { type Clock, createMemoryStore, type MessageStore, systemClock, toMediaryError } from '@mediary/core';
import { DEFAULT_STORE_NAMES } from './config.js';
import { healthcareErrors } from './errors.js';

/** Which kind of store holds the reservations. */
export type StoreKind = 'memory' | 'amqp' | 'postgres';

/** The pair of stores T5 uses. */
export interface ReservationStores {
  readonly kind: StoreKind;
  /** Accepted reservations waiting to be delivered, oldest first. */
  readonly pending: MessageStore;
  /** Reservations that could not be delivered, with their original body, attempts and last error. */
  readonly deadLetters: MessageStore;
  /** Where they live, for the start-up banner; a password in the URL is masked. */
  readonly description: string;
}

export interface OpenReservationStoresOptions {
  /** `STORE_URL`; `undefined` means in memory. */
  readonly url: string | undefined;
  /** `STORE_QUEUE`, the RabbitMQ queue. Default `mediary.healthcare.reservations`. */
  readonly queue?: string;
  /** `STORE_TABLE`, the PostgreSQL table. Default `mediary_healthcare_reservations`. */
  readonly table?: string;
  /** Drives the in-memory and RabbitMQ stores' lease timers. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Two in-memory stores on the given clock: the default, and what in-process tests use (with the harness's
 * fake clock, so lease expiry follows it).
 *
 * @example
 * const stores = memoryReservationStores(engine.clock);
 */
export function memoryReservationStores(clock: Clock = systemClock): ReservationStores {
  return {
    kind: 'memory',
    pending: createMemoryStore('reservations', { clock }),
    deadLetters: createMemoryStore('reservations-dead-letter', { clock }),
    description: 'in memory',
  };
}

/**
 * Opens the stores `STORE_URL` names and checks that they answer (the queues are declared, the tables
 * created when missing), so a wrong URL fails at start rather than on the first reservation. Fails with
 * `MEDIARY_HEALTHCARE_STORE_UNAVAILABLE`, having closed whatever it opened.
 *
 * @example
 * const stores = await openReservationStores({ url: 'postgres://postgres@127.0.0.1:5432/test' });
 * registerStore(engine, stores.pending);
 */
export async function openReservationStores(
  options: OpenReservationStoresOptions,
): Promise<ReservationStores> {
  const url = options.url;
  if (url === undefined) return memoryReservationStores(options.clock);
  if (!URL.canParse(url))
    throw healthcareErrors.STORE_UNAVAILABLE({ store: '(unreadable)', reason: 'not a URL' });
  const protocol = new URL(url).protocol;
  const stores =
    protocol === 'amqp:' || protocol === 'amqps:'
      ? await amqpStores(url, options.queue ?? DEFAULT_STORE_NAMES.queue, options.clock ?? systemClock)
      : protocol === 'postgres:' || protocol === 'postgresql:'
        ? await postgresStores(url, options.table ?? DEFAULT_STORE_NAMES.table)
        : undefined;
  if (!stores) {
    throw healthcareErrors.STORE_UNAVAILABLE({
      store: maskPassword(url),
      reason: `no store speaks ${protocol}//`,
    });
  }
  try {
    await stores.check();
  } catch (error) {
    await Promise.allSettled([stores.pending.close?.(), stores.deadLetters.close?.()]);
    throw healthcareErrors.STORE_UNAVAILABLE(
      { store: stores.description, reason: toMediaryError(error).message },
      { cause: error },
    );
  }
  return {
    kind: stores.kind,
    pending: stores.pending,
    deadLetters: stores.deadLetters,
    description: stores.description,
  };
}

interface Opened extends ReservationStores {
  check(): Promise<void>;
}

async function amqpStores(url: string, queue: string, clock: Clock): Promise<Opened> {
  const { amqpConnection, amqpMessageStore } = await import('@mediary/amqp');
  // One connection for both stores; it closes when the last of them closes (when the engine stops).
  const connection = amqpConnection({ url, name: 'mediary-healthcare', clock });
  const pending = amqpMessageStore({ connection, queue, clock });
  const deadLetters = amqpMessageStore({ connection, queue: `${queue}.dead-letter`, clock });
  return {
    kind: 'amqp',
    pending,
    deadLetters,
    description: `${maskPassword(url)} queues ${queue} and ${queue}.dead-letter`,
    // Counting declares each queue, which is the whole set-up a RabbitMQ store needs.
    check: async () => {
      await pending.size();
      await deadLetters.size();
    },
  };
}

async function postgresStores(url: string, table: string): Promise<Opened> {
  const { postgresMessageStore } = await import('@mediary/postgres');
  const pending = postgresMessageStore({ connectionString: url, table });
  // The dead letter store borrows the first store's pool, which that store ends when it closes.
  const deadLetters = postgresMessageStore({ pool: pending.pool, table: `${table}_dead_letter` });
  return {
    kind: 'postgres',
    pending,
    deadLetters,
    description: `${maskPassword(url)} tables ${table} and ${table}_dead_letter`,
    check: async () => {
      await pending.ensureSchema();
      await deadLetters.ensureSchema();
    },
  };
}

/**
 * The URL without its password, for logs and banners.
 *
 * @example
 * maskPassword('amqp://guest:guest@127.0.0.1:5672') // 'amqp://guest:***@127.0.0.1:5672'
 */
export function maskPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString().replace(/\/+$/, '');
}
