import { createHarness, type Harness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../clock.js';
import type { MessageContext } from '../context.js';
import { type ScheduledTask, type ScheduledTaskOptions, scheduledTask } from './scheduled-task.js';

interface Run {
  readonly at: number;
  readonly body: unknown;
}

async function setup(options: Omit<ScheduledTaskOptions, 'name' | 'sequence'>, runMs = 0) {
  const runs: Run[] = [];
  let task!: ScheduledTask;
  const h: Harness = await createHarness((engine) => {
    task = scheduledTask({
      name: 'job',
      sequence: [
        async (ctx: MessageContext) => {
          runs.push({
            at: ctx.engine.clock.now() - start,
            body: ctx.message.isEmpty ? undefined : await ctx.message.json(),
          });
          if (runMs > 0) await sleep(ctx.engine.clock, runMs, ctx.signal);
        },
      ],
      ...options,
    });
    engine.addSource(task);
  });
  const start = h.clock.now();
  await h.engine.start();
  return { h, runs, task, offsets: () => runs.map((r) => r.at) };
}

describe('scheduledTask', () => {
  it('fires a cron expression with seconds at the right fake-clock instants', async () => {
    const { h, offsets } = await setup({ cron: '*/5 * * * * *' });
    await using _ = h;
    await h.clock.tick(4999);
    expect(offsets()).toEqual([]);
    await h.clock.tick(1);
    expect(offsets()).toEqual([5000]);
    await h.clock.tick(15_000);
    expect(offsets()).toEqual([5000, 10_000, 15_000, 20_000]);
  });

  it('fires a five-field expression every minute, on the minute', async () => {
    const { h, offsets, task } = await setup({ cron: '* * * * *' });
    await using _ = h;
    await h.clock.tick(30_000);
    expect(task.nextRunAt! - h.clock.now()).toBe(30_000);
    await h.clock.tick(150_000);
    expect(offsets()).toEqual([60_000, 120_000, 180_000]);
  });

  it('never overlaps itself: ticks that fall inside a slow run are skipped and counted', async () => {
    const { h, offsets, task } = await setup({ every: 1000 }, 2500);
    await using _ = h;
    await h.clock.tick(6000);
    expect(offsets()).toEqual([0, 3000, 6000]);
    expect(task.stats).toMatchObject({ runs: 3, skipped: 4 });
    // Let the last slow run finish, so the engine's stop has nothing to drain.
    await task.stop();
    await h.clock.tick(2500);
  });

  it('overlaps runs when allowOverlap is set', async () => {
    const { h, offsets, task } = await setup({ every: 1000, allowOverlap: true }, 2500);
    await using _ = h;
    await h.clock.tick(3000);
    expect(offsets()).toEqual([0, 1000, 2000, 3000]);
    expect(task.stats.skipped).toBe(0);
    await task.stop();
    await h.clock.tick(2500);
  });

  it('stops after count runs', async () => {
    const { h, offsets, task } = await setup({ every: 1000, delayMs: 500, count: 3 });
    await using _ = h;
    await h.clock.tick(10_000);
    expect(offsets()).toEqual([500, 1500, 2500]);
    expect(task.nextRunAt).toBeUndefined();
    expect(h.clock.pending).toBe(0);
  });

  it('starts each run with the message it builds for that run', async () => {
    const { h, runs } = await setup({
      every: 1000,
      count: 2,
      message: (tick) => ({ json: { run: tick.run } }),
    });
    await using _ = h;
    await h.clock.tick(1000);
    expect(runs.map((r) => r.body)).toEqual([{ run: 1 }, { run: 2 }]);
  });

  it('stops firing when the engine stops', async () => {
    const { h, offsets } = await setup({ every: 1000 });
    await h.clock.tick(1000);
    await h.engine.stop();
    await h.clock.tick(5000);
    expect(offsets()).toEqual([0, 1000]);
    expect(h.clock.pending).toBe(0);
    await h.close();
  });

  it('refuses an invalid cron expression or a missing schedule', () => {
    expect(() => scheduledTask({ name: 'x', cron: 'not a cron', sequence: [] })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_SCHEDULE_INVALID' }),
    );
    expect(() => scheduledTask({ name: 'x', sequence: [] })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_SCHEDULE_INVALID' }),
    );
  });
});
