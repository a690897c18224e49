/**
 * The JetStream source: consumes a stream through a durable pull consumer with explicit acknowledgements
 * and runs each message through a route.
 *
 * - A message is acknowledged only once its route finished (completed, responded or deliberately dropped)
 *   or it was dead-lettered. While a long route runs, the source tells the server it is still working
 *   (`+WPI`) so the message is not redelivered to another consumer after `ackWaitMs`.
 * - A failed route, under `onFailure: 'nak'` (default), negatively acknowledges the message with a delay
 *   that grows with its delivery count, so the server redelivers it later; the delivery that reaches
 *   `maxDeliver` and fails is published to `deadLetterSubject` (when set) and terminated. Under
 *   `onFailure: 'term'` a failed message is dead-lettered and terminated at once.
 * - Messages whose deliveries ran out without this source seeing them fail (their ack wait expired each
 *   time: a crashed process, a route slower than `ackWaitMs`) are announced by the server's
 *   max-deliveries advisory; the source fetches them from the stream and dead-letters them too.
 * - A route interrupted by shutdown gives its message back at once (`nak` without delay), whatever
 *   `onFailure` says.
 * - At most `prefetch` messages are in flight: the consumer's `max_ack_pending` and the pull size.
 * - Several engines consuming the same durable share its messages; NATS.js keeps pulling across
 *   reconnects, and consumer problems (deleted consumer, missed heartbeats) are reported on the bus.
 *
 * @module
 */
import {
  backoffDelay,
  coreErrors,
  type Engine,
  type Exchange,
  type MediaryError,
  type Mediator,
  reasonOf,
  type Source,
  type Step,
  sequence,
  type TimerHandle,
  type TransportInfo,
} from '@mediary/core';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { type MsgHdrs, headers as natsHeaders, type Subscription } from '@nats-io/transport-node';
import type { NatsConnection } from './connection.js';
import { natsErrors } from './errors.js';
import { toMessage } from './internal/mapping.js';
import { declareConsumer } from './streams.js';

/** Headers a dead-lettered copy carries, saying where it came from and why it left. */
export const DEAD_LETTER_HEADERS = Object.freeze({
  stream: 'Mediary-Dead-Letter-Stream',
  subject: 'Mediary-Dead-Letter-Subject',
  sequence: 'Mediary-Dead-Letter-Sequence',
  deliveries: 'Mediary-Dead-Letter-Deliveries',
  reason: 'Mediary-Dead-Letter-Reason',
});

/** Options of {@link jetStreamSource}. */
export interface JetStreamSourceOptions {
  readonly connection: NatsConnection;
  /** The stream to consume. */
  readonly stream: string;
  /** The durable consumer's name; engines using the same one share its messages. */
  readonly durable: string;
  /** Only messages of this subject. Default: the whole stream. */
  readonly filterSubject?: string;
  /** The route each message runs through: a route id registered on the engine, or the steps themselves. */
  readonly route: string | readonly Step[];
  /** Shows in logs and events. Default `jetstream:<stream>/<durable>`. */
  readonly name?: string;
  /** How long the server waits for an acknowledgement before it redelivers. Default 30 000 ms. */
  readonly ackWaitMs?: number;
  /** Deliveries after which a message that keeps failing is dead-lettered and terminated. Default 5. */
  readonly maxDeliver?: number;
  /** `nak` (default): redeliver later, up to `maxDeliver`; `term`: dead-letter and stop at the first failure. */
  readonly onFailure?: 'nak' | 'term';
  /**
   * Delay of a negative acknowledgement, by delivery count (1 for the first failure). Default
   * 1000 ms × 2^(deliveries − 1), at most 60 000 ms.
   */
  readonly nakDelayMs?: number | ((deliveries: number) => number);
  /**
   * Where dead-lettered messages are published, with JetStream's acknowledgement (so a stream must capture
   * the subject). Without it, a message that ran out of deliveries is terminated and reported.
   */
  readonly deadLetterSubject?: string;
  /** Most messages in flight. Default 10. `1` keeps the stream's order. */
  readonly prefetch?: number;
  /**
   * Create or update the durable consumer with these settings on start (default true). `false`: assume it
   * exists (its `max_deliver` is read from the server).
   */
  readonly declare?: boolean;
  /**
   * Tell the server the message is still being worked on at this interval, so a long route keeps it.
   * Default half of `ackWaitMs`; `false` never.
   */
  readonly inProgressIntervalMs?: number | false;
  /** Wait for the server to confirm each acknowledgement (a round trip per message). Default false. */
  readonly confirmAcks?: boolean;
}

/** What happened to the messages of a source so far. */
export interface JetStreamSourceStats {
  readonly delivered: number;
  readonly acked: number;
  readonly nakked: number;
  readonly terminated: number;
  readonly deadLettered: number;
}

type Settlement = 'ack' | 'nak' | 'give-back' | 'term';

/**
 * A terminate without a reason: nats-server before 2.10 does not recognise `+TERM <reason>` and ignores it.
 * The reason travels in the dead-lettered copy's headers instead.
 */
const TERM = '+TERM';

const DEFAULT_NAK = (deliveries: number) =>
  backoffDelay(deliveries - 1, { initialDelayMs: 1000, maxDelayMs: 60_000 });

/** A JetStream consumer. Create it with {@link jetStreamSource}. */
export class JetStreamSource implements Source {
  readonly name: string;
  readonly stream: string;
  readonly durable: string;
  readonly #options: JetStreamSourceOptions;
  readonly #prefetch: number;
  readonly #ackWaitMs: number;
  #maxDeliver: number;
  readonly #inFlight = new Set<Promise<void>>();
  #slotFree: (() => void) | undefined;
  #engine: Engine | undefined;
  #target: string | Mediator | undefined;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #advisories: Subscription | undefined;
  #acquired = false;
  #stopping = false;
  /** Acknowledgements of this event-loop turn, sent together (NATS.js then writes them in one go). */
  #acks: JsMsg[] = [];
  #ackFlush: NodeJS.Immediate | undefined;
  readonly #stats = { delivered: 0, acked: 0, nakked: 0, terminated: 0, deadLettered: 0 };

  constructor(options: JetStreamSourceOptions) {
    const prefetch = options.prefetch ?? 10;
    const maxDeliver = options.maxDeliver ?? 5;
    const ackWaitMs = options.ackWaitMs ?? 30_000;
    const invalid = (reason: string) => natsErrors.INVALID_OPTIONS({ component: 'JetStream source', reason });
    if (!Number.isInteger(prefetch) || prefetch < 1) throw invalid('prefetch must be a positive integer');
    if (!Number.isInteger(maxDeliver) || maxDeliver < 1)
      throw invalid('maxDeliver must be a positive integer');
    if (!(ackWaitMs >= 1)) throw invalid('ackWaitMs must be at least 1 ms');
    this.#options = options;
    this.#prefetch = prefetch;
    this.#maxDeliver = maxDeliver;
    this.#ackWaitMs = ackWaitMs;
    this.stream = options.stream;
    this.durable = options.durable;
    this.name = options.name ?? `jetstream:${options.stream}/${options.durable}`;
  }

  get stats(): JetStreamSourceStats {
    return { ...this.#stats };
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async start(engine: Engine): Promise<void> {
    const { connection, route, stream, durable } = this.#options;
    this.#engine = engine;
    this.#stopping = false;
    this.#target =
      typeof route === 'string' ? route : sequence(route as Step[], { name: this.name, id: this.name });
    connection.attach(engine);
    connection.acquire();
    this.#acquired = true;
    if (this.#options.declare !== false) {
      await declareConsumer(connection, stream, {
        durable,
        ackWaitMs: this.#ackWaitMs,
        maxDeliver: this.#maxDeliver,
        maxAckPending: this.#prefetch,
        ...(this.#options.filterSubject === undefined ? {} : { filterSubject: this.#options.filterSubject }),
      });
    } else {
      const jsm = await connection.jetstreamManager();
      const info = await jsm.consumers.info(stream, durable).catch((error: unknown) => {
        throw natsErrors.CONSUMER_PROBLEM({ stream, durable, reason: reasonOf(error) }, { cause: error });
      });
      if (info.config.max_deliver !== undefined && info.config.max_deliver > 0)
        this.#maxDeliver = info.config.max_deliver;
    }
    await this.#watchAdvisories();
    const js = await connection.jetstream();
    const consumer = await js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: this.#prefetch });
    this.#messages = messages;
    this.#watchStatus(messages).catch(() => undefined);
    this.#loop = this.#consume(messages);
  }

  /** Stops pulling: no new messages; the ones in flight finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const messages = this.#messages;
    this.#messages = undefined;
    this.#slotFree?.();
    if (messages) await messages.close().catch(() => undefined);
    await this.#loop;
  }

  /** Waits for in-flight messages to be settled, then releases the connection. */
  async close(): Promise<void> {
    await this.stop();
    await Promise.allSettled([...this.#inFlight]);
    this.#flushAcks();
    await this.#advisories?.drain().catch(() => undefined);
    this.#advisories = undefined;
    if (this.#acquired) {
      this.#acquired = false;
      // Acknowledgements are fire-and-forget publishes: flush them before the connection may close.
      await this.#options.connection.client?.flush().catch(() => undefined);
      await this.#options.connection.release();
    }
    if (this.#engine) this.#options.connection.detach(this.#engine);
  }

  async #consume(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        if (this.#stopping) {
          // Pulled but not started: hand it straight back to the server for another consumer.
          msg.nak();
          continue;
        }
        const handled = this.#handle(msg).finally(() => {
          this.#inFlight.delete(handled);
          this.#slotFree?.();
        });
        this.#inFlight.add(handled);
        while (this.#inFlight.size >= this.#prefetch && !this.#stopping) {
          await new Promise<void>((resolve) => {
            this.#slotFree = resolve;
          });
          this.#slotFree = undefined;
        }
      }
    } catch (error) {
      if (!this.#stopping) {
        this.#report(
          natsErrors.CONSUMER_PROBLEM(
            { stream: this.stream, durable: this.durable, reason: reasonOf(error) },
            { cause: error },
          ),
          'jetstream consumer stopped',
        );
      }
    }
  }

  async #watchStatus(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      let reason: string | undefined;
      switch (status.type) {
        case 'heartbeats_missed':
          reason = `${status.count} heartbeats missed`;
          break;
        case 'consumer_deleted':
          reason = `the consumer was deleted (${status.description})`;
          break;
        case 'consumer_not_found':
          reason = `the consumer was not found (${status.count} times)`;
          break;
        case 'stream_not_found':
          reason = 'the stream was not found';
          break;
        case 'exceeded_limits':
          reason = status.description;
          break;
        default:
          break;
      }
      if (reason !== undefined && !this.#stopping) {
        this.#report(
          natsErrors.CONSUMER_PROBLEM({ stream: this.stream, durable: this.durable, reason }),
          'jetstream consumer problem',
        );
      }
    }
  }

  async #handle(msg: JsMsg): Promise<void> {
    const engine = this.#engine!;
    this.#stats.delivered++;
    const deliveries = msg.info.deliveryCount;
    const working = this.#keepWorking(msg);
    let settlement: Settlement;
    let failure: MediaryError | undefined;
    try {
      const message = toMessage(msg, engine.limits);
      const exchange = await engine.dispatch(this.#target!, message, {
        transport: this.#transport(msg),
      });
      settlement = this.#settlementOf(exchange, deliveries);
      if (!exchange.ok) failure = exchange.error;
    } catch (error) {
      failure = coreErrors.INTERNAL({}, { cause: error });
      settlement = this.#failureSettlement(failure, deliveries);
    } finally {
      working.stop();
    }
    await this.#settle(msg, settlement, deliveries, failure);
  }

  /** Sends `+WPI` while the route runs, so the server does not redeliver a message that is being worked on. */
  #keepWorking(msg: JsMsg): { stop(): void } {
    const interval = this.#options.inProgressIntervalMs ?? Math.max(1, Math.floor(this.#ackWaitMs / 2));
    if (interval === false) return { stop: () => undefined };
    const clock = this.#engine!.clock;
    let timer: TimerHandle | undefined;
    const tick = () => {
      msg.working();
      timer = clock.setTimeout(tick, interval);
    };
    timer = clock.setTimeout(tick, interval);
    return {
      stop: () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
      },
    };
  }

  #transport(msg: JsMsg): TransportInfo {
    return {
      name: 'jetstream',
      params: {},
      query: {},
      props: {
        subject: msg.subject,
        stream: msg.info.stream,
        consumer: msg.info.consumer,
        streamSequence: msg.info.streamSequence,
        deliverySequence: msg.info.deliverySequence,
        deliveries: msg.info.deliveryCount,
        redelivered: msg.redelivered,
        pending: msg.info.pending,
        timestamp: msg.time.toISOString(),
      },
    };
  }

  #settlementOf(exchange: Exchange, deliveries: number): Settlement {
    if (exchange.ok) return 'ack';
    const { error, context } = exchange;
    if (coreErrors.ENGINE_STOPPING.is(error) || (this.#stopping && context.signal.aborted))
      return 'give-back';
    return this.#failureSettlement(error, deliveries);
  }

  #failureSettlement(_error: MediaryError, deliveries: number): Settlement {
    if (this.#options.onFailure === 'term') return 'term';
    return deliveries >= this.#maxDeliver ? 'term' : 'nak';
  }

  async #settle(
    msg: JsMsg,
    settlement: Settlement,
    deliveries: number,
    failure: MediaryError | undefined,
  ): Promise<void> {
    try {
      switch (settlement) {
        case 'ack':
          if (this.#options.confirmAcks) await msg.ackAck();
          else this.#ack(msg);
          this.#stats.acked++;
          return;
        case 'give-back':
          msg.nak();
          this.#stats.nakked++;
          return;
        case 'nak':
          msg.nak(this.#nakDelay(deliveries));
          this.#stats.nakked++;
          return;
        case 'term':
          await this.#terminate(msg, deliveries, failure);
          return;
      }
    } catch (error) {
      // The acknowledgement did not reach the server: it redelivers after the ack wait (at-least-once).
      this.#report(
        natsErrors.CONSUMER_PROBLEM(
          {
            stream: this.stream,
            durable: this.durable,
            reason: `settling (${settlement}) failed: ${reasonOf(error)}`,
          },
          { cause: error },
        ),
        'jetstream message could not be settled',
      );
    }
  }

  /**
   * Queues an acknowledgement for the end of this event-loop turn. Routes finish one microtask apart, and
   * NATS.js writes what was published within one microtask burst at once: sent one by one, each
   * acknowledgement would cost a socket write of its own.
   */
  #ack(msg: JsMsg): void {
    this.#acks.push(msg);
    this.#ackFlush ??= setImmediate(() => this.#flushAcks());
  }

  #flushAcks(): void {
    if (this.#ackFlush !== undefined) clearImmediate(this.#ackFlush);
    this.#ackFlush = undefined;
    const acks = this.#acks;
    this.#acks = [];
    for (const msg of acks) msg.ack();
  }

  #nakDelay(deliveries: number): number {
    const option = this.#options.nakDelayMs;
    if (option === undefined) return DEFAULT_NAK(deliveries);
    return Math.max(0, typeof option === 'number' ? option : option(deliveries));
  }

  /** Dead-letters (when a subject is set) and terminates; if dead-lettering fails, naks for a later try. */
  async #terminate(msg: JsMsg, deliveries: number, failure: MediaryError | undefined): Promise<void> {
    const reason = failure?.message ?? 'the route failed';
    const dead = this.#options.deadLetterSubject;
    const action = dead === undefined ? 'terminated' : 'dead-lettered';
    if (dead !== undefined) {
      const published = await this.#deadLetter(msg.data, msg.headers, {
        subject: msg.subject,
        sequence: msg.info.streamSequence,
        deliveries,
        reason,
      });
      if (!published) {
        msg.nak(this.#nakDelay(deliveries));
        this.#stats.nakked++;
        return;
      }
      this.#stats.deadLettered++;
    }
    await this.#confirmedTerm(msg);
    this.#stats.terminated++;
    if (this.#options.onFailure !== 'term' || dead === undefined) {
      this.#report(
        natsErrors.POISON_MESSAGE(
          { stream: this.stream, sequence: msg.info.streamSequence, deliveries, action },
          failure === undefined ? {} : { cause: failure },
        ),
        `jetstream message ${action}`,
      );
    }
  }

  /**
   * Terminates and waits for the server to confirm it, so the message has left the consumer when this
   * resolves (a plain `term()` is a fire-and-forget publish). NATS.js confirms only acknowledgements
   * (`ackAck`), so the terminate is sent as a request on the message's reply subject, as `ackAck` does.
   */
  async #confirmedTerm(msg: JsMsg): Promise<void> {
    const reply = (msg as unknown as { msg?: { reply?: string } }).msg?.reply;
    const client = this.#options.connection.client;
    if (!reply || !client) {
      msg.term();
      return;
    }
    try {
      await client.request(reply, TERM, { timeout: 5000 });
    } catch {
      // Unconfirmed: send it once more without waiting; terminating twice is harmless.
      client.publish(reply, TERM);
    }
  }

  /** Publishes a copy to the dead-letter subject with JetStream's acknowledgement. */
  async #deadLetter(
    data: Uint8Array,
    original: MsgHdrs | undefined,
    facts: { subject: string; sequence: number; deliveries: number; reason: string },
  ): Promise<boolean> {
    const subject = this.#options.deadLetterSubject!;
    const headers = natsHeaders();
    if (original) {
      for (const [name, values] of original) {
        if (name.toLowerCase().startsWith('nats-')) continue;
        for (const value of values) headers.append(name, value);
      }
    }
    headers.set(DEAD_LETTER_HEADERS.stream, this.stream);
    headers.set(DEAD_LETTER_HEADERS.subject, facts.subject);
    headers.set(DEAD_LETTER_HEADERS.sequence, String(facts.sequence));
    headers.set(DEAD_LETTER_HEADERS.deliveries, String(facts.deliveries));
    headers.set(DEAD_LETTER_HEADERS.reason, facts.reason.replace(/[\r\n]+/g, ' ').slice(0, 200));
    // The same dead-lettered message is stored once even if two engines race to dead-letter it.
    headers.set('Nats-Msg-Id', `mediary-dlq-${this.stream}-${facts.sequence}`);
    try {
      const js = await this.#options.connection.jetstream();
      await js.publish(subject, data, { headers });
      return true;
    } catch (error) {
      this.#report(
        natsErrors.DEAD_LETTER_FAILED(
          { stream: this.stream, sequence: facts.sequence, subject, reason: reasonOf(error) },
          { cause: error },
        ),
        'jetstream message could not be dead-lettered',
      );
      return false;
    }
  }

  /**
   * Messages that ran out of deliveries by ack timeouts never fail in a route here; the server announces
   * them with an advisory. One source of each durable (a queue group) fetches and dead-letters them.
   */
  async #watchAdvisories(): Promise<void> {
    if (this.#options.deadLetterSubject === undefined) return;
    const client = await this.#options.connection.whenOpen(this.#options.connection.connectTimeoutMs);
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.stream}.${this.durable}`;
    this.#advisories = client.subscribe(subject, {
      queue: `mediary-dlq.${this.stream}.${this.durable}`,
      callback: (error, msg) => {
        if (error || this.#stopping) return;
        this.#deadLetterExhausted(msg.data).catch(() => undefined);
      },
    });
  }

  async #deadLetterExhausted(data: Uint8Array): Promise<void> {
    let advisory: { stream_seq?: number; deliveries?: number };
    try {
      advisory = JSON.parse(Buffer.from(data).toString('utf8')) as typeof advisory;
    } catch {
      return;
    }
    const sequence = advisory.stream_seq;
    if (sequence === undefined) return;
    const deliveries = advisory.deliveries ?? this.#maxDeliver;
    const jsm = await this.#options.connection.jetstreamManager();
    const stored = await jsm.streams.getMessage(this.stream, { seq: sequence }).catch(() => null);
    if (!stored) return;
    const published = await this.#deadLetter(stored.data, stored.header, {
      subject: stored.subject,
      sequence,
      deliveries,
      reason: 'its acknowledgement wait expired on every delivery',
    });
    this.#report(
      natsErrors.POISON_MESSAGE({
        stream: this.stream,
        sequence,
        deliveries,
        action: published ? 'dead-lettered after its acknowledgement wait expired' : 'left in the stream',
      }),
      'jetstream message ran out of deliveries',
    );
  }

  #report(error: MediaryError, message: string): void {
    this.#options.connection.report(this.name, error, message, {
      stream: this.stream,
      durable: this.durable,
    });
  }
}

/**
 * Creates a source that consumes a JetStream stream through a durable consumer, acknowledging each message
 * only once its route finished.
 *
 * @example
 * const nats = natsConnection({ servers: 'nats://127.0.0.1:4222', name: 'billing' });
 * await declareStream(nats, { name: 'ORDERS', subjects: ['orders.>'] });
 * engine.addSource(
 *   jetStreamSource({
 *     connection: nats,
 *     stream: 'ORDERS',
 *     durable: 'billing',
 *     filterSubject: 'orders.created',
 *     route: 'bill-order',
 *     ackWaitMs: 30_000,
 *     maxDeliver: 5,
 *     onFailure: 'nak',
 *     deadLetterSubject: 'dead.orders',
 *   }),
 * );
 */
export function jetStreamSource(options: JetStreamSourceOptions): JetStreamSource {
  return new JetStreamSource(options);
}
