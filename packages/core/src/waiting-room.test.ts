import { createFakeClock } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { createWaitingRoom } from './waiting-room.js';

describe('waiting room', () => {
  it('hands the opened value to every waiter and forgets them', async () => {
    const clock = createFakeClock();
    const room = createWaitingRoom<string>();
    const waits = [1, 2].map(() =>
      room.wait({ clock, timeoutMs: 1000, timeoutError: () => new Error('late') }),
    );
    expect(room.size).toBe(2);
    room.open('connected');
    expect(await Promise.all(waits)).toEqual(['connected', 'connected']);
    expect(room.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('fails a waiter whose deadline passes on the clock, and everyone on fail()', async () => {
    const clock = createFakeClock();
    const room = createWaitingRoom<string>();
    const early = room.wait({ clock, timeoutMs: 100, timeoutError: () => new Error('still connecting') });
    const late = room.wait({ clock, timeoutMs: 10_000, timeoutError: () => new Error('never') });
    const earlyFails = expect(early).rejects.toThrow('still connecting');
    await clock.tick(100);
    await earlyFails;
    room.fail(new Error('closed'));
    await expect(late).rejects.toThrow('closed');
  });

  it('gives up when the signal aborts, as a Mediary error', async () => {
    const clock = createFakeClock();
    const room = createWaitingRoom<string>();
    const controller = new AbortController();
    const waiting = room.wait({
      clock,
      timeoutMs: 1000,
      timeoutError: () => new Error('late'),
      signal: controller.signal,
    });
    controller.abort(new Error('client gone'));
    await expect(waiting).rejects.toMatchObject({ code: 'MEDIARY_ABORTED' });
    expect(room.size).toBe(0);
    await expect(
      room.wait({ clock, timeoutMs: 1, timeoutError: () => new Error('x'), signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'MEDIARY_ABORTED',
    });
  });
});
