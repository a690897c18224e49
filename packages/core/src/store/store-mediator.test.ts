import { createHarness } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { setVar } from '../mediators/basic.js';
import { createMemoryStore } from './memory-store.js';
import { fromStoredMessage } from './message-store.js';
import { registerStore, storeOf } from './registry.js';
import { store } from './store-mediator.js';

describe('store mediator', () => {
  it('enqueues the message with its headers and variables and sets vars.storedMessageId', async () => {
    await using h = await createHarness((engine) => {
      registerStore(engine, createMemoryStore('orders', { clock: engine.clock }));
    });
    const result = await h.send([setVar('customer', { id: 7 }), store('orders')], {
      json: { item: 'book' },
      headers: { 'x-trace': 't1' },
    });
    expect(result.ok).toBe(true);
    const [stored] = await storeOf(h.engine, 'orders').browse();
    expect(stored!.id).toBe(result.context.vars.storedMessageId);
    expect(stored!.contentType).toBe('application/json');
    expect(stored!.headers['x-trace']).toBe('t1');
    const { message, vars } = fromStoredMessage(stored!);
    expect(await message.json()).toEqual({ item: 'book' });
    expect(vars.customer).toEqual({ id: 7 });
  });

  it('fails with MEDIARY_STORE_NOT_FOUND for a store this engine does not have', async () => {
    await using h = await createHarness();
    const result = await h.send([store('nowhere')], { json: {} });
    expect(!result.ok && result.error.code).toBe('MEDIARY_STORE_NOT_FOUND');
  });

  it('keeps the stores of two engines apart', async () => {
    await using a = await createHarness((engine) => void registerStore(engine, createMemoryStore('q')));
    await using b = await createHarness();
    expect(() => storeOf(b.engine, 'q')).toThrow(
      expect.objectContaining({ code: 'MEDIARY_STORE_NOT_FOUND' }),
    );
    expect(() => registerStore(a.engine, createMemoryStore('q'))).toThrow(
      expect.objectContaining({ code: 'MEDIARY_STORE_DUPLICATE_NAME' }),
    );
  });
});
