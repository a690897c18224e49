import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../engine.js';
import { createEngine } from '../engine.js';
import { silentLogger } from '../logger.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { createMessage, type Message } from '../message.js';
import { sequence } from '../sequence.js';
import { type EnrichOptions, enrich } from './enrich.js';

const engine = createEngine({ name: 'enrich-tests', logger: silentLogger });

async function run(
  steps: Mediator[],
  message: Message = createMessage(),
  vars: Record<string, unknown> = {},
): Promise<Exchange & { ok: true }> {
  const exchange = await engine.dispatch(sequence(steps), message, { vars });
  if (!exchange.ok) throw exchange.error;
  return exchange;
}

const POLLUTING =
  '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "ok": 1}';

function pollutingMessage(): Message {
  return createMessage({ body: POLLUTING, contentType: 'application/json' });
}

function hasForbiddenKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.keys(value).some(
    (k) =>
      k === '__proto__' ||
      k === 'constructor' ||
      k === 'prototype' ||
      hasForbiddenKey((value as Record<string, unknown>)[k]),
  );
}

afterEach(() => {
  // Nothing may ever reach Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
});

describe('enrich', () => {
  it('copies a variable into the body at a path, creating the objects on the way', async () => {
    const { message } = await run(
      [enrich({ from: { var: 'fee' }, to: { body: 'appointment.fee' } })],
      createMessage({ json: { appointment: { id: 1 } } }),
      { fee: 7000 },
    );
    expect(await message.json()).toEqual({ appointment: { id: 1, fee: 7000 } });
  });

  it('copies part of the body into a variable, and a variable path into another', async () => {
    const { context } = await run(
      [
        enrich({ from: { body: 'patient' }, to: { var: 'patient' } }),
        enrich({ from: { var: 'patient', path: 'tags[1]' }, to: { var: 'second' } }),
        enrich({ from: { body: 'items.0.price' }, to: { var: 'price' } }),
      ],
      createMessage({ json: { patient: { name: 'Ann', tags: ['a', 'b'] }, items: [{ price: 3 }] } }),
    );
    expect(context.vars.patient).toEqual({ name: 'Ann', tags: ['a', 'b'] });
    expect(context.vars.second).toBe('b');
    expect(context.vars.price).toBe(3);
  });

  it('reads and writes headers', async () => {
    const { message, context } = await run(
      [
        enrich({ from: { header: 'X-Tenant' }, to: { var: 'tenant' } }),
        enrich({ from: { var: 'obj' }, to: { header: 'x-obj' } }),
      ],
      createMessage({ headers: { 'x-tenant': 't1' } }),
      { obj: { a: 1 } },
    );
    expect(context.vars.tenant).toBe('t1');
    expect(message.headers.get('x-obj')).toBe('{"a":1}');
  });

  it('takes its value from an expression', async () => {
    const { message } = await run(
      [enrich({ from: (ctx) => ({ extra: ctx.vars.n }), to: { body: '' }, action: 'merge' })],
      createMessage({ json: { a: 1 } }),
      { n: 2 },
    );
    expect(await message.json()).toEqual({ a: 1, extra: 2 });
  });

  it('merges objects recursively, replacing arrays and scalars', async () => {
    const { message } = await run(
      [enrich({ from: { var: 'patch' }, to: { body: 'doc' }, action: 'merge' })],
      createMessage({ json: { doc: { a: { x: 1, y: 2 }, list: [1, 2], s: 'old' } } }),
      { patch: { a: { y: 3, z: 4 }, list: [9], s: 'new' } },
    );
    expect(await message.json()).toEqual({ doc: { a: { x: 1, y: 3, z: 4 }, list: [9], s: 'new' } });
  });

  it('appends to an array, turning a single value or nothing into an array', async () => {
    const { message, context } = await run(
      [
        enrich({ from: { var: 'v' }, to: { body: 'list' }, action: 'append' }),
        enrich({ from: { var: 'v' }, to: { body: 'one' }, action: 'append' }),
        enrich({ from: { var: 'v' }, to: { var: 'acc' }, action: 'append' }),
      ],
      createMessage({ json: { list: [1], one: 0 } }),
      { v: 2 },
    );
    expect(await message.json()).toEqual({ list: [1, 2], one: [0, 2] });
    expect(context.vars.acc).toEqual([2]);
  });

  it('never mutates the body object another holder may share', async () => {
    const original = { appointment: { id: 1 }, keep: { deep: true } };
    const message = createMessage({ json: original });
    const clone = message.clone();
    const { message: out } = await run(
      [enrich({ from: { var: 'v' }, to: { body: 'appointment.fee' } })],
      message,
      {
        v: 5,
      },
    );
    expect(original).toEqual({ appointment: { id: 1 }, keep: { deep: true } });
    expect(await clone.json()).toBe(original);
    const enriched = (await out.json()) as typeof original;
    expect(enriched.keep).toBe(original.keep);
  });

  it('writes into an array index of the body', async () => {
    const { message } = await run(
      [enrich({ from: { var: 'v' }, to: { body: 'items[1].price' } })],
      createMessage({ json: { items: [{ price: 1 }, { price: 2 }] } }),
      { v: 20 },
    );
    expect(await message.json()).toEqual({ items: [{ price: 1 }, { price: 20 }] });
  });

  it('reads only own properties, never inherited ones', async () => {
    const { context } = await run(
      [enrich({ from: { body: 'toString' }, to: { var: 'leak' } })],
      createMessage({ json: { a: 1 } }),
    );
    expect(context.vars.leak).toBeUndefined();
  });
});

describe('enrich against prototype pollution', () => {
  const cases: Array<[string, EnrichOptions['to'], NonNullable<EnrichOptions['action']>]> = [
    ['replace into the body', { body: 'copy' }, 'replace'],
    ['merge into the body', { body: 'copy' }, 'merge'],
    ['replace the whole body', { body: '' }, 'replace'],
    ['merge into the whole body', { body: '' }, 'merge'],
    ['replace into a variable', { var: 'copy' }, 'replace'],
    ['merge into a variable', { var: 'copy' }, 'merge'],
    ['append to a variable', { var: 'copy' }, 'append'],
  ];

  for (const [name, to, action] of cases) {
    it(`drops __proto__ and constructor keys of an untrusted body (${name})`, async () => {
      const { message, context } = await run(
        [
          defineMediator('seed', (ctx) => {
            ctx.vars.copy = { existing: { a: 1 } };
          }),
          enrich({ from: { body: '' }, to, action }),
        ],
        pollutingMessage(),
      );
      const body = (await message.json()) as Record<string, unknown>;
      const written = 'body' in to ? (to.body === '' ? body : body.copy) : context.vars.copy;
      expect(hasForbiddenKey(written)).toBe(false);
      expect(JSON.stringify(written)).toContain('"ok":1');
      // Even a later careless Object.assign of the result reaches no prototype.
      const assigned = Object.assign({}, written);
      expect(Object.getPrototypeOf(assigned)).toBe(Object.prototype);
      expect((assigned as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('drops forbidden keys nested deep inside arrays and objects', async () => {
    const body = '{"list": [{"x": {"__proto__": {"polluted": true}, "y": 1}}], "z": {"prototype": 1}}';
    const { context } = await run(
      [enrich({ from: { body: '' }, to: { var: 'copy' } })],
      createMessage({ body, contentType: 'application/json' }),
    );
    expect(context.vars.copy).toEqual({ list: [{ x: { y: 1 } }], z: {} });
    expect(hasForbiddenKey(context.vars.copy)).toBe(false);
  });

  it('leaves a clean value untouched (no copy)', async () => {
    const value = { a: { b: [1, { c: 2 }] } };
    const { context } = await run([enrich({ from: { var: 'v' }, to: { var: 'copy' } })], createMessage(), {
      v: value,
    });
    expect(context.vars.copy).toBe(value);
  });

  for (const [label, options] of [
    ['a body path through __proto__', { from: { var: 'v' }, to: { body: '__proto__.polluted' } }],
    [
      'a body path through constructor.prototype',
      { from: { var: 'v' }, to: { body: 'a.constructor.prototype.x' } },
    ],
    ['a variable named __proto__', { from: { var: 'v' }, to: { var: '__proto__' } }],
    ['a variable path through prototype', { from: { var: 'v' }, to: { var: 'x', path: 'prototype.y' } }],
    ['a source path through constructor', { from: { body: 'constructor' }, to: { var: 'x' } }],
  ] as const) {
    it(`refuses ${label} with MEDIARY_UNSAFE_KEY`, () => {
      expect(() => enrich(options as EnrichOptions)).toThrow(
        expect.objectContaining({ code: 'MEDIARY_UNSAFE_KEY' }),
      );
    });
  }
});
