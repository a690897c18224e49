/**
 * Message stores registered on an engine by name, so routes (`store('orders')`), dead letter channels and
 * processors can refer to them. The registry belongs to the engine (a WeakMap keyed by it): two engines
 * never see each other's stores. Registered stores are closed when the engine stops.
 *
 * @module
 */
import { lifecycleOf } from '../eip/internal/lifecycle.js';
import { perEngine } from '../eip/internal/per-engine.js';
import type { Runtime } from '../runtime.js';
import { storeErrors } from './errors.js';
import type { MessageStore } from './message-store.js';

const storesOf = perEngine((runtime: Runtime) => {
  const stores = new Map<string, MessageStore>();
  lifecycleOf(runtime).onClose(async () => {
    await Promise.allSettled([...stores.values()].map((s) => s.close?.()));
  });
  return stores;
});

/**
 * Registers a store on an engine under its name.
 *
 * @example
 * registerStore(engine, createMemoryStore('orders', { clock: engine.clock }));
 */
export function registerStore(engine: Runtime, store: MessageStore): MessageStore {
  const stores = storesOf(engine);
  if (stores.has(store.name)) throw storeErrors.DUPLICATE_NAME({ name: store.name });
  stores.set(store.name, store);
  return store;
}

/**
 * The store registered under `name` on this engine; fails with `MEDIARY_STORE_NOT_FOUND`.
 *
 * @example
 * await storeOf(ctx.engine, 'orders').size();
 */
export function storeOf(engine: Runtime, name: string): MessageStore {
  const store = storesOf(engine).get(name);
  if (!store) throw storeErrors.NOT_FOUND({ name });
  return store;
}

/** True when a store is registered under `name` on this engine. */
export function hasStore(engine: Runtime, name: string): boolean {
  return storesOf(engine).has(name);
}
