/**
 * A message's abort controller, made only when somebody asks for the signal. Creating an `AbortController`
 * is one of the larger fixed costs of a dispatch, and most in-process messages (timers, in-memory queues,
 * tests) never touch `ctx.signal`. An abort that comes first is remembered: the signal handed out later is
 * already aborted, with the same reason.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#controller) {
      this.#controller.abort(reason);
    } else if (!this.#aborted) {
      this.#aborted = true;
      this.#reason = reason;
    }
  }
}
