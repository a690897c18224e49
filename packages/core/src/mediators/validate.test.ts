import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validate } from './validate.js';

const appointment = z.object({
  hospital: z.string(),
  patient: z.object({ name: z.string(), age: z.number().int().optional() }),
  urgent: z.boolean().default(false),
});

const appointmentSchema = {
  type: 'object',
  required: ['hospital', 'patient'],
  properties: {
    hospital: { type: 'string' },
    patient: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  },
};

describe('validate with zod', () => {
  it('lets a valid body through untouched', async () => {
    await using h = await createHarness();
    const body = { hospital: 'h', patient: { name: 'Ann', extra: 1 } };
    const result = await h.send([validate(appointment)], { json: body });
    expect(result.ok).toBe(true);
    expect(await result.message.json()).toBe(await result.context.original.json());
    expect(await result.message.json()).toEqual(body);
  });

  it('fails with a 400 whose reason names the field path and the problem', async () => {
    await using h = await createHarness();
    const result = await h.send([validate(appointment)], { json: { hospital: 'h', patient: { name: 42 } } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('MEDIARY_VALIDATION_FAILED');
      expect(result.error.status).toBe(400);
      expect(result.error.message).toMatch(/^The message does not match the expected shape: patient\.name: /);
      expect(result.error.message).toMatch(/string/);
    }
    const root = await h.send([validate(appointment)], { json: [1] });
    expect(!root.ok && root.error.message).toContain('(root): ');
  });

  it('replaces the body with the parsed output when asked (defaults applied, unknown keys stripped)', async () => {
    await using h = await createHarness();
    const result = await h.send([validate(appointment, { replaceBody: true })], {
      json: { hospital: 'h', patient: { name: 'Ann', extra: 1 } },
      contentType: 'application/vnd.appointment+json',
    });
    expect(await result.message.json()).toEqual({ hospital: 'h', patient: { name: 'Ann' }, urgent: false });
    expect(result.message.contentType).toBe('application/vnd.appointment+json');
  });

  it('validates any value given as an expression, such as a variable', async () => {
    await using h = await createHarness();
    const ok = await h.send(
      [validate(z.number().positive(), { value: (ctx) => ctx.vars.fee })],
      {},
      { vars: { fee: 5 } },
    );
    expect(ok.ok).toBe(true);
    const bad = await h.send(
      [validate(z.number().positive(), { value: (ctx) => ctx.vars.fee })],
      {},
      { vars: { fee: -1 } },
    );
    expect(!bad.ok && bad.error.message).toContain('(root): ');
  });

  it('fails with the body error when the body is not JSON', async () => {
    await using h = await createHarness();
    const result = await h.send([validate(appointment)], { body: '{oops', contentType: 'application/json' });
    expect(!result.ok && result.error.code).toBe('MEDIARY_JSON_MALFORMED');
  });
});

describe('validate with JSON Schema (ajv)', () => {
  it('lets a valid body through', async () => {
    await using h = await createHarness();
    const result = await h.send([validate({ jsonSchema: appointmentSchema })], {
      json: { hospital: 'h', patient: { name: 'Ann' } },
    });
    expect(result.ok).toBe(true);
  });

  it('fails with a 400 whose reason names the JSON pointer of the field', async () => {
    await using h = await createHarness();
    const step = validate({ jsonSchema: appointmentSchema });
    const wrongType = await h.send([step], { json: { hospital: 'h', patient: { name: 42 } } });
    expect(!wrongType.ok && wrongType.error.message).toBe(
      'The message does not match the expected shape: /patient/name: must be string',
    );
    const missing = await h.send([step], { json: { patient: { name: 'x' } } });
    expect(!missing.ok && [missing.error.code, missing.error.status]).toEqual([
      'MEDIARY_VALIDATION_FAILED',
      400,
    ]);
    expect(!missing.ok && missing.error.message).toContain("(root): must have required property 'hospital'");
  });
});
