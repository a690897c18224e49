/**
 * Declaring JetStream streams and durable consumers: create them when missing, bring them up to date when
 * they exist with another configuration. Sources declare their consumer this way; hosts and tests declare
 * streams (or assume an operator did).
 *
 * @module
 */
import { reasonOf } from '@mediary/core';
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsConnection } from './connection.js';
import { natsErrors } from './errors.js';

/** A stream's configuration, as NATS defines it; `name` and `subjects` are required here. */
export type StreamDeclaration = Partial<StreamConfig> & {
  readonly name: string;
  readonly subjects: string[];
};

/** What a JetStream source needs of its durable consumer. */
export interface ConsumerDeclaration {
  readonly durable: string;
  /** Only messages of this subject (wildcards allowed). Default: the whole stream. */
  readonly filterSubject?: string;
  /** How long the server waits for an acknowledgement before it redelivers. */
  readonly ackWaitMs: number;
  /** Deliveries after which the server stops redelivering a message. */
  readonly maxDeliver: number;
  /** Most messages delivered and not yet acknowledged, across every client of the consumer. */
  readonly maxAckPending: number;
  /** Anything else of NATS's consumer configuration. */
  readonly config?: Partial<ConsumerConfig>;
}

/**
 * Creates a stream, or updates it when it exists with another configuration.
 *
 * @example
 * await declareStream(nats, { name: 'ORDERS', subjects: ['orders.>'], retention: 'workqueue' });
 */
export async function declareStream(
  connection: NatsConnection,
  declaration: StreamDeclaration,
): Promise<void> {
  await withManager(connection, async (jsm) => {
    try {
      await jsm.streams.add(declaration);
    } catch (error) {
      if (!isAlreadyInUse(error)) throw failed('create', declaration.name, error);
      try {
        const { name, ...update } = declaration;
        await jsm.streams.update(name, update);
      } catch (cause) {
        throw failed('update', declaration.name, cause);
      }
    }
  });
}

/**
 * Deletes a stream; resolves false when there was none.
 *
 * @example
 * await deleteStream(nats, 'ORDERS');
 */
export async function deleteStream(connection: NatsConnection, name: string): Promise<boolean> {
  return withManager(connection, async (jsm) => {
    try {
      return await jsm.streams.delete(name);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw failed('delete', name, error);
    }
  });
}

/**
 * Creates a durable pull consumer with explicit acknowledgements, or updates it when it exists with other
 * settings.
 *
 * @example
 * await declareConsumer(nats, 'ORDERS', { durable: 'billing', ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 20 });
 */
export async function declareConsumer(
  connection: NatsConnection,
  stream: string,
  declaration: ConsumerDeclaration,
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    deliver_policy: DeliverPolicy.All,
    ...declaration.config,
    durable_name: declaration.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(declaration.ackWaitMs),
    max_deliver: declaration.maxDeliver,
    max_ack_pending: declaration.maxAckPending,
    ...(declaration.filterSubject === undefined ? {} : { filter_subject: declaration.filterSubject }),
  };
  await withManager(connection, async (jsm) => {
    try {
      await jsm.consumers.add(stream, config);
    } catch (error) {
      if (!isAlreadyInUse(error)) throw failed('create', `${stream}/${declaration.durable}`, error);
      try {
        const { durable_name: _durable, deliver_policy: _deliver, ack_policy: _ack, ...update } = config;
        await jsm.consumers.update(stream, declaration.durable, update);
      } catch (cause) {
        throw failed('update', `${stream}/${declaration.durable}`, cause);
      }
    }
  });
}

/**
 * Runs `work` with the connection's JetStream manager, holding the connection in use meanwhile: the helpers
 * work before an engine started (the connection opens for them) as well as while it runs.
 */
async function withManager<T>(
  connection: NatsConnection,
  work: (jsm: JetStreamManager) => Promise<T>,
): Promise<T> {
  connection.acquire();
  try {
    return await work(await connection.jetstreamManager());
  } finally {
    await connection.release();
  }
}

function failed(action: string, name: string, error: unknown) {
  return natsErrors.STREAM_FAILED({ action, name, reason: reasonOf(error) }, { cause: error });
}

/** JetStream's "already in use with a different configuration" / "consumer already exists". */
function isAlreadyInUse(error: unknown): boolean {
  const code = apiCode(error);
  return (
    code === 10058 || code === 10148 || code === 10013 || /already (in use|exists)/i.test(reasonOf(error))
  );
}

function isNotFound(error: unknown): boolean {
  const code = apiCode(error);
  return code === 10059 || code === 10014 || /not found/i.test(reasonOf(error));
}

function apiCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: number } } | undefined)?.api_error;
  if (api?.err_code !== undefined) return api.err_code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
