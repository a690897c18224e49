/**
 * T5, store and forward: a reservation is checked, put in the message store and answered with `202` at
 * once; a forwarding processor delivers it to the hospital later, in order, retrying until the hospital
 * takes it or its attempts run out, and then moves it to the dead letter store.
 *
 * - What is stored: the request body byte for byte, its content type, the correlation id (so the delivery
 *   logs under the same id as the request) and the variables `hospitalId` and `category`, which fill the
 *   reserve URL `/{hospitalId}/categories/{category}/reserve`. Nothing else of the request: its other
 *   headers (cookies, credentials) have no business in a queue.
 * - A `202` means the store has the reservation (a RabbitMQ publisher confirm, a committed row). When the
 *   store cannot take it the client gets the store's error instead, never a `202` for a lost message.
 * - Delivery: a `2xx` reply acknowledges the message. A `4xx` will not get better by waiting, so it goes to
 *   the dead letter store at once. Anything else (`5xx`, unreachable, timeout) is tried again every
 *   `intervalMs` until `maxAttempts`, then dead-lettered. One message at a time, so reservations reach the
 *   hospital in the order they were accepted; a message being retried holds back the ones behind it.
 * - Delivery is at least once: a crash between the hospital's reply and the store's acknowledgement
 *   delivers that one reservation again after the restart. Every delivery carries an `Idempotency-Key`
 *   header, the stored message's id (the `id` of the `202`), so the same on every attempt and across
 *   restarts: a hospital that remembers the keys it has seen turns a redelivery into a no-op.
 *
 * @module
 */
import {
  createMessage,
  defineMediator,
  type Engine,
  type ForwardError,
  forwardingProcessor,
  type MessageContext,
  type MessageProcessor,
  type MessageStore,
  registerStore,
  respond,
  type Step,
  toStoredMessage,
  validate,
} from '@mediary/core';
import type { HttpResource } from '@mediary/http';
import { endpoints } from './endpoints.js';
import { type Reservation, reservationSchema } from './reservation.js';
import type { ReservationStores } from './stores.js';

const JSON_ONLY = ['application/json'];

export interface ReservationForwardingOptions {
  readonly stores: ReservationStores;
  /** `FORWARD_INTERVAL_MS`: the wait between attempts at the same reservation. */
  readonly intervalMs: number;
  /** `FORWARD_MAX_ATTEMPTS`: attempts per reservation, the first included. */
  readonly maxAttempts: number;
  /**
   * How long a reservation being delivered stays invisible to other consumers of the store. It must outlast
   * one delivery (the backend timeout); it is also how long a reservation that was being delivered when the
   * process died stays hidden in a PostgreSQL store (RabbitMQ gives it back as soon as the connection drops).
   */
  readonly leaseMs: number;
}

/** The T5 parts: the stores, the processor that drains them, and the HTTP resources in front. */
export interface ReservationForwarding {
  readonly stores: ReservationStores;
  readonly processor: MessageProcessor;
  /** `POST /async/categories/{category}/reserve` and `GET /async/stats`, below the API's context. */
  readonly resources: readonly HttpResource[];
}

/** What `GET /healthcare/async/stats` answers. */
export interface ForwardingStats {
  /** `memory`, `amqp` or `postgres`. */
  readonly store: string;
  /** Reservations in the store: accepted, not yet delivered (one being delivered included). */
  readonly pending: number;
  /** Reservations in the dead letter store (kept across restarts by a persistent store). */
  readonly deadLettered: number;
  /** Reservations the hospital took since this process started. */
  readonly delivered: number;
  /** Failed delivery attempts since this process started. */
  readonly failedAttempts: number;
  /** `running`, `stopped` or `deactivated`. */
  readonly processor: string;
}

/**
 * Creates the T5 store-and-forward parts; register them with {@link installReservationForwarding}.
 *
 * @example
 * const forwarding = reservationForwarding({
 *   stores: memoryReservationStores(engine.clock), intervalMs: 1000, maxAttempts: 5, leaseMs: 15_000,
 * });
 */
export function reservationForwarding(options: ReservationForwardingOptions): ReservationForwarding {
  const { stores, intervalMs, maxAttempts, leaseMs } = options;
  const processor = forwardingProcessor({
    name: 'forward-reservations',
    store: stores.pending,
    endpoint: endpoints.forwardReserve,
    deadLetterStore: stores.deadLetters,
    intervalMs,
    maxAttempts,
    // A reservation accepted into an empty store waits at most this long, whatever the retry interval.
    pollMs: Math.max(1, Math.min(intervalMs, 250)),
    concurrency: 1,
    leaseMs,
    faultSteps: [logFailedAttempt(maxAttempts)],
  });
  const resources: HttpResource[] = [
    {
      method: 'POST',
      path: '/async/categories/{category}/reserve',
      accepts: JSON_ONLY,
      steps: acceptReservation(stores.pending),
    },
    {
      method: 'GET',
      path: '/async/stats',
      steps: [
        defineMediator('forwardingStats', async (ctx) => {
          ctx.message = createMessage({ json: await forwardingStats(stores, processor) });
        }),
        respond(),
      ],
    },
  ];
  return { stores, processor, resources };
}

/**
 * Registers the stores (the engine closes them when it stops) and the processor (it runs while the engine
 * does) on an engine. The resources go into an HTTP API.
 *
 * @example
 * installReservationForwarding(engine, forwarding);
 * httpApi({ name: 'healthcare', context: '/healthcare', resources: [...forwarding.resources] });
 */
export function installReservationForwarding(engine: Engine, forwarding: ReservationForwarding): void {
  registerStore(engine, forwarding.stores.pending);
  registerStore(engine, forwarding.stores.deadLetters);
  engine.addSource(forwarding.processor);
}

/**
 * The steps of `POST /async/categories/{category}/reserve`: check the nested form (`400` and nothing stored
 * when it is wrong, `hospital_id` included), store it with its `Idempotency-Key` (the stored id), answer
 * `202 {"status":"accepted","id":…}`.
 *
 * @example
 * { method: 'POST', path: '/async/categories/{category}/reserve', steps: acceptReservation(stores.pending) }
 */
export function acceptReservation(pending: MessageStore): Step[] {
  return [
    validate(reservationSchema),
    defineMediator('storeReservation', async (ctx) => {
      const reservation = await ctx.message.json<Reservation>();
      const stored = await toStoredMessage(ctx);
      const id = await pending.enqueue({
        ...stored,
        // The key is stored with the reservation rather than derived per attempt, so it cannot change
        // between a delivery, its retries and a redelivery after a crash.
        headers: { 'x-correlation-id': ctx.correlationId, 'idempotency-key': stored.id },
        vars: { hospitalId: reservation.hospital_id, category: ctx.transport.params.category ?? '' },
      });
      // A new message, so none of the request's headers find their way into the reply.
      ctx.message = createMessage({ status: 202, json: { status: 'accepted', id } });
    }),
    respond(),
  ];
}

/**
 * Counts what the stores hold and what the processor did.
 *
 * @example
 * const { pending, deadLettered } = await forwardingStats(stores, processor);
 */
export async function forwardingStats(
  stores: ReservationStores,
  processor: MessageProcessor,
): Promise<ForwardingStats> {
  const [pending, deadLettered] = await Promise.all([stores.pending.size(), stores.deadLetters.size()]);
  return {
    store: stores.kind,
    pending,
    deadLettered,
    delivered: processor.stats.delivered,
    failedAttempts: processor.stats.failedAttempts,
    processor: processor.state,
  };
}

/** One warning per failed attempt, so an operator sees a hospital refusing or unreachable. */
function logFailedAttempt(maxAttempts: number): Step {
  return defineMediator('logFailedAttempt', (ctx: MessageContext) => {
    const failure = ctx.vars.forwardError as ForwardError;
    ctx.log.warn('reservation delivery failed', {
      id: ctx.transport.props.messageId,
      hospitalId: ctx.vars.hospitalId,
      attempt: failure.attempt,
      maxAttempts,
      code: failure.code,
      ...(failure.status === undefined ? {} : { status: failure.status }),
    });
  });
}
