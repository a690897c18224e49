/**
 * The conformance suite every broker transport runs (AMQP, MQTT, NATS…): one contract, stated as tests
 * against a real broker.
 *
 * The contract:
 * - a message is acknowledged only after its route finished — while the route runs, the broker still
 *   holds the message;
 * - a route that drops the message acknowledges it;
 * - a failed route gives the message back: redelivered under `requeue`, moved to the dead-letter place
 *   under `dead-letter`;
 * - a poison message (failing every time) is delivered at most `maxDeliveries` times, then dead-lettered;
 * - a route interrupted by shutdown gives its message back for redelivery, whatever `onFailure` says;
 * - `stop()` takes no new messages and lets the ones in flight finish and be acknowledged;
 * - at most `prefetch` messages are in flight; with `prefetch: 1` messages arrive in publish order;
 * - body bytes and custom headers arrive as published.
 *
 * A transport that cannot do something (MQTT has no negative acknowledgement, so no requeue and no
 * dead-letter place of the broker's own) says so in `capabilities`, and the tests of that part are not
 * declared.
 *
 * @module
 */
import {
  createEngine,
  type Engine,
  type MessageContext,
  type Outcome,
  type Source,
  type Step,
  silentLogger,
} from '@mediary/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLatch, eventually, pause } from './waiting.js';

/** What the suite asks a transport's source to do. */
export interface ConformanceSourceSpec {
  /** The steps each received message runs through (the route). */
  readonly steps: readonly Step[];
  /** What a failed route does to its message. */
  readonly onFailure: 'requeue' | 'dead-letter';
  /** Deliveries after which a failing message is dead-lettered; `undefined`: unbounded. */
  readonly maxDeliveries?: number;
  /** Most messages in flight at once. */
  readonly prefetch: number;
}

/** One test's broker-side setup: a fresh destination (queue, subject, topic) and ways to look at it. */
export interface TransportFixture {
  /** Registers what sources need on the engine (plugins, shared connections). Runs before `start()`. */
  setupEngine?(engine: Engine): void | Promise<void>;
  /** A source consuming this fixture's destination. */
  createSource(spec: ConformanceSourceSpec): Source;
  /** Publishes one message to the destination; resolves once the broker has it. */
  publish(body: string, headers?: Readonly<Record<string, string>>): Promise<void>;
  readonly inspect: {
    /** Messages the broker still holds for the destination: waiting ones and delivered-but-unacknowledged ones. */
    pending(): Promise<number>;
    /** Messages in the destination's dead-letter place. */
    deadLettered(): Promise<number>;
  };
  /** Removes what the fixture created. */
  cleanup(): Promise<void>;
}

/** What a transport can do. Everything defaults to true. */
export interface TransportCapabilities {
  /** A failed message can be given back for redelivery. */
  readonly requeue: boolean;
  /** A failed message can be moved to a dead-letter place. */
  readonly deadLetter: boolean;
  /** Deliveries of a failing message can be bounded. */
  readonly maxDeliveries: boolean;
  /** Custom headers travel with the message. */
  readonly headers: boolean;
  /** With `prefetch: 1`, messages arrive in publish order. */
  readonly ordering: boolean;
}

export interface TransportConformanceOptions {
  readonly capabilities?: Partial<TransportCapabilities>;
  /** How long to wait for the broker to show an effect. Default 10 000 ms. */
  readonly waitMs?: number;
  /**
   * How long to give the broker to do what it must not (redeliver, deliver to a stopped consumer) before
   * asserting it did not. Default 300 ms.
   */
  readonly quietMs?: number;
}

/**
 * Declares the transport conformance tests. `factory` runs before each test and returns a fixture with a
 * destination of its own.
 *
 * @example
 * describeTransportConformance('amqp', async () => {
 *   const queue = uniqueName('conformance');
 *   return {
 *     createSource: (spec) => amqpSource({ connection, queue, route: spec.steps, prefetch: spec.prefetch, ... }),
 *     publish: (body, headers) => publishToQueue(queue, body, headers),
 *     inspect: { pending: () => depth(queue), deadLettered: () => depth(`${queue}.dead`) },
 *     cleanup: () => deleteQueues(queue),
 *   };
 * });
 */
export function describeTransportConformance(
  name: string,
  factory: () => Promise<TransportFixture>,
  options: TransportConformanceOptions = {},
): void {
  const can: TransportCapabilities = {
    requeue: true,
    deadLetter: true,
    maxDeliveries: true,
    headers: true,
    ordering: true,
    ...options.capabilities,
  };
  const wait = { timeoutMs: options.waitMs ?? 10_000, intervalMs: 100 };
  const quietMs = options.quietMs ?? 300;

  describe(`transport conformance: ${name}`, () => {
    let fixture: TransportFixture;
    let engine: Engine | undefined;
    let source: Source | undefined;

    beforeEach(async () => {
      fixture = await factory();
    });

    afterEach(async () => {
      await engine?.stop({ timeoutMs: 1000 });
      engine = undefined;
      source = undefined;
      await fixture.cleanup();
    });

    /** Starts an engine whose source runs `steps` for each message. */
    const consume = async (spec: Partial<ConformanceSourceSpec> & Pick<ConformanceSourceSpec, 'steps'>) => {
      engine = createEngine({ name: `conformance-${name}`, logger: silentLogger });
      await fixture.setupEngine?.(engine);
      source = fixture.createSource({ onFailure: 'requeue', prefetch: 10, ...spec });
      engine.addSource(source);
      await engine.start();
      return { engine, source };
    };

    it('delivers a published message once, with its body and headers', async () => {
      const received: Array<{ body: string; headers: Record<string, string>; transport: string }> = [];
      await consume({
        steps: [
          async (ctx: MessageContext) => {
            received.push({
              body: await ctx.message.text(),
              headers: ctx.message.headers.toObject(),
              transport: ctx.transport.name,
            });
          },
        ],
      });
      const headers = { 'x-order-id': '42', 'x-note': 'héllo wörld' };
      await fixture.publish('{"order":42}', headers);
      await eventually(() => expect(received).toHaveLength(1), wait);
      expect(received[0]!.body).toBe('{"order":42}');
      expect(received[0]!.transport).not.toBe('direct');
      if (can.headers) expect(received[0]!.headers).toMatchObject(headers);
      await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
      await pause(quietMs);
      expect(received).toHaveLength(1);
    });

    it('acknowledges a message only after its route finished', async () => {
      const entered = createLatch();
      const latch = createLatch();
      let finished = false;
      await consume({
        steps: [
          async () => {
            entered.open();
            await latch.wait();
            finished = true;
          },
        ],
      });
      await fixture.publish('held');
      await entered.wait();
      try {
        await pause(quietMs);
        // The route is still running: the broker must still hold the message, unacknowledged.
        expect(await fixture.inspect.pending()).toBe(1);
      } finally {
        latch.open();
      }
      await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
      expect(finished).toBe(true);
    });

    it('acknowledges a message whose route drops it', async () => {
      let runs = 0;
      await consume({
        steps: [
          (): Outcome => {
            runs++;
            return 'drop';
          },
          () => {
            throw new Error('a dropped message must not reach the next step');
          },
        ],
      });
      await fixture.publish('filtered out');
      await eventually(() => expect(runs).toBe(1), wait);
      await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
      await pause(quietMs);
      expect(runs).toBe(1);
      if (can.deadLetter) expect(await fixture.inspect.deadLettered()).toBe(0);
    });

    if (can.requeue) {
      it('redelivers a message whose route failed when failures requeue', async () => {
        const bodies: string[] = [];
        await consume({
          onFailure: 'requeue',
          steps: [
            async (ctx: MessageContext) => {
              bodies.push(await ctx.message.text());
              if (bodies.length === 1) throw new Error('backend down');
            },
          ],
        });
        await fixture.publish('try again');
        await eventually(() => expect(bodies).toEqual(['try again', 'try again']), wait);
        await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
        await pause(quietMs);
        expect(bodies).toHaveLength(2);
        if (can.deadLetter) expect(await fixture.inspect.deadLettered()).toBe(0);
      });
    }

    if (can.deadLetter) {
      it('moves a message whose route failed to the dead-letter place when failures dead-letter', async () => {
        let runs = 0;
        await consume({
          onFailure: 'dead-letter',
          steps: [
            () => {
              runs++;
              throw new Error('not valid');
            },
          ],
        });
        await fixture.publish('bad');
        await eventually(async () => expect(await fixture.inspect.deadLettered()).toBe(1), wait);
        await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
        await pause(quietMs);
        expect(runs).toBe(1);
      });
    }

    if (can.maxDeliveries && can.deadLetter) {
      it('stops delivering a poison message after maxDeliveries and dead-letters it', async () => {
        let runs = 0;
        await consume({
          onFailure: 'requeue',
          maxDeliveries: 3,
          steps: [
            () => {
              runs++;
              throw new Error('always fails');
            },
          ],
        });
        await fixture.publish('poison');
        await eventually(async () => expect(await fixture.inspect.deadLettered()).toBe(1), wait);
        await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
        await pause(quietMs);
        expect(runs).toBe(3);
      });
    }

    it('gives a message back for redelivery when shutdown interrupts its route', async () => {
      const entered = createLatch();
      await consume({
        // Even where failures dead-letter: an interrupted route is not the message's fault.
        onFailure: can.deadLetter ? 'dead-letter' : 'requeue',
        steps: [
          async (ctx: MessageContext) => {
            entered.open();
            await new Promise((_, reject) => {
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
            });
          },
        ],
      });
      await fixture.publish('interrupted');
      await entered.wait();
      await engine!.stop({ timeoutMs: 100 });
      await eventually(async () => expect(await fixture.inspect.pending()).toBe(1), wait);
      if (can.deadLetter) expect(await fixture.inspect.deadLettered()).toBe(0);
    });

    it('stops taking messages on stop() and lets the one in flight finish', async () => {
      const entered = createLatch();
      const latch = createLatch();
      const bodies: string[] = [];
      let finished = 0;
      const started = await consume({
        steps: [
          async (ctx: MessageContext) => {
            bodies.push(await ctx.message.text());
            entered.open();
            await latch.wait();
            finished++;
          },
        ],
      });
      await fixture.publish('in flight');
      await entered.wait();
      let stopped: Promise<void> | undefined;
      try {
        await started.source.stop();
        await fixture.publish('after stop');
        await pause(quietMs);
        expect(bodies).toEqual(['in flight']);
        // Stopping the engine drains: it resolves only once the in-flight route has finished.
        stopped = started.engine.stop({ timeoutMs: wait.timeoutMs });
      } finally {
        latch.open();
      }
      await stopped;
      expect(finished).toBe(1);
      // The finished one was acknowledged; the one published after stop() waits for the next consumer.
      await eventually(async () => expect(await fixture.inspect.pending()).toBe(1), wait);
      expect(bodies).toEqual(['in flight']);
    });

    it('keeps at most prefetch messages in flight', async () => {
      const latch = createLatch();
      let inFlight = 0;
      let most = 0;
      let done = 0;
      await consume({
        prefetch: 2,
        steps: [
          async () => {
            inFlight++;
            most = Math.max(most, inFlight);
            await latch.wait();
            inFlight--;
            done++;
          },
        ],
      });
      try {
        for (let i = 0; i < 5; i++) await fixture.publish(`m${i}`);
        await eventually(() => expect(inFlight).toBe(2), wait);
        await pause(quietMs);
        expect(most).toBe(2);
      } finally {
        latch.open();
      }
      await eventually(() => expect(done).toBe(5), wait);
      expect(most).toBe(2);
      await eventually(async () => expect(await fixture.inspect.pending()).toBe(0), wait);
    });

    if (can.ordering) {
      it('delivers messages in publish order with prefetch 1', async () => {
        const bodies: string[] = [];
        await consume({
          prefetch: 1,
          steps: [
            async (ctx: MessageContext) => {
              bodies.push(await ctx.message.text());
            },
          ],
        });
        const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
        for (const body of sent) await fixture.publish(body);
        await eventually(() => expect(bodies).toHaveLength(20), wait);
        expect(bodies).toEqual(sent);
      });
    }
  });
}
