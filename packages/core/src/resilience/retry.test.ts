import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { EngineEvents } from '../bus.js';
import { functionEndpoint } from '../endpoint.js';
import { coreErrors } from '../errors.js';
import { respond } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { createMessage } from '../message.js';
import { retry, timeout } from './index.js';

type RetryEvent = EngineEvents['endpoint:retry'][0];

const failed = () => coreErrors.ENDPOINT_FAILED({ endpoint: 'hospital', reason: 'connection refused' });

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('retry', () => {
  it('retries a retryable error twice then succeeds, backing off exponentially on the clock', async () => {
    await using h = await createHarness();
    const events: RetryEvent[] = [];
    h.engine.bus.on('endpoint:retry', (e) => events.push(e));
    const hospital = h
      .mock('hospital')
      .failOnce(failed())
      .failOnce(failed())
      .reply({ json: { ok: 1 } });
    const endpoint = retry({ maxAttempts: 3, initialDelayMs: 100, multiplier: 2, jitter: 'none' })(hospital);
    const pending = h.send([call(endpoint), respond()]);
    await h.clock.tick(99);
    expect(hospital.calls).toHaveLength(1);
    await h.clock.tick(1);
    expect(hospital.calls).toHaveLength(2);
    await h.clock.tick(199);
    expect(hospital.calls).toHaveLength(2);
    await h.clock.tick(1);
    const result = await pending;
    expect(hospital.calls).toHaveLength(3);
    expect(result.ok && (await result.message.json())).toEqual({ ok: 1 });
    expect(
      events.map(({ endpoint: name, attempt, delayMs, error }) => [name, attempt, delayMs, error.code]),
    ).toEqual([
      ['hospital', 1, 100, 'MEDIARY_ENDPOINT_FAILED'],
      ['hospital', 2, 200, 'MEDIARY_ENDPOINT_FAILED'],
    ]);
  });

  it('does not retry an error that is not retryable', async () => {
    await using h = await createHarness();
    const hospital = h.mock('hospital').fail(coreErrors.VALIDATION_FAILED({ reason: 'no doctor' }));
    const result = await h.send([call(retry({ maxAttempts: 5 })(hospital))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_VALIDATION_FAILED');
    expect(hospital.calls).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
  });

  it('treats anything thrown that is not a Mediary error as not retryable', async () => {
    await using h = await createHarness();
    const hospital = h.mock('hospital').fail(new TypeError('bug'));
    const result = await h.send([call(retry({ maxAttempts: 5 })(hospital))]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_INTERNAL');
    expect(hospital.calls).toHaveLength(1);
  });

  it('throws the last error when the attempts run out', async () => {
    await using h = await createHarness();
    let n = 0;
    const hospital = h
      .mock('hospital')
      .fail(() => coreErrors.ENDPOINT_FAILED({ endpoint: 'h', reason: `try ${++n}` }));
    const pending = h.send([call(retry({ maxAttempts: 3, initialDelayMs: 10, jitter: 'none' })(hospital))]);
    await h.clock.runAll();
    const result = await pending;
    expect(hospital.calls).toHaveLength(3);
    expect(!result.ok && result.error.message).toBe('Endpoint h failed: try 3');
  });

  it('caps the back-off at maxDelayMs and scales it by the random source with full jitter', async () => {
    await using h = await createHarness();
    const delays: number[] = [];
    h.engine.bus.on('endpoint:retry', (e) => delays.push(e.delayMs));
    const hospital = h.mock('hospital').fail(failed());
    const endpoint = retry({
      maxAttempts: 4,
      initialDelayMs: 1000,
      multiplier: 10,
      maxDelayMs: 5000,
      jitter: 'full',
      random: () => 0.5,
    })(hospital);
    const pending = h.send([call(endpoint)]);
    await h.clock.tick(500 + 2500 + 2500);
    await pending;
    expect(delays).toEqual([500, 2500, 2500]);
    expect(hospital.calls).toHaveLength(4);
  });

  it('retries only what retryOn accepts', async () => {
    await using h = await createHarness();
    const hospital = h
      .mock('hospital')
      .failOnce(failed())
      .fail(coreErrors.ENDPOINT_TIMEOUT({ endpoint: 'h', timeoutMs: 1 }));
    const endpoint = retry({
      maxAttempts: 5,
      initialDelayMs: 10,
      jitter: 'none',
      retryOn: (error) => coreErrors.ENDPOINT_FAILED.is(error),
    })(hospital);
    const pending = h.send([call(endpoint)]);
    await h.clock.runAll();
    const result = await pending;
    expect(hospital.calls).toHaveLength(2);
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
  });

  it('stops waiting, and does not retry, when the message is cancelled during the back-off', async () => {
    await using h = await createHarness();
    const hospital = h.mock('hospital').fail(failed());
    const controller = new AbortController();
    const pending = h.send(
      [call(retry({ initialDelayMs: 1000, jitter: 'none' })(hospital))],
      {},
      {
        signal: controller.signal,
      },
    );
    await h.clock.tick(10);
    controller.abort(coreErrors.ENGINE_STOPPING());
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENGINE_STOPPING');
    expect(hospital.calls).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
  });

  it('retries attempts that time out when the timeout sits inside the retry', async () => {
    await using h = await createHarness();
    const hospital = h.mock('hospital').delay(5000);
    const endpoint = retry({ maxAttempts: 2, initialDelayMs: 100, jitter: 'none' })(timeout(1000)(hospital));
    const pending = h.send([call(endpoint)]);
    await h.clock.tick(1000 + 100 + 1000);
    const result = await pending;
    expect(hospital.calls).toHaveLength(2);
    expect(!result.ok && result.error.code).toBe('MEDIARY_ENDPOINT_TIMEOUT');
  });

  it('buffers an unread stream body so that every attempt sends the same bytes', async () => {
    await using h = await createHarness();
    const received: string[] = [];
    let attempts = 0;
    const streaming = functionEndpoint('upload', async (message) => {
      // Reads the body the way a transport does: as a stream.
      const parts: Uint8Array[] = [];
      for await (const chunk of message.stream()) parts.push(chunk);
      received.push(Buffer.concat(parts).toString());
      if (++attempts === 1) throw failed();
      return { text: 'stored' };
    });
    const request = createMessage({ body: chunks('hel', 'lo'), contentType: 'text/plain' });
    const pending = h.send(
      [call(retry({ maxAttempts: 2, initialDelayMs: 1, jitter: 'none' })(streaming))],
      request,
    );
    await h.clock.tick(1);
    const result = await pending;
    expect(result.ok).toBe(true);
    expect(received).toEqual(['hello', 'hello']);
  });

  it('leaves a stream body unread when only one attempt is allowed', async () => {
    await using h = await createHarness();
    let state: string | undefined;
    const peek = functionEndpoint('peek', (message) => {
      state = message.bodyState;
      return { text: 'ok' };
    });
    await h.send([call(retry({ maxAttempts: 1 })(peek))], createMessage({ body: chunks('x') }));
    expect(state).toBe('stream');
  });

  it('fails with BODY_TOO_LARGE, without calling the endpoint, when the body to buffer exceeds the limit', async () => {
    await using h = await createHarness();
    let called = 0;
    const upload = functionEndpoint('upload', () => {
      called++;
      return { text: 'stored' };
    });
    const request = createMessage({
      body: chunks('0123456789'),
      limits: { maxBodyBytes: 4, maxJsonDepth: 10 },
    });
    const result = await h.send([call(retry({ maxAttempts: 2 })(upload))], request);
    expect(!result.ok && result.error.code).toBe('MEDIARY_BODY_TOO_LARGE');
    expect(result.ok || result.error.status).toBe(413);
    expect(called).toBe(0);
  });

  it('rejects options outside their ranges', () => {
    const invalid = expect.objectContaining({ code: 'MEDIARY_ENDPOINT_OPTIONS_INVALID' });
    expect(() => retry({ maxAttempts: 0 })).toThrow(invalid);
    expect(() => retry({ multiplier: 0.5 })).toThrow(invalid);
    expect(() => retry({ initialDelayMs: -1 })).toThrow(invalid);
  });
});
