import { createHarness, settle } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../clock.js';
import { respond, setBody } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { wireTap } from './wire-tap.js';

describe('wireTap', () => {
  it('sends a copy that does not see the main flow change the message', async () => {
    await using h = await createHarness();
    h.mock('audit').reply({ status: 200 });
    const result = await h.send([wireTap('audit'), setBody({ main: true }), respond()], {
      json: { order: 1 },
      headers: { 'x-trace': 't1' },
    });
    expect(await result.message.json()).toEqual({ main: true });
    await settle();
    h.mock('audit').expectCalled(1);
    expect(h.mock('audit').received()).toEqual({ order: 1 });
    expect(h.mock('audit').calls[0]?.headers['x-trace']).toBe('t1');
  });

  it('never fails the main flow when the tap throws, and reports the failure on the bus', async () => {
    await using h = await createHarness();
    const failures: string[] = [];
    h.engine.bus.on('message:failed', (e) => failures.push(`${e.routeId} ${e.error.code}`));
    const tap = wireTap([
      () => {
        throw new Error('tap exploded');
      },
    ]);
    const result = await h.send([tap, setBody('main'), respond()], { json: {} });
    expect(result.ok).toBe(true);
    expect(await result.message.text()).toBe('main');
    await settle();
    expect(failures).toEqual(['test:wireTap MEDIARY_INTERNAL']);
  });

  it('never fails the main flow when the tap target does not exist', async () => {
    await using h = await createHarness();
    const result = await h.send([wireTap('missing-endpoint'), respond()], { json: {} });
    expect(result.ok).toBe(true);
  });

  it('never slows the main flow, even when the tap hangs, and is abandoned on stop', async () => {
    const h = await createHarness();
    let tapStarted = false;
    let tapAborted = false;
    const hanging = wireTap(
      [
        async (ctx) => {
          tapStarted = true;
          try {
            await sleep(ctx.engine.clock, 3_600_000, ctx.signal);
          } catch {
            tapAborted = true;
            // Hang on regardless: a misbehaving tap must still not hold the stop.
            await new Promise(() => {});
          }
        },
      ],
      { drainTimeoutMs: 20 },
    );
    const result = await h.send([hanging, setBody('done'), respond()], { json: {} });
    expect(result.ok).toBe(true);
    expect(tapStarted).toBe(false);
    await settle();
    expect(tapStarted).toBe(true);
    const stopped = Date.now();
    await h.close();
    expect(Date.now() - stopped).toBeLessThan(1000);
    expect(tapAborted).toBe(true);
  });

  it('lets a stopping engine wait for a tap that finishes in time', async () => {
    const h = await createHarness();
    h.mock('audit').reply({ status: 200 });
    await h.send([wireTap([call('audit')]), respond()], { json: { n: 1 } });
    // The engine's own stop (the harness's close removes the mocks before it stops the engine).
    await h.engine.stop();
    h.mock('audit').expectCalled(1);
    await h.close();
  });
});
