import { createFakeClock } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { sleep, systemClock } from './clock.js';

describe('clock', () => {
  it('sleeps on the clock it is given, so a fake clock decides when it wakes', async () => {
    const clock = createFakeClock();
    let woke = false;
    const sleeping = sleep(clock, 500).then(() => {
      woke = true;
    });
    await clock.tick(499);
    expect(woke).toBe(false);
    await clock.tick(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('stops sleeping with the signal reason when aborted, and clears its timer', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const sleeping = sleep(clock, 1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
    await expect(sleep(clock, 1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('keeps the process alive while a real timer is pending, like setTimeout', () => {
    const handle = systemClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(true);
    systemClock.clearTimeout(handle);
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
  });
});
