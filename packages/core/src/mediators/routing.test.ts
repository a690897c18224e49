import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { jsonata } from '../expression.js';
import { respond, setVar } from './basic.js';
import { choice, filter } from './routing.js';

describe('filter', () => {
  it('runs then when the predicate holds and else when it does not, then continues', async () => {
    await using h = await createHarness();
    const steps = [
      filter(jsonata('payload.amount > 100'), {
        match: [setVar('lane', 'review')],
        otherwise: [setVar('lane', 'auto')],
      }),
      setVar('after', true),
    ];
    const big = await h.send(steps, { json: { amount: 500 } });
    const small = await h.send(steps, { json: { amount: 5 } });
    expect(big.context.vars).toEqual({ lane: 'review', after: true });
    expect(small.context.vars).toEqual({ lane: 'auto', after: true });
  });

  it('continues when only then is given and the predicate does not hold', async () => {
    await using h = await createHarness();
    const onlyThen = filter(() => false, { match: [setVar('x', 1)] });
    const result = await h.send([onlyThen, setVar('after', true)]);
    expect(result.context.vars).toEqual({ after: true });
  });

  it('drops a message that does not match when it has no branches, which is not an error', async () => {
    await using h = await createHarness();
    const steps = [filter((ctx) => ctx.vars.keep === true), setVar('after', true)];
    const dropped = await h.send(steps, {}, { vars: { keep: false } });
    expect(dropped.ok && dropped.outcome).toBe('drop');
    expect(dropped.context.vars.after).toBeUndefined();
    const kept = await h.send(steps, {}, { vars: { keep: true } });
    expect(kept.ok && kept.outcome).toBeUndefined();
    expect(kept.context.vars.after).toBe(true);
  });

  it('stops the whole flow when a branch responds', async () => {
    await using h = await createHarness();
    const responding = filter(() => true, { match: [respond()] });
    const result = await h.send([responding, setVar('after', true)]);
    expect(result.ok && result.outcome).toBe('respond');
    expect(result.context.vars.after).toBeUndefined();
  });
});

describe('choice', () => {
  const route = choice({
    on: (ctx) => ctx.vars.hospital,
    cases: [
      { equals: 'grand oak community hospital', steps: [setVar('id', 'grandoaks')] },
      { matches: /^clemency/g, steps: [setVar('id', 'clemency')] },
      { when: (ctx) => ctx.vars.vip === true, steps: [setVar('id', 'vip')] },
      { equals: 'clemency medical center', steps: [setVar('id', 'never: an earlier case matched')] },
    ],
    otherwise: [setVar('id', 'unknown')],
  });

  it('runs the first case whose value equals, regular expression matches or predicate holds', async () => {
    await using h = await createHarness();
    const idFor = async (vars: Record<string, unknown>) =>
      (await h.send([route], {}, { vars })).context.vars.id;
    expect(await idFor({ hospital: 'grand oak community hospital' })).toBe('grandoaks');
    expect(await idFor({ hospital: 'clemency medical center' })).toBe('clemency');
    expect(await idFor({ hospital: 'elsewhere', vip: true })).toBe('vip');
    expect(await idFor({ hospital: 'elsewhere' })).toBe('unknown');
    expect(await idFor({ hospital: 42 })).toBe('unknown');
  });

  it('matches a global regular expression on every message, not every other one', async () => {
    await using h = await createHarness();
    for (let i = 0; i < 4; i++) {
      const result = await h.send([route], {}, { vars: { hospital: 'clemency medical center' } });
      expect(result.context.vars.id).toBe('clemency');
    }
  });

  it('awaits an asynchronous value and asynchronous predicates, in case order', async () => {
    await using h = await createHarness();
    const asked: string[] = [];
    const asyncChoice = choice({
      on: async (ctx) => ctx.vars.kind,
      cases: [
        {
          when: async () => {
            asked.push('first');
            return false;
          },
          steps: [setVar('hit', 'first')],
        },
        { equals: 'b', steps: [setVar('hit', 'equals')] },
        {
          when: async () => {
            asked.push('third');
            return true;
          },
          steps: [setVar('hit', 'third')],
        },
      ],
    });
    expect((await h.send([asyncChoice], {}, { vars: { kind: 'b' } })).context.vars.hit).toBe('equals');
    expect((await h.send([asyncChoice], {}, { vars: { kind: 'c' } })).context.vars.hit).toBe('third');
    expect(asked).toEqual(['first', 'first', 'third']);
  });

  it('continues when nothing matches and there is no otherwise', async () => {
    await using h = await createHarness();
    const result = await h.send([
      choice({ on: () => 'x', cases: [{ equals: 'y', steps: [setVar('hit', true)] }] }),
      setVar('after', true),
    ]);
    expect(result.context.vars).toEqual({ after: true });
  });

  it('compares with Object.is semantics, so NaN equals NaN', async () => {
    await using h = await createHarness();
    const result = await h.send([
      choice({ on: () => Number.NaN, cases: [{ equals: Number.NaN, steps: [setVar('nan', true)] }] }),
    ]);
    expect(result.context.vars.nan).toBe(true);
  });

  it('passes a case outcome on, so respond inside a case ends the flow', async () => {
    await using h = await createHarness();
    const result = await h.send([
      choice({ cases: [{ when: () => true, steps: [respond()] }] }),
      setVar('after', true),
    ]);
    expect(result.ok && result.outcome).toBe('respond');
    expect(result.context.vars.after).toBeUndefined();
  });
});
