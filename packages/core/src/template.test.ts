// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Mediary templates are plain strings with ${…} placeholders.
import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { jsonata } from './expression.js';
import { defineMediator } from './mediator.js';
import { log, setVar, throwError } from './mediators/basic.js';
import { callTemplate, defineTemplate } from './template.js';

describe('templates', () => {
  const greet = defineTemplate('greet', {
    params: { name: {}, greeting: { default: 'hello' } },
    steps: [setVar('line', (ctx) => `${ctx.vars.greeting}, ${ctx.vars.name}`)],
  });

  it('run with arguments from constants or expressions, and defaults for the rest', async () => {
    await using h = await createHarness((engine) => void engine.addTemplate(greet));
    const constant = await h.send([callTemplate('greet', { name: 'Ann' })]);
    expect(constant.context.vars.line).toBe('hello, Ann');
    const expression = await h.send(
      [callTemplate('greet', { name: jsonata('payload.who'), greeting: (ctx) => ctx.vars.hi })],
      { json: { who: 'Bob' } },
      { vars: { hi: 'hey' } },
    );
    expect(expression.context.vars.line).toBe('hey, Bob');
  });

  it('restore the caller variables of the same names afterwards, and remove the ones it added', async () => {
    await using h = await createHarness((engine) => void engine.addTemplate(greet));
    const result = await h.send([setVar('name', 'caller'), callTemplate('greet', { name: 'param' })]);
    expect(result.context.vars).toEqual({ name: 'caller', line: 'hello, param' });
    expect('greeting' in result.context.vars).toBe(false);
  });

  it('restore the caller variables even when the template fails', async () => {
    const failing = defineTemplate('failing', {
      params: { name: {} },
      steps: [throwError({ message: 'failed for ${vars.name}', status: 500 })],
    });
    await using h = await createHarness((engine) => void engine.addTemplate(failing));
    const result = await h.send([setVar('name', 'caller'), callTemplate('failing', { name: 'param' })]);
    expect(!result.ok && result.error.message).toBe('failed for param');
    expect(result.context.vars.name).toBe('caller');
  });

  it('see the message and the caller variables it was not given', async () => {
    const uses = defineTemplate('uses', {
      params: {},
      steps: [
        log({ message: 'x' }),
        defineMediator('peek', (ctx) => {
          ctx.vars.seen = ctx.vars.outer;
        }),
      ],
    });
    await using h = await createHarness((engine) => void engine.addTemplate(uses));
    const result = await h.send([callTemplate('uses')], {}, { vars: { outer: 1 } });
    expect(result.context.vars.seen).toBe(1);
  });

  it('fail with MEDIARY_TEMPLATE_PARAM_MISSING (500) when a required argument is missing', async () => {
    await using h = await createHarness((engine) => void engine.addTemplate(greet));
    const result = await h.send([callTemplate('greet')]);
    expect(!result.ok && [result.error.code, result.error.status, result.error.message]).toEqual([
      'MEDIARY_TEMPLATE_PARAM_MISSING',
      500,
      'Template greet needs the parameter name',
    ]);
  });

  it('fail with MEDIARY_TEMPLATE_NOT_FOUND for an unknown template', async () => {
    await using h = await createHarness();
    const result = await h.send([callTemplate('nope')]);
    expect(!result.ok && result.error.code).toBe('MEDIARY_TEMPLATE_NOT_FOUND');
  });
});
