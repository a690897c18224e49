import { createHarness, type MockEndpoint } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { EngineEvents } from '../bus.js';
import { sleep } from '../clock.js';
import { type Endpoint, functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { type CircuitBreakerOptions, circuitBreaker } from './index.js';

type StateEvent = EngineEvents['endpoint:state'][0];

const down = () => coreErrors.ENDPOINT_FAILED({ endpoint: 'backend', reason: 'connection refused' });
const START = Date.UTC(2026, 0, 1);

/** A breaker over the mock `backend`, the state events it emits, and a way to send one message through it. */
async function setup(options: CircuitBreakerOptions) {
  const h = await createHarness();
  const backend = h.mock('backend').reply({ json: { up: true } });
  const breaker = circuitBreaker(options)(backend);
  const events: StateEvent[] = [];
  h.engine.bus.on('endpoint:state', (e) => events.push(e));
  const send = (endpoint: Endpoint = breaker) => h.send([call(endpoint), respond()]);
  const transitions = () => events.map((e) => `${e.from}->${e.to}`);
  return { h, backend, breaker, events, send, transitions };
}

async function failTimes(t: { backend: MockEndpoint; send: () => Promise<unknown> }, n: number) {
  for (let i = 0; i < n; i++) {
    t.backend.failOnce(down());
    await t.send();
  }
}

const base = { failureThreshold: 3, initialSuspendMs: 1000, suspendMultiplier: 2, maxSuspendMs: 3000 };

describe('circuitBreaker', () => {
  it('starts active and stays active while calls succeed, emitting nothing', async () => {
    const t = await setup(base);
    await using _h = t.h;
    expect(t.breaker.state).toBe('active');
    expect((await t.send()).ok).toBe(true);
    expect(t.breaker.state).toBe('active');
    expect(t.events).toEqual([]);
    expect(t.breaker.name).toBe('backend');
  });

  it('goes from active to failing on the first failure, and counts failures below the threshold', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 1);
    expect(t.breaker.state).toBe('failing');
    expect(t.breaker.failures).toBe(1);
    expect(t.events).toEqual([{ endpoint: 'backend', from: 'active', to: 'failing', at: START }]);
    await failTimes(t, 1);
    expect(t.breaker.state).toBe('failing');
    expect(t.breaker.failures).toBe(2);
    expect(t.events).toHaveLength(1);
  });

  it('goes from failing back to active on a success and forgets the failures', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 2);
    expect((await t.send()).ok).toBe(true);
    expect(t.breaker.state).toBe('active');
    expect(t.breaker.failures).toBe(0);
    await failTimes(t, 2);
    expect(t.breaker.state).toBe('failing');
    expect(t.transitions()).toEqual(['active->failing', 'failing->active', 'active->failing']);
  });

  it('goes from failing to suspended at the threshold and then fails fast with ENDPOINT_SUSPENDED', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 3);
    expect(t.breaker.state).toBe('suspended');
    expect(t.breaker.suspendedUntil).toBe(START + 1000);
    expect(t.transitions()).toEqual(['active->failing', 'failing->suspended']);
    await t.h.clock.tick(400);
    const result = await t.send();
    expect(t.backend.calls).toHaveLength(3);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('MEDIARY_ENDPOINT_SUSPENDED');
    expect(result.error.status).toBe(503);
    expect(result.error.retryable).toBe(true);
    expect(result.error.details.retryAfterMs).toBe(600);
  });

  it('goes from active straight to suspended when the threshold is one failure', async () => {
    const t = await setup({ ...base, failureThreshold: 1 });
    await using _h = t.h;
    await failTimes(t, 1);
    expect(t.breaker.state).toBe('suspended');
    expect(t.transitions()).toEqual(['active->suspended']);
  });

  it('stays suspended until the suspension ends, then lets the next call through as a half-open probe', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 3);
    await t.h.clock.tick(999);
    expect((await t.send()).ok).toBe(false);
    expect(t.breaker.state).toBe('suspended');
    await t.h.clock.tick(1);
    // No timer of its own: the state changes when the next call arrives.
    expect(t.breaker.state).toBe('suspended');
    t.backend.delay(100);
    const probe = t.send();
    await t.h.clock.tick(0);
    expect(t.breaker.state).toBe('half-open');
    expect(t.events.at(-1)).toEqual({
      endpoint: 'backend',
      from: 'suspended',
      to: 'half-open',
      at: START + 1000,
    });
    await t.h.clock.tick(100);
    expect((await probe).ok).toBe(true);
  });

  it('fails other calls fast while the half-open probe is in flight', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 3);
    await t.h.clock.tick(1000);
    t.backend.delay(100);
    const probe = t.send();
    await t.h.clock.tick(0);
    const other = await t.send();
    expect(!other.ok && other.error.code).toBe('MEDIARY_ENDPOINT_SUSPENDED');
    expect(t.backend.calls).toHaveLength(4);
    await t.h.clock.tick(100);
    expect((await probe).ok).toBe(true);
  });

  it('goes from half-open to active when the probe succeeds, and the next suspension starts short again', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 3);
    await t.h.clock.tick(1000);
    await failTimes(t, 1); // probe fails: suspended for 2000
    expect(t.breaker.suspendedUntil).toBe(START + 1000 + 2000);
    await t.h.clock.tick(2000);
    expect((await t.send()).ok).toBe(true);
    expect(t.breaker.state).toBe('active');
    expect(t.breaker.suspendedUntil).toBeUndefined();
    await failTimes(t, 3);
    expect(t.breaker.suspendedUntil).toBe(t.h.clock.now() + 1000);
    expect(t.transitions()).toEqual([
      'active->failing',
      'failing->suspended',
      'suspended->half-open',
      'half-open->suspended',
      'suspended->half-open',
      'half-open->active',
      'active->failing',
      'failing->suspended',
    ]);
  });

  it('goes from half-open back to suspended for longer when the probe fails, up to maxSuspendMs', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 3);
    const durations: number[] = [t.breaker.suspendedUntil! - t.h.clock.now()];
    for (let i = 0; i < 3; i++) {
      await t.h.clock.tick(durations.at(-1)!);
      await failTimes(t, 1);
      expect(t.breaker.state).toBe('suspended');
      durations.push(t.breaker.suspendedUntil! - t.h.clock.now());
    }
    expect(durations).toEqual([1000, 2000, 3000, 3000]);
  });

  it('needs every one of halfOpenProbes trial calls to succeed before it is active again', async () => {
    const t = await setup({ ...base, halfOpenProbes: 2 });
    await using _h = t.h;
    await failTimes(t, 3);
    await t.h.clock.tick(1000);
    expect((await t.send()).ok).toBe(true);
    expect(t.breaker.state).toBe('half-open');
    expect((await t.send()).ok).toBe(true);
    expect(t.breaker.state).toBe('active');
  });

  it('counts an error that is not retryable as a sign of life, not a failure', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 2);
    t.backend.failOnce(coreErrors.VALIDATION_FAILED({ reason: 'bad patient' }));
    const result = await t.send();
    expect(!result.ok && result.error.code).toBe('MEDIARY_VALIDATION_FAILED');
    expect(t.breaker.state).toBe('active');
  });

  it('counts what isFailure says', async () => {
    const t = await setup({
      ...base,
      failureThreshold: 1,
      isFailure: (e) => e.code === 'MEDIARY_VALIDATION_FAILED',
    });
    await using _h = t.h;
    await failTimes(t, 1);
    expect(t.breaker.state).toBe('active');
    t.backend.failOnce(coreErrors.VALIDATION_FAILED({ reason: 'x' }));
    await t.send();
    expect(t.breaker.state).toBe('suspended');
  });

  it('does not count a call its own message cancelled', async () => {
    const t = await setup({ ...base, failureThreshold: 1 });
    await using _h = t.h;
    t.backend.delay(1000);
    const controller = new AbortController();
    const pending = t.h.send([call(t.breaker)], {}, { signal: controller.signal });
    await t.h.clock.tick(10);
    controller.abort('client went away');
    expect((await pending).ok).toBe(false);
    expect(t.breaker.state).toBe('active');
  });

  it('gives a cancelled probe its trial slot back', async () => {
    const t = await setup(base);
    await using _h = t.h;
    await failTimes(t, 3);
    await t.h.clock.tick(1000);
    t.backend.delay(1000);
    const controller = new AbortController();
    const cancelled = t.h.send([call(t.breaker)], {}, { signal: controller.signal });
    await t.h.clock.tick(10);
    controller.abort('client went away');
    await cancelled;
    expect(t.breaker.state).toBe('half-open');
    t.backend.delay(0);
    expect((await t.send()).ok).toBe(true);
    expect(t.breaker.state).toBe('active');
  });

  it('ignores the late failure of a call admitted before the endpoint was suspended', async () => {
    await using h = await createHarness();
    const events: StateEvent[] = [];
    h.engine.bus.on('endpoint:state', (e) => events.push(e));
    let n = 0;
    const backend = functionEndpoint('backend', async (_message, ctx) => {
      const call = ++n;
      if (call === 1) await sleep(ctx.engine.clock, 2000, ctx.signal); // slow, then fails
      if (call <= 2) throw down();
      return { json: { up: true } };
    });
    const breaker = circuitBreaker({ ...base, failureThreshold: 1 })(backend);
    const slow = h.send([call(breaker)]); // admitted while active; fails at START + 2000
    await h.clock.tick(0);
    await h.send([call(breaker)]); // fails at once: suspended until START + 1000
    await h.clock.tick(1000);
    expect((await h.send([call(breaker)])).ok).toBe(true); // the probe: active again
    await h.clock.tick(1000);
    expect((await slow).ok).toBe(false);
    // Its failure belongs to the time before the suspension, so it does not suspend the recovered endpoint.
    expect(breaker.state).toBe('active');
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual([
      'active->suspended',
      'suspended->half-open',
      'half-open->active',
    ]);
  });

  it('keeps separate state for each endpoint it wraps', async () => {
    await using h = await createHarness();
    const wrap = circuitBreaker({ failureThreshold: 1 });
    const a = wrap(h.mock('a').fail(down()));
    const b = wrap(h.mock('b'));
    await h.send([call(a)]);
    await h.send([call(b)]);
    expect(a.state).toBe('suspended');
    expect(b.state).toBe('active');
  });

  it('rejects options outside their ranges', () => {
    const invalid = expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' });
    expect(() => circuitBreaker({ failureThreshold: 0 })).toThrow(invalid);
    expect(() => circuitBreaker({ suspendMultiplier: 0.5 })).toThrow(invalid);
    expect(() => circuitBreaker({ halfOpenProbes: 1.5 })).toThrow(invalid);
  });
});
