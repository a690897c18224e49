/**
 * Per-engine state for stateful patterns (aggregator groups, throttle windows, caches…). State lives in a
 * WeakMap keyed by the engine a message runs in, so one pattern object used by two engines keeps two
 * separate states, and an engine that is dropped takes its state with it.
 *
 * @module
 */
import type { Runtime } from '../../runtime.js';

/** Returns a getter that creates the state for an engine on first use and returns the same one after. */
export function perEngine<T>(create: (runtime: Runtime) => T): (runtime: Runtime) => T {
  const states = new WeakMap<Runtime, T>();
  return (runtime) => {
    let state = states.get(runtime);
    if (state === undefined) {
      state = create(runtime);
      states.set(runtime, state);
    }
    return state;
  };
}
