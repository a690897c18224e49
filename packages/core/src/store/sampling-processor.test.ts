import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { setVar } from '../mediators/basic.js';
import { createMemoryStore } from './memory-store.js';
import { registerStore } from './registry.js';
import { samplingProcessor } from './sampling-processor.js';
import { store } from './store-mediator.js';

describe('samplingProcessor', () => {
  it('runs at most a batch of messages per interval through the sequence, in order', async () => {
    const seen: Array<[number, unknown, unknown]> = [];
    await using h = await createHarness((engine) => {
      registerStore(engine, createMemoryStore('events', { clock: engine.clock }));
      engine.addSequence('publish', [
        async (ctx: MessageContext) =>
          void seen.push([engine.clock.now(), await ctx.message.json(), ctx.vars.source]),
      ]);
      engine.addSource(
        samplingProcessor({ store: 'events', sequence: 'publish', intervalMs: 1000, batch: 2 }),
      );
    });
    for (const n of [1, 2, 3, 4, 5]) {
      await h.send([setVar('source', 'api'), store('events')], { json: n });
    }
    const start = h.clock.now();
    await h.engine.start();
    await h.clock.tick(0);
    await h.clock.tick(2000);
    expect(seen.map(([at, n, source]) => [at - start, n, source])).toEqual([
      [0, 1, 'api'],
      [0, 2, 'api'],
      [1000, 3, 'api'],
      [1000, 4, 'api'],
      [2000, 5, 'api'],
    ]);
  });

  it('retries a failing message at later ticks, then dead-letters it after maxAttempts', async () => {
    let dlq!: ReturnType<typeof createMemoryStore>;
    let runs = 0;
    await using h = await createHarness((engine) => {
      registerStore(engine, createMemoryStore('events', { clock: engine.clock }));
      dlq = registerStore(engine, createMemoryStore('dlq', { clock: engine.clock })) as typeof dlq;
      engine.addSource(
        samplingProcessor({
          store: 'events',
          sequence: [
            () => {
              runs++;
              throw new Error('publisher down');
            },
          ],
          intervalMs: 1000,
          maxAttempts: 2,
          deadLetterStore: 'dlq',
        }),
      );
    });
    await h.send([store('events')], { json: { n: 1 } });
    await h.engine.start();
    await h.clock.tick(0);
    expect(runs).toBe(1);
    await h.clock.tick(1000);
    expect(runs).toBe(2);
    expect((await dlq.browse()).map((m) => m.attempts)).toEqual([2]);
  });
});
