/**
 * Runs the transport conformance suite against a reference transport held in memory: a queue with
 * acknowledgements, requeue, a dead-letter list and delivery counts, and a source that settles each message
 * from its route's result. It proves the suite states a contract a transport can meet without any broker,
 * and shows a transport author what each test expects.
 */
import {
  coreErrors,
  createMessage,
  type Engine,
  type Exchange,
  type Mediator,
  type Source,
  sequence,
} from '@mediary/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceSourceSpec, describeTransportConformance } from './transport.js';
import { createLatch, eventually } from './waiting.js';

interface Stored {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  deliveries: number;
}

/** A queue as a broker keeps it: ready messages, unacknowledged ones, and a dead-letter list. */
class MemoryQueue {
  readonly ready: Stored[] = [];
  readonly unacked = new Set<Stored>();
  readonly dead: Stored[] = [];
  readonly #listeners = new Set<() => void>();

  publish(body: string, headers: Readonly<Record<string, string>> = {}): void {
    this.ready.push({ body, headers, deliveries: 0 });
    this.#notify();
  }

  take(): Stored | undefined {
    const next = this.ready.shift();
    if (next) {
      next.deliveries++;
      this.unacked.add(next);
    }
    return next;
  }

  ack(message: Stored): void {
    this.unacked.delete(message);
  }

  requeue(message: Stored): void {
    this.unacked.delete(message);
    this.ready.unshift(message);
    this.#notify();
  }

  deadLetter(message: Stored): void {
    this.unacked.delete(message);
    this.dead.push(message);
  }

  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    // Asynchronously, as a broker's deliveries arrive.
    setImmediate(() => {
      for (const listener of [...this.#listeners]) listener();
    });
  }
}

/** The reference source: at most `prefetch` in flight; settles each message from its exchange. */
function memorySource(queue: MemoryQueue, spec: ConformanceSourceSpec): Source {
  const inFlight = new Set<Promise<void>>();
  let engine: Engine | undefined;
  let route: Mediator | undefined;
  let unlisten: (() => void) | undefined;
  let stopping = false;

  const settle = (message: Stored, exchange: Exchange) => {
    if (exchange.ok) return queue.ack(message);
    if (coreErrors.ENGINE_STOPPING.is(exchange.error) || (stopping && exchange.context.signal.aborted)) {
      return queue.requeue(message);
    }
    if (spec.onFailure === 'dead-letter') return queue.deadLetter(message);
    if (spec.maxDeliveries !== undefined && message.deliveries >= spec.maxDeliveries) {
      return queue.deadLetter(message);
    }
    return queue.requeue(message);
  };

  const pump = () => {
    while (!stopping && inFlight.size < spec.prefetch) {
      const message = queue.take();
      if (!message) return;
      const handled = engine!
        .dispatch(route!, createMessage({ text: message.body, headers: message.headers }), {
          transport: { name: 'memory', params: {}, query: {}, props: { deliveries: message.deliveries } },
        })
        .then((exchange) => settle(message, exchange))
        .finally(() => {
          inFlight.delete(handled);
          pump();
        });
      inFlight.add(handled);
    }
  };

  return {
    name: 'memory',
    async start(e) {
      engine = e;
      stopping = false;
      route = sequence(spec.steps as Mediator[], { name: 'memory' });
      unlisten = queue.listen(pump);
      pump();
    },
    async stop() {
      stopping = true;
      unlisten?.();
    },
    async close() {
      await Promise.allSettled([...inFlight]);
    },
  };
}

describeTransportConformance(
  'in-memory reference',
  async () => {
    const queue = new MemoryQueue();
    return {
      createSource: (spec) => memorySource(queue, spec),
      publish: async (body, headers) => queue.publish(body, headers),
      inspect: {
        pending: async () => queue.ready.length + queue.unacked.size,
        deadLettered: async () => queue.dead.length,
      },
      cleanup: async () => undefined,
    };
  },
  { quietMs: 20, waitMs: 2000 },
);

describe('conformance waiting helpers', () => {
  it('lets a waiting step go on only once the latch is opened', async () => {
    const latch = createLatch();
    let passed = false;
    const waiting = latch.wait().then(() => {
      passed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toBe(false);
    expect(latch.isOpen).toBe(false);
    latch.open();
    await waiting;
    expect(passed).toBe(true);
    expect(latch.isOpen).toBe(true);
  });

  it('rethrows the last failure when an assertion never holds in time', async () => {
    let calls = 0;
    await expect(
      eventually(
        () => {
          calls++;
          throw new Error(`attempt ${calls}`);
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow(/^attempt \d+$/);
    expect(calls).toBeGreaterThan(1);
  });
});
