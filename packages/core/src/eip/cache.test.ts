import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { respond } from '../mediators/basic.js';
import { call } from '../mediators/call.js';
import { cache } from './cache.js';

const byPath = (ctx: MessageContext) => ctx.message.headers.get('x-path') ?? '/';

describe('cache', () => {
  it('serves a hit from the cache and skips the steps', async () => {
    await using h = await createHarness();
    h.mock('doctors').reply({ json: { doctors: ['a'] }, status: 203, headers: { 'x-backend': 'b1' } });
    const route = [cache({ key: byPath, ttlMs: 60_000, steps: [call('doctors')] }), respond()];
    const miss = await h.send(route, { headers: { 'x-path': '/surgery' } });
    const hit = await h.send(route, { headers: { 'x-path': '/surgery' } });
    h.mock('doctors').expectCalled(1);
    expect(miss.context.vars.cacheHit).toBe(false);
    expect(hit.context.vars.cacheHit).toBe(true);
    expect(await hit.message.json()).toEqual({ doctors: ['a'] });
    expect(hit.message.status).toBe(203);
    expect(hit.message.headers.get('x-backend')).toBe('b1');
    expect(hit.ok && hit.outcome).toBe('respond');
  });

  it('calls the steps again once the entry expired on the engine clock', async () => {
    await using h = await createHarness();
    h.mock('doctors').reply({ json: 1 });
    const route = [cache({ key: byPath, ttlMs: 1000, steps: [call('doctors')] })];
    await h.send(route);
    await h.clock.tick(999);
    await h.send(route);
    h.mock('doctors').expectCalled(1);
    await h.clock.tick(1);
    await h.send(route);
    h.mock('doctors').expectCalled(2);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    await using h = await createHarness();
    h.mock('backend').reply({ json: 1 });
    const route = [cache({ key: byPath, ttlMs: 60_000, maxEntries: 2, steps: [call('backend')] })];
    for (const path of ['/a', '/b', '/a', '/c', '/a', '/b'])
      await h.send(route, { headers: { 'x-path': path } });
    // /a hit twice; /c evicted /b (least recently used), so /b is fetched again.
    expect(h.mock('backend').calls.length).toBe(4);
  });

  it('does not cache error replies or failures', async () => {
    await using h = await createHarness();
    h.mock('backend')
      .replyOnce({ status: 500, json: { error: true } })
      .failOnce(new Error('down'))
      .reply({ json: 'ok' });
    const route = [cache({ key: 'k', ttlMs: 60_000, steps: [call('backend')] })];
    expect((await h.send(route)).message.status).toBe(500);
    expect((await h.send(route)).ok).toBe(false);
    expect(await (await h.send(route)).message.json()).toBe('ok');
    expect(await (await h.send(route)).message.json()).toBe('ok');
    h.mock('backend').expectCalled(3);
  });
});
