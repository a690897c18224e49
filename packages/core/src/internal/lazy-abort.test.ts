import { describe, expect, it } from 'vitest';
import { LazyAbort } from './lazy-abort.js';

describe('LazyAbort', () => {
  it('hands out one signal, and aborts it with the reason given', () => {
    const lazy = new LazyAbort();
    const signal = lazy.signal;
    expect(lazy.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    const reason = new Error('stop');
    lazy.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it('remembers an abort that comes before anybody asked for the signal', () => {
    const lazy = new LazyAbort();
    const first = new Error('first');
    lazy.abort(first);
    lazy.abort(new Error('second'));
    expect(lazy.signal.aborted).toBe(true);
    expect(lazy.signal.reason).toBe(first);
  });
});
