import { describe, expect, it } from 'vitest';
import type { MessageContext } from './context.js';
import { type Endpoint, type EndpointWrapper, functionEndpoint, wrapEndpoint } from './endpoint.js';
import { createMessage } from './message.js';

const ctx = {} as MessageContext;

describe('endpoints', () => {
  it('turn a function into an endpoint that replies with a message, a message init or an empty message', async () => {
    const reply = createMessage({ text: 'm' });
    expect(await functionEndpoint('a', () => reply).send(createMessage(), ctx)).toBe(reply);
    const init = await functionEndpoint('b', () => ({ json: { ok: true }, status: 201 })).send(
      createMessage(),
      ctx,
    );
    expect([await init.json(), init.status]).toEqual([{ ok: true }, 201]);
    const empty = await functionEndpoint('c', async () => undefined).send(createMessage(), ctx);
    expect(empty.isEmpty).toBe(true);
  });

  it('apply wrappers with the first one outermost, keeping the name', async () => {
    const order: string[] = [];
    const wrapper =
      (label: string): EndpointWrapper =>
      (inner: Endpoint) => ({
        name: inner.name,
        async send(message, c) {
          order.push(`${label}>`);
          const result = await inner.send(message, c);
          order.push(`<${label}`);
          return result;
        },
      });
    const wrapped = wrapEndpoint(
      functionEndpoint('core', () => void order.push('core')),
      wrapper('outer'),
      wrapper('inner'),
    );
    expect(wrapped.name).toBe('core');
    await wrapped.send(createMessage(), ctx);
    expect(order).toEqual(['outer>', 'inner>', 'core', '<inner', '<outer']);
  });
});
