import { createFakeClock, type FakeClock } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../engine.js';
import { defineErrors } from '../errors.js';
import type { Logger } from '../logger.js';
import { createAttachedEngines } from './attached-engines.js';
import {
  type ConnectionLifecycleOptions,
  createConnectionLifecycle,
  type ReconnectPlan,
} from './connection-lifecycle.js';

const testErrors = defineErrors({
  UNAVAILABLE: {
    code: 'MEDIARY_TEST_BROKER_UNAVAILABLE',
    message: 'Broker not connected within {timeoutMs} ms',
    status: 503,
    retryable: true,
  },
  CONNECTION_LOST: {
    code: 'MEDIARY_TEST_BROKER_LOST',
    message: 'Broker connection lost',
    status: 503,
    retryable: true,
  },
});

/**
 * A lifecycle over a pretend broker: `attempts` holds each connect attempt's `current()` check, and the
 * test decides how each attempt ends.
 */
function pretendBroker(clock: FakeClock, options: Partial<ConnectionLifecycleOptions<string>> = {}) {
  const engines = createAttachedEngines({ name: 'broker', clock });
  const attempts: Array<() => boolean> = [];
  const disconnected: Array<string | undefined> = [];
  const lifecycle = createConnectionLifecycle<string>({
    engines,
    source: 'test:broker',
    backoff: { initialDelayMs: 100, maxDelayMs: 400 },
    connect: (current) => attempts.push(current),
    disconnect: async (open) => {
      disconnected.push(open);
    },
    unavailable: (timeoutMs, cause) => testErrors.UNAVAILABLE({ timeoutMs }, { cause }),
    ...options,
  });
  return { engines, lifecycle, attempts, disconnected };
}

/** An engine whose `source:error` events and warnings go to `timeline`, each marked with `label`. */
function watchedEngine(clock: FakeClock, label: string, timeline: string[]): Engine {
  const logger: Logger = {
    debug: () => undefined,
    info: (message) => timeline.push(`${label} info ${message}`),
    warn: (message, fields) => timeline.push(`${label} warn ${message} ${JSON.stringify(fields)}`),
    error: (message) => timeline.push(`${label} error ${message}`),
    child: () => logger,
  };
  const engine = createEngine({ clock, logger });
  engine.bus.on('source:error', ({ source, error }) =>
    timeline.push(`${label} source:error ${source} ${error.code}`),
  );
  return engine;
}

describe('connection lifecycle', () => {
  it('connects for its first user and lets go of the broker when the last one leaves', async () => {
    const { lifecycle, attempts, disconnected } = pretendBroker(createFakeClock());
    lifecycle.acquire();
    lifecycle.acquire();
    expect(lifecycle.state).toBe('connecting');
    expect(attempts).toHaveLength(1);
    lifecycle.opened('client-1');
    expect(lifecycle.state).toBe('open');
    await lifecycle.release();
    expect(disconnected).toEqual([]);
    await lifecycle.release();
    await lifecycle.release();
    expect(lifecycle.state).toBe('idle');
    expect(lifecycle.users).toBe(0);
    expect(disconnected).toEqual(['client-1']);
    expect(attempts[0]?.()).toBe(false);
  });

  it('closes whoever still uses it, and connects again on the next acquire', async () => {
    const { lifecycle, attempts, disconnected } = pretendBroker(createFakeClock());
    lifecycle.acquire();
    lifecycle.acquire();
    await lifecycle.close();
    expect(lifecycle.users).toBe(0);
    expect(disconnected).toEqual([undefined]);
    lifecycle.acquire();
    expect(attempts).toHaveLength(2);
    expect(attempts.map((current) => current())).toEqual([false, true]);
  });

  it('waits for ready() before it connects, and connects once asked again', () => {
    let ready = false;
    const { lifecycle, attempts } = pretendBroker(createFakeClock(), { ready: () => ready });
    lifecycle.acquire();
    expect(lifecycle.state).toBe('idle');
    lifecycle.connectIfUsed();
    expect(attempts).toHaveLength(0);
    ready = true;
    lifecycle.connectIfUsed();
    expect(lifecycle.state).toBe('connecting');
    expect(attempts).toHaveLength(1);
  });

  it('hands the client to callers that waited while it connected', async () => {
    const { lifecycle } = pretendBroker(createFakeClock());
    lifecycle.acquire();
    const waiting = lifecycle.whenOpen(1000);
    lifecycle.opened('client-1');
    expect(await waiting).toBe('client-1');
    expect(await lifecycle.whenOpen(1000)).toBe('client-1');
  });

  it("fails a waiter after its timeout on the clock with the transport's retryable error and the last failure as cause", async () => {
    const clock = createFakeClock();
    const { lifecycle } = pretendBroker(clock);
    lifecycle.acquire();
    lifecycle.lost(testErrors.CONNECTION_LOST());
    let settled = false;
    const outcome = lifecycle
      .whenOpen(1000)
      .catch((error: unknown) => error)
      .finally(() => {
        settled = true;
      });
    // What a client's 'error' event during the next attempt records.
    const refused = testErrors.CONNECTION_LOST({}, { cause: new Error('connect ECONNREFUSED') });
    lifecycle.lastError = refused;
    await clock.tick(999);
    expect(settled).toBe(false);
    await clock.tick(1);
    expect(await outcome).toMatchObject({
      code: 'MEDIARY_TEST_BROKER_UNAVAILABLE',
      retryable: true,
      details: { timeoutMs: 1000 },
      cause: refused,
    });
  });

  it('says at once that an unused connection is not open, and fails waiters when it closes', async () => {
    const { lifecycle } = pretendBroker(createFakeClock());
    await expect(lifecycle.whenOpen(1000)).rejects.toMatchObject({
      code: 'MEDIARY_TEST_BROKER_UNAVAILABLE',
      cause: new Error('the connection is not in use'),
    });
    lifecycle.acquire();
    const waiting = lifecycle.whenOpen(1000);
    await lifecycle.close();
    await expect(waiting).rejects.toMatchObject({
      code: 'MEDIARY_TEST_BROKER_UNAVAILABLE',
      details: { timeoutMs: 0 },
      cause: new Error('the connection was closed'),
    });
  });

  it('reconnects with exponential back-off on the clock, reporting each loss on every attached engine', async () => {
    const clock = createFakeClock();
    const { engines, lifecycle, attempts } = pretendBroker(clock);
    const timeline: string[] = [];
    const first = watchedEngine(clock, 'a', timeline);
    const second = watchedEngine(clock, 'b', timeline);
    engines.attach(first);
    engines.attach(second);
    const plan: ReconnectPlan = {
      warning: (delayMs) => `broker connection lost, reconnecting in ${delayMs}ms`,
      event: (bus, down) =>
        timeline.push(
          `${bus === first.bus ? 'a' : 'b'} disconnected #${down.attempt} in ${down.reconnectInMs}ms`,
        ),
    };
    lifecycle.acquire();
    lifecycle.opened('client-1');
    const lost = testErrors.CONNECTION_LOST();
    lifecycle.lost(lost, plan);
    expect(lifecycle.state).toBe('reconnecting');
    expect(lifecycle.handle).toBeUndefined();
    expect(lifecycle.lastError).toBe(lost);
    const fields = (attempt: number) =>
      `{"connection":"broker","attempt":${attempt},"code":"MEDIARY_TEST_BROKER_LOST","reason":"Broker connection lost"}`;
    expect(timeline.splice(0)).toEqual([
      'a source:error test:broker MEDIARY_TEST_BROKER_LOST',
      'a disconnected #1 in 100ms',
      `a warn broker connection lost, reconnecting in 100ms ${fields(1)}`,
      'b source:error test:broker MEDIARY_TEST_BROKER_LOST',
      'b disconnected #1 in 100ms',
      `b warn broker connection lost, reconnecting in 100ms ${fields(1)}`,
    ]);

    const delays: number[] = [];
    for (const delay of [100, 200, 400]) {
      await clock.tick(delay - 1);
      const before = attempts.length;
      await clock.tick(1);
      expect(attempts).toHaveLength(before + 1);
      lifecycle.lost(lost, { ...plan, event: (_bus, down) => delays.push(down.reconnectInMs) });
    }
    // Once per attached engine.
    expect(delays).toEqual([200, 200, 400, 400, 400, 400]);
    expect(timeline.at(-1)).toBe(`b warn broker connection lost, reconnecting in 400ms ${fields(4)}`);

    await clock.tick(400);
    expect(lifecycle.opened('client-2')).toEqual({ attempts: 4, downtimeMs: 1100 });
    expect(lifecycle.lastError).toBeUndefined();
    expect(lifecycle.opened('client-2')).toBeUndefined();
  });

  it('reconnects quietly after the delay it was given when the transport dropped the connection itself', async () => {
    const clock = createFakeClock();
    const { engines, lifecycle, attempts } = pretendBroker(clock);
    const timeline: string[] = [];
    engines.attach(watchedEngine(clock, 'a', timeline));
    lifecycle.acquire();
    lifecycle.opened('client-1');
    lifecycle.lost(testErrors.CONNECTION_LOST(), { delayMs: 30 });
    await clock.tick(29);
    expect(attempts).toHaveLength(1);
    await clock.tick(1);
    expect(attempts).toHaveLength(2);
    expect(timeline).toEqual([]);
  });

  it('keeps handing out a client that reconnects by itself, and counts the outage', async () => {
    const clock = createFakeClock();
    const { lifecycle, attempts } = pretendBroker(clock);
    lifecycle.acquire();
    lifecycle.opened('client-1');
    lifecycle.interrupted(testErrors.CONNECTION_LOST());
    expect(lifecycle.state).toBe('reconnecting');
    expect(await lifecycle.whenOpen(1000)).toBe('client-1');
    await clock.tick(250);
    expect(attempts).toHaveLength(1);
    expect(lifecycle.opened('client-1')).toEqual({ attempts: 0, downtimeMs: 250 });
    expect(lifecycle.state).toBe('open');
  });

  it('tells an attempt that a newer one replaced it, and stops reconnecting once the last user left', async () => {
    const clock = createFakeClock();
    const { lifecycle, attempts } = pretendBroker(clock);
    lifecycle.acquire();
    lifecycle.lost(testErrors.CONNECTION_LOST());
    await clock.tick(100);
    expect(attempts.map((current) => current())).toEqual([false, true]);
    lifecycle.lost(testErrors.CONNECTION_LOST());
    await lifecycle.release();
    expect(attempts[1]?.()).toBe(false);
    await clock.tick(10_000);
    expect(attempts).toHaveLength(2);
    expect(clock.pending).toBe(0);
    expect(lifecycle.state).toBe('idle');
  });
});
