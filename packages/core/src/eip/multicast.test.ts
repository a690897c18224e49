import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../clock.js';
import { drop, setBody, setVar } from '../mediators/basic.js';
import { clone, multicast } from './multicast.js';

describe('multicast and clone', () => {
  it('sends a copy to every target and collects the replies in target order', async () => {
    await using h = await createHarness();
    h.mock('grandoaks').reply(async () => {
      await sleep(h.clock, 200);
      return { json: { hospital: 'grandoaks', fee: 10 } };
    });
    h.mock('clemency').reply({ json: { hospital: 'clemency', fee: 12 } });
    const pending = h.send([multicast({ targets: ['grandoaks', 'clemency'], collect: { var: 'quotes' } })], {
      json: { doctor: 'x' },
    });
    await h.clock.tick(200);
    const result = await pending;
    expect(result.context.vars.quotes).toEqual([
      { hospital: 'grandoaks', fee: 10 },
      { hospital: 'clemency', fee: 12 },
    ]);
    expect(await result.message.json()).toEqual({ doctor: 'x' });
    expect(h.mock('grandoaks').received()).toEqual({ doctor: 'x' });
  });

  it('gives each target its own message and variables', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        clone({
          targets: [
            [setVar('branch', 'a'), setBody('a')],
            [setVar('branch', 'b'), setBody('b'), drop()],
          ],
          collect: 'body',
        }),
      ],
      { json: 'original' },
    );
    expect(await result.message.json()).toEqual(['a']);
    expect(result.context.vars.branch).toBeUndefined();
  });

  it('fails with the failing target index unless continueOnError is set', async () => {
    await using h = await createHarness();
    h.mock('ok').reply({ json: 1 });
    h.mock('down').fail(new Error('connection refused'));
    const failed = await h.send([multicast({ targets: ['ok', 'down'] })], { json: {} });
    expect(!failed.ok && failed.error.code).toBe('MEDIARY_MULTICAST_TARGET_FAILED');
    expect(!failed.ok && failed.error.details.index).toBe(1);
    const tolerant = await h.send(
      [multicast({ targets: ['ok', 'down'], continueOnError: true, collect: 'body' })],
      {
        json: {},
      },
    );
    expect(await tolerant.message.json()).toEqual([1]);
  });

  it("ends the flow with 'drop' when the original is dropped, as WSO2's clone does", async () => {
    await using h = await createHarness();
    h.mock('a').reply({ status: 200 });
    const result = await h.send([clone({ targets: ['a'], dropOriginal: true })], { json: {} });
    expect(result.ok && result.outcome).toBe('drop');
    h.mock('a').expectCalled(1);
  });
});
