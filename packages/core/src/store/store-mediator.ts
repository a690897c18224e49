/**
 * The store mediator (WSO2's store): enqueues the current message and its variables into a store and
 * continues, with the new message's id in `vars.storedMessageId`. Typically followed by a `202` reply while
 * a forwarding processor delivers the message later.
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { defineMediator, type Mediator } from '../mediator.js';
import { type MessageStore, toStoredMessage } from './message-store.js';
import { storeOf } from './registry.js';

/**
 * Enqueues the message into a store registered on the engine (by name) or given directly.
 *
 * @example
 * [store('orders'), setStatus(202), setBody({ accepted: true }), respond()]
 */
export function store<V extends Vars = Vars>(target: string | MessageStore): Mediator<V> {
  return defineMediator<V>('store', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const destination = typeof target === 'string' ? storeOf(c.engine, target) : target;
    c.vars.storedMessageId = await destination.enqueue(await toStoredMessage(c));
  });
}
