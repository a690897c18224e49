import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from '../context.js';
import { call } from '../mediators/call.js';
import { idempotent } from './idempotent.js';
import { createMemoryIdempotentRepository } from './idempotent-repository.js';

const byId = (ctx: MessageContext) => ctx.message.headers.get('x-message-id') ?? '';
const withId = (id: string) => ({ json: { id }, headers: { 'x-message-id': id } });

describe('idempotent', () => {
  for (const mode of ['eager', 'on-completion'] as const) {
    it(`skips a duplicate within the window and lets it through after the window (${mode})`, async () => {
      await using h = await createHarness();
      h.mock('payments').reply({ json: { paid: true } });
      const route = [idempotent({ key: byId, mode, windowMs: 1000, steps: [call('payments')] })];
      expect((await h.send(route, withId('m1'))).ok).toBe(true);
      await h.clock.tick(999);
      const duplicate = await h.send(route, withId('m1'));
      expect(duplicate.ok && duplicate.outcome).toBe('drop');
      expect((await h.send(route, withId('m2'))).ok).toBe(true);
      h.mock('payments').expectCalled(2);
      await h.clock.tick(1);
      await h.send(route, withId('m1'));
      h.mock('payments').expectCalled(3);
    });

    it(`lets a message through again after its steps failed (${mode})`, async () => {
      await using h = await createHarness();
      h.mock('payments')
        .failOnce(new Error('down'))
        .reply({ json: { paid: true } });
      const route = [idempotent({ key: byId, mode, steps: [call('payments')] })];
      expect((await h.send(route, withId('m1'))).ok).toBe(false);
      expect((await h.send(route, withId('m1'))).ok).toBe(true);
      const third = await h.send(route, withId('m1'));
      expect(third.ok && third.outcome).toBe('drop');
      h.mock('payments').expectCalled(2);
    });

    it(`treats a copy arriving while the first is still running as a duplicate (${mode})`, async () => {
      await using h = await createHarness();
      h.mock('payments')
        .delay(100)
        .reply({ json: { paid: true } });
      const route = [idempotent({ key: byId, mode, steps: [call('payments')] })];
      const first = h.send(route, withId('m1'));
      const second = await h.send(route, withId('m1'));
      expect(second.ok && second.outcome).toBe('drop');
      await h.clock.tick(100);
      expect((await first).ok).toBe(true);
      h.mock('payments').expectCalled(1);
    });
  }

  it('records the key before processing in eager mode and only after success in on-completion mode', async () => {
    await using h = await createHarness();
    const eagerRepo = createMemoryIdempotentRepository({ clock: h.clock });
    const lateRepo = createMemoryIdempotentRepository({ clock: h.clock });
    const seen: boolean[] = [];
    const probe = (repo: typeof eagerRepo) => async (ctx: MessageContext) => {
      seen.push(await repo.contains(byId(ctx)));
    };
    await h.send([idempotent({ key: byId, repository: eagerRepo, steps: [probe(eagerRepo)] })], withId('a'));
    await h.send(
      [idempotent({ key: byId, repository: lateRepo, mode: 'on-completion', steps: [probe(lateRepo)] })],
      withId('a'),
    );
    expect(seen).toEqual([true, false]);
    expect(await lateRepo.contains('a')).toBe(true);
  });

  it("marks a duplicate with vars.duplicate and goes on under onDuplicate 'mark'", async () => {
    await using h = await createHarness();
    const route = [idempotent({ key: byId, onDuplicate: 'mark' }), () => undefined];
    const first = await h.send(route, withId('m1'));
    const second = await h.send(route, withId('m1'));
    expect(first.context.vars.duplicate).toBe(false);
    expect(second.context.vars.duplicate).toBe(true);
    expect(second.ok && second.outcome).toBeUndefined();
  });

  it("refuses 'on-completion' without protected steps", () => {
    expect(() => idempotent({ key: byId, mode: 'on-completion' })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_EIP_CONFIG_INVALID' }),
    );
  });
});
