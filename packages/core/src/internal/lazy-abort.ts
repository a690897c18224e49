/**
 * A message's abort controller, made only when somebody asks for the signal. Creating an `AbortController`
 * is one of the larger fixed costs of a dispatch, and most messages never touch `ctx.signal`: in-memory
 * sources and tests never abort, and endpoints follow cancellation through {@link LazyAbort.subscribe}
 * (exported as `onAbort`), a plain callback list. An abort that comes first is remembered: the signal handed
 * out later is already aborted, with the same reason.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #listeners: ((reason: unknown) => void)[] | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /**
   * Calls `listener` once when the message is aborted — at once when it already is — and returns the
   * function that unsubscribes it.
   */
  subscribe(listener: (reason: unknown) => void): () => void {
    if (this.#aborted) {
      listener(this.#reason);
      return noop;
    }
    const listeners = this.#listeners;
    if (listeners) listeners.push(listener);
    else this.#listeners = [listener];
    return () => {
      const list = this.#listeners;
      const at = list ? list.indexOf(listener) : -1;
      if (at !== -1) list!.splice(at, 1);
    };
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }
}

function noop(): void {}
