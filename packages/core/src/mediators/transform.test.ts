import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { transform } from './transform.js';

describe('transform', () => {
  it('replaces the body with the result of a JSONata expression', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [transform('{ "patient": payload.name, "fee": $number(payload.actualFee), "tags": payload.tags }')],
      { json: { name: 'Ann', actualFee: '7000', tags: ['one'] } },
    );
    expect(result.message.contentType).toBe('application/json');
    expect(await result.message.json()).toEqual({ patient: 'Ann', fee: 7000, tags: ['one'] });
  });

  it('replaces the body with the result of a function, with the content type given', async () => {
    await using h = await createHarness();
    const result = await h.send(
      [
        transform(async (ctx) => ({ nested: await ctx.message.json() }), {
          contentType: 'application/vnd.a+json',
        }),
      ],
      { json: [1] },
    );
    expect(result.message.contentType).toBe('application/vnd.a+json');
    expect(await result.message.json()).toEqual({ nested: [1] });
  });

  it('writes null when the expression yields nothing', async () => {
    await using h = await createHarness();
    const result = await h.send([transform('payload.missing')], { json: { a: 1 } });
    expect(await result.message.text()).toBe('null');
  });

  it('fails with MEDIARY_EXPR_EVAL naming the expression when it cannot evaluate', async () => {
    await using h = await createHarness();
    const result = await h.send([transform('payload.a + "x"')], { json: { a: 1 } });
    expect(!result.ok && result.error.code).toBe('MEDIARY_EXPR_EVAL');
    expect(!result.ok && result.error.message).toContain('payload.a + "x"');
  });
});
