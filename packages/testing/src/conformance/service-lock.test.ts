import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shareService, takeService } from './service-lock.js';

describe('service lock', () => {
  it('lets readers share a service and keeps a writer waiting until the last one left', async () => {
    const service = `test-${randomUUID()}`;
    const first = await shareService(service, 1000);
    const second = await shareService(service, 1000);
    let taken = false;
    const writer = takeService(service, 5000).then((unlock) => {
      taken = true;
      return unlock;
    });
    first();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(taken).toBe(false);
    second();
    (await writer)();
    expect(taken).toBe(true);
  });

  it('makes a reader wait while a writer holds the service, then lets it in', async () => {
    const service = `test-${randomUUID()}`;
    const unlock = await takeService(service, 1000);
    let shared = false;
    const reader = shareService(service, 5000).then((release) => {
      shared = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(shared).toBe(false);
    unlock();
    (await reader)();
    expect(shared).toBe(true);
  });

  it('gives up after the timeout when the service stays taken', async () => {
    const service = `test-${randomUUID()}`;
    const unlock = await takeService(service, 1000);
    await expect(shareService(service, 150)).rejects.toThrow(/stayed taken/);
    unlock();
  });
});
