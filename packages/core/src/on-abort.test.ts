import { describe, expect, it } from 'vitest';
import type { MessageContext } from './context.js';
import { createEngine } from './engine.js';
import { silentLogger } from './logger.js';
import { defineMediator } from './mediator.js';
import { createMessage } from './message.js';
import { onAbort, onSignalAbort } from './on-abort.js';

/** Dispatches one message whose only step hands its context out and waits until released. */
async function running(): Promise<{
  ctx: MessageContext;
  abort: (reason: unknown) => void;
  finish: () => Promise<void>;
}> {
  const engine = createEngine({ logger: silentLogger });
  let abort!: (reason: unknown) => void;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let seen!: (ctx: MessageContext) => void;
  const started = new Promise<MessageContext>((resolve) => {
    seen = resolve;
  });
  const step = defineMediator('hold', async (ctx) => {
    seen(ctx);
    await released;
  });
  const done = engine.dispatch(step, createMessage(), { bindAbort: (fn) => (abort = fn) });
  const ctx = await started;
  return {
    ctx,
    abort,
    finish: async () => {
      release();
      await done;
    },
  };
}

describe('onAbort', () => {
  it('calls the listener once with the reason, without making the signal', async () => {
    const { ctx, abort, finish } = await running();
    const reasons: unknown[] = [];
    onAbort(ctx, (reason) => reasons.push(reason));
    const why = new Error('client gone');
    abort(why);
    abort(new Error('again'));
    expect(reasons).toEqual([why]);
    // A signal read afterwards is already aborted, with the same reason.
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(why);
    await finish();
  });

  it('calls a listener added after the abort at once, and none that stopped listening', async () => {
    const { ctx, abort, finish } = await running();
    const calls: string[] = [];
    const stop = onAbort(ctx, () => calls.push('stopped'));
    onAbort(ctx, () => calls.push('kept'));
    stop();
    abort('reason');
    onAbort(ctx, (reason) => calls.push(`late:${String(reason)}`));
    expect(calls).toEqual(['kept', 'late:reason']);
    await finish();
  });

  it('still fires when the signal was made before the listener was added', async () => {
    const { ctx, abort, finish } = await running();
    const signal = ctx.signal;
    let heard: unknown;
    onAbort(ctx, (reason) => {
      heard = reason;
    });
    abort('gone');
    expect(signal.aborted).toBe(true);
    expect(heard).toBe('gone');
    await finish();
  });

  it('follows the signal of a context a step built itself', () => {
    const controller = new AbortController();
    const ctx = { signal: controller.signal } as unknown as MessageContext;
    const calls: unknown[] = [];
    const stop = onAbort(ctx, (reason) => calls.push(reason));
    controller.abort('deadline');
    stop();
    expect(calls).toEqual(['deadline']);
    const late: unknown[] = [];
    onAbort(ctx, (reason) => late.push(reason));
    expect(late).toEqual(['deadline']);
  });

  it('does not let a copy of an engine context with its own signal follow the original', async () => {
    const { ctx, abort, finish } = await running();
    const controller = new AbortController();
    const copy: MessageContext = { ...ctx, signal: controller.signal };
    const calls: unknown[] = [];
    onAbort(copy, (reason) => calls.push(reason));
    controller.abort('child deadline');
    expect(calls).toEqual(['child deadline']);
    abort('parent');
    expect(calls).toEqual(['child deadline']);
    await finish();
  });
});

describe('onSignalAbort', () => {
  it('calls the listener once with the reason, at once when already aborted, and not after stop()', () => {
    const controller = new AbortController();
    const heard: unknown[] = [];
    const stopped = onSignalAbort(controller.signal, (reason) => heard.push(`stopped:${String(reason)}`));
    onSignalAbort(controller.signal, (reason) => heard.push(reason));
    stopped();
    controller.abort('gone');
    controller.abort('again');
    onSignalAbort(controller.signal, (reason) => heard.push(`late:${String(reason)}`));
    expect(heard).toEqual(['gone', 'late:gone']);
  });
});
