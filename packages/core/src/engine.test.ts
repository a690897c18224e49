import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { call, choice, createMessage, respond, setVar, throwError } from './index.js';

describe('engine', () => {
  it('routes a message through a route and a mocked endpoint', async () => {
    await using h = await createHarness((engine) => {
      engine.addRoute({
        id: 'reserve',
        steps: [
          setVar('hospital', async (ctx) => ((await ctx.message.json()) as { hospital: string }).hospital),
          choice({
            on: (ctx) => ctx.vars.hospital,
            cases: [{ equals: 'clemency medical center', steps: [call('clemency')] }],
            otherwise: [throwError({ message: 'unknown hospital', status: 400 })],
          }),
          respond(),
        ],
      });
    });
    h.mock('clemency').reply({ json: { appointmentNumber: 1 } });
    const ok = await h.send('reserve', { json: { hospital: 'clemency medical center' } });
    expect(ok.ok && (await ok.message.json())).toEqual({ appointmentNumber: 1 });
    const bad = await h.send('reserve', { json: { hospital: 'nowhere' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.status).toBe(400);
    h.mock('clemency').expectCalled(1);
  });

  it('keeps two engines with the same route names apart', async () => {
    const a = createEngine({ name: 'a' });
    const b = createEngine({ name: 'b' });
    a.addRoute({
      id: 'r',
      steps: [setVar('who', 'a'), (ctx) => void ctx.message.setJson(ctx.vars.who), respond()],
    });
    b.addRoute({
      id: 'r',
      steps: [setVar('who', 'b'), (ctx) => void ctx.message.setJson(ctx.vars.who), respond()],
    });
    const [ra, rb] = await Promise.all([a.dispatch('r', createMessage()), b.dispatch('r', createMessage())]);
    expect(await ra.message.json()).toBe('a');
    expect(await rb.message.json()).toBe('b');
  });
});
