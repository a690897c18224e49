/**
 * The outbound NATS endpoint, in one of three modes:
 * - publish (default): a core NATS publish; resolves at once with an empty reply of status 202 (core NATS
 *   is at-most-once and keeps nothing);
 * - `request: true`: request-reply; resolves with the reply message, or fails when nobody listens
 *   (`MEDIARY_NATS_NO_RESPONDERS`), no reply came within `timeoutMs`, or the service answered with a
 *   `Nats-Service-Error` header;
 * - `jetstream: true`: a JetStream publish; resolves once the stream stored the message (its PubAck),
 *   with an empty reply of status 202 whose headers say where it went (`nats-stream`, `nats-sequence`,
 *   `nats-duplicate`). A `nats-msg-id` header (or `msgId`) makes the stream drop duplicates.
 *
 * @module
 */
import {
  createMessage,
  type Endpoint,
  type Expr,
  evaluate,
  type Message,
  type MessageContext,
  onAbort,
  reasonOf,
  type TimerHandle,
  toMediaryError,
} from '@mediary/core';
import { type MsgHdrs, errors as natsClientErrors } from '@nats-io/transport-node';
import type { NatsConnection } from './connection.js';
import { natsErrors } from './errors.js';
import { type HeaderMapping, payloadOf, toHeaders, toMessage } from './internal/mapping.js';

export type { HeaderMapping } from './internal/mapping.js';

/** Options of {@link natsEndpoint}. */
export interface NatsEndpointOptions {
  readonly connection: NatsConnection;
  /** The subject, or an expression of the message context that computes it (no wildcards). */
  readonly subject: string | Expr<string>;
  /** The name routes `call()` and tests mock it by. Default `nats:<subject>` (or `nats:<connection>`). */
  readonly name?: string;
  /** Request-reply: wait for the reply. */
  readonly request?: boolean;
  /** Publish to JetStream and wait for the stream's acknowledgement. */
  readonly jetstream?: boolean;
  /** JetStream de-duplication id, or an expression for it. Default: the `nats-msg-id` header. */
  readonly msgId?: string | Expr<string | undefined>;
  /** How long a request (or a JetStream publish) waits, including for a connection. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Which headers go out as NATS headers. Default: all but hop-by-hop HTTP headers. */
  readonly headers?: HeaderMapping;
}

const NO_WILDCARDS = /[*>\s]/;

/** A NATS publisher or requester. Create it with {@link natsEndpoint}. */
export class NatsEndpoint implements Endpoint {
  readonly name: string;
  readonly #options: NatsEndpointOptions;
  readonly #timeoutMs: number;
  #acquired = false;

  constructor(options: NatsEndpointOptions) {
    if (options.request && options.jetstream) {
      throw natsErrors.INVALID_OPTIONS({
        component: 'endpoint',
        reason: 'request and jetstream exclude each other',
      });
    }
    if (
      typeof options.subject === 'string' &&
      (options.subject === '' || NO_WILDCARDS.test(options.subject))
    ) {
      throw natsErrors.INVALID_OPTIONS({
        component: 'endpoint',
        reason: `subject ${options.subject} must be non-empty, without wildcards or spaces`,
      });
    }
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.name =
      options.name ??
      `nats:${typeof options.subject === 'string' ? options.subject : options.connection.name}`;
  }

  async send(message: Message, ctx: MessageContext): Promise<Message> {
    const { connection } = this.#options;
    // Fewer awaits on the hot path: NATS.js coalesces the publishes issued in one microtask burst into
    // one socket write, so every avoidable hop costs throughput.
    const subject =
      typeof this.#options.subject === 'string'
        ? this.#options.subject
        : await evaluate(this.#options.subject, ctx);
    if (typeof subject !== 'string' || subject === '' || NO_WILDCARDS.test(subject)) {
      throw natsErrors.SUBJECT_INVALID({
        subject: String(subject),
        reason: 'empty, or with wildcards or spaces',
      });
    }
    if (!this.#acquired) {
      this.#acquired = true;
      connection.attach(ctx.engine);
      connection.acquire();
    }
    const payload = await payloadOf(message);
    const headers = toHeaders(message, this.#options.headers);
    const client = connection.client ?? (await connection.whenOpen(this.#timeoutMs, ctx.signal));
    if (this.#options.jetstream) return this.#publishJetStream(subject, payload, headers, message, ctx);
    if (!this.#options.request) {
      try {
        client.publish(subject, payload, headers ? { headers } : {});
      } catch (error) {
        throw natsErrors.PUBLISH_FAILED({ subject, reason: reasonOf(error) }, { cause: error });
      }
      return createMessage({ status: 202 });
    }
    const reply = await this.#bounded(
      ctx,
      () => client.request(subject, payload, { timeout: this.#timeoutMs, ...(headers ? { headers } : {}) }),
      (error) => {
        const cause = (error as { cause?: unknown }).cause;
        const noResponders =
          error instanceof natsClientErrors.NoRespondersError ||
          cause instanceof natsClientErrors.NoRespondersError ||
          (error instanceof natsClientErrors.RequestError && error.isNoResponders());
        if (noResponders) return natsErrors.NO_RESPONDERS({ subject }, { cause: error });
        if (error instanceof natsClientErrors.TimeoutError || cause instanceof natsClientErrors.TimeoutError)
          return natsErrors.REQUEST_TIMEOUT({ subject, timeoutMs: this.#timeoutMs }, { cause: error });
        return natsErrors.PUBLISH_FAILED({ subject, reason: reasonOf(error) }, { cause: error });
      },
    );
    const serviceError = reply.headers?.get('Nats-Service-Error');
    if (serviceError) {
      throw natsErrors.REPLY_ERROR({
        subject,
        errorCode: reply.headers?.get('Nats-Service-Error-Code') || 'unknown',
        reason: serviceError,
      });
    }
    return toMessage(reply, ctx.engine.limits);
  }

  async #publishJetStream(
    subject: string,
    payload: Uint8Array,
    headers: MsgHdrs | undefined,
    message: Message,
    ctx: MessageContext,
  ): Promise<Message> {
    const option = this.#options.msgId;
    const msgId =
      option === undefined
        ? message.headers.get('nats-msg-id')
        : typeof option === 'string'
          ? option
          : await option(ctx);
    const js =
      this.#options.connection.jetstreamClient ?? (await this.#options.connection.jetstream(this.#timeoutMs));
    // Published with the other routes' publishes of this event-loop turn: one socket write for all of them.
    await this.#options.connection.endOfTurn();
    const ack = await this.#bounded(
      ctx,
      () =>
        js.publish(subject, payload, {
          timeout: this.#timeoutMs,
          ...(headers ? { headers } : {}),
          ...(msgId ? { msgID: msgId } : {}),
        }),
      (error) => natsErrors.PUBLISH_FAILED({ subject, reason: reasonOf(error) }, { cause: error }),
    );
    return createMessage({
      status: 202,
      headers: {
        'nats-stream': ack.stream,
        'nats-sequence': String(ack.seq),
        'nats-duplicate': String(ack.duplicate),
      },
    });
  }

  /**
   * Runs a NATS call that has its own timeout, also ending it when the message is aborted. The abort is
   * followed with `onAbort`, which makes no `AbortSignal` (nor adds an event listener) per publish.
   */
  async #bounded<T>(
    ctx: MessageContext,
    call: () => Promise<T>,
    mapError: (error: unknown) => Error,
  ): Promise<T> {
    let stopListening: (() => void) | undefined;
    let timer: TimerHandle | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        let aborted = false;
        stopListening = onAbort(ctx, (reason) => {
          aborted = true;
          reject(toMediaryError(reason));
        });
        if (aborted) return;
        // A backstop on the engine clock, in case the client's own timer never fires.
        timer = ctx.engine.clock.setTimeout(
          () =>
            reject(
              natsErrors.REQUEST_TIMEOUT({
                subject: String(this.#options.subject),
                timeoutMs: this.#timeoutMs,
              }),
            ),
          this.#timeoutMs + 1000,
        );
        call().then(resolve, (error: unknown) => reject(mapError(error)));
      });
    } finally {
      stopListening?.();
      if (timer !== undefined) ctx.engine.clock.clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (!this.#acquired) return;
    this.#acquired = false;
    await this.#options.connection.client?.flush().catch(() => undefined);
    await this.#options.connection.release();
  }
}

/**
 * Creates an endpoint that publishes to a NATS subject, sends requests, or publishes to JetStream.
 *
 * @example
 * const nats = natsConnection({ servers: 'nats://127.0.0.1:4222' });
 * engine.addEndpoint(natsEndpoint({ name: 'pricing', connection: nats, subject: 'pricing.quote', request: true, timeoutMs: 2000 }));
 * engine.addEndpoint(natsEndpoint({ name: 'orders-log', connection: nats, subject: 'orders.accepted', jetstream: true }));
 */
export function natsEndpoint(options: NatsEndpointOptions): NatsEndpoint {
  return new NatsEndpoint(options);
}
