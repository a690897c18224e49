/**
 * One request through undici's dispatcher API, and the reply body as a light async iterator.
 *
 * `Dispatcher.request()` would wrap every reply in a `Readable` stream (and an `AsyncResource`, and an abort
 * listener), which a route then reads through the stream's async iterator: three layers of machinery per
 * proxied message. Here undici's handler callbacks feed a small queue directly, with backpressure (undici
 * pauses the socket while the queue holds more than {@link HIGH_WATER_MARK} bytes), and the iterator
 * is what the message carries as its body.
 *
 * The body counts bytes against the reply cap, turns failures into Mediary errors, and ends the exchange
 * (deadline, abort listener) when it is done — read to the end, failed, or given up. It is an iterator
 * object rather than an async generator on purpose: a generator's `return()` waits for a pending `next()`,
 * so a consumer giving up on a stalled backend would hang; here `return()` aborts the request at once,
 * which also fails the pending read.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import type { ExchangeGuard } from './exchange-guard.js';

/** Bytes queued before undici is asked to stop reading the socket (undici's own stream default). */
const HIGH_WATER_MARK = 64 * 1024;
/** A reply body drained by {@link ReplyBody.dump} beyond this is cut instead (the connection is dropped). */
const DUMP_LIMIT = 128 * 1024;

/** Where {@link ReplyBody.pipeTo} writes: node's `ServerResponse`, or anything writable like it. */
export interface ReplySink {
  readonly writableFinished: boolean;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: 'drain' | 'finish', listener: () => void): unknown;
  on(event: 'close' | 'error', listener: (error?: unknown) => void): unknown;
  off(event: 'drain' | 'finish' | 'close' | 'error', listener: (error?: unknown) => void): unknown;
}

/** A {@link ReplySink} being written, and the promise {@link ReplyBody.pipeTo} returned. */
interface Piping {
  readonly target: ReplySink;
  /**
   * The body being piped, kept reachable from the queue (which undici holds) while it is: the caller need not
   * hold it, and a body collected mid-pipe would be taken for abandoned and its request aborted.
   */
  readonly body: ReplyBody;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly onDrain: () => void;
  readonly onClose: () => void;
  readonly onFinish: () => void;
  readonly onError: (error?: unknown) => void;
  waitingForDrain: boolean;
}

/** What the backend answered: status, headers (lower-case names) and the body, unread. */
export interface ReplyHead {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: ReplyBody;
}

type Controller = Dispatcher.DispatchController;

/**
 * A reply body nobody can read any more (the message was dropped unread) releases its connection when it is
 * collected, instead of holding it until the deadline.
 *
 * The registry holds a {@link Release}, not the queue: V8 keeps a registration's held value alive until a
 * full collection even after `unregister`, and a queue held that long kept its whole exchange (guard,
 * handler, undici's request) alive into the old generation — two megabytes promoted per young collection
 * under load, which made each one three times slower. The release is emptied when the body ends.
 */
const abandoned = new FinalizationRegistry<Release>((release) => {
  void release.queue?.return();
});

/** What {@link abandoned} holds for one reply body: its queue, until the body has ended. */
interface Release {
  queue: ReplyQueue | undefined;
}

function prematureClose(): Error {
  return Object.assign(new Error('the connection closed before the reply was sent'), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  });
}

/** Why undici is told to stop when a reader gives up: never seen by anyone but undici. */
function gaveUp(): Error {
  return Object.assign(new Error('the reply body was not read to the end'), { code: 'UND_ERR_ABORTED' });
}

/**
 * The reply body as the message carries it: a thin reader over the queue undici fills. Only the message
 * holds it (undici holds the queue), so once the message is gone it can be collected, which releases the
 * request (see {@link abandoned}).
 */
export class ReplyBody implements AsyncIterableIterator<Uint8Array> {
  readonly #queue: ReplyQueue;

  constructor(queue: ReplyQueue) {
    this.#queue = queue;
    // The release is also the unregister token: the queue unregisters it however the body ends.
    abandoned.register(this, queue.release, queue.release);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    return this.#queue.next();
  }

  /** The reader gives up: the request is aborted (its connection dropped) unless the reply already ended. */
  return(): Promise<IteratorResult<Uint8Array>> {
    return this.#queue.return();
  }

  /**
   * Writes the whole body into `target` as undici delivers it — no promise per chunk — with backpressure
   * (undici is paused while `target` is full), then ends `target` and resolves once it has finished. Rejects
   * when the body fails (a Mediary error), or when `target` closes first (the client went away: the request
   * is aborted, which releases its connection).
   */
  pipeTo(target: ReplySink): Promise<void> {
    return this.#queue.pipeTo(target, this);
  }

  /** Reads and drops a small body (redirects, replies without content); a large one is cut instead. */
  async dump(): Promise<void> {
    let size = 0;
    try {
      for await (const chunk of this) {
        size += chunk.byteLength;
        if (size > DUMP_LIMIT) break;
      }
    } catch {
      // Nobody wanted this body: how it ended does not matter.
    }
  }
}

/** The body's bytes between undici (which pushes) and the reader (which pulls). */
class ReplyQueue {
  readonly #guard: ExchangeGuard;
  readonly #limit: number;
  #controller: Controller | undefined;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #received = 0;
  #ended = false;
  #failed = false;
  #error: unknown;
  /** The reader is done (read to the end, failed, or gave up). */
  #done = false;
  #waiting:
    | { resolve: (step: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void }
    | undefined;
  /** Set while the body is piped into a sink instead of read. */
  #piping: Piping | undefined;
  /** Held by {@link abandoned} for the reply body; emptied when the body ends. */
  readonly release: Release = { queue: this };

  constructor(guard: ExchangeGuard, limit: number, controller: Controller) {
    this.#guard = guard;
    this.#limit = limit;
    this.#controller = controller;
  }

  pipeTo(target: ReplySink, body: ReplyBody): Promise<void> {
    if (this.#done || this.#piping || this.#waiting) {
      return Promise.reject(new Error('the reply body is already being read'));
    }
    this.#guard.markReading();
    return new Promise((resolve, reject) => {
      const piping: Piping = {
        target,
        body,
        resolve,
        reject,
        waitingForDrain: false,
        onDrain: () => {
          piping.waitingForDrain = false;
          if (this.#controller?.paused) this.#controller.resume();
        },
        // Closed before it finished: the client went away.
        onClose: () => {
          if (!target.writableFinished) this.#stopPiping(prematureClose());
        },
        onFinish: () => this.#stopPiping(undefined),
        onError: (error) => this.#stopPiping(error ?? prematureClose()),
      };
      this.#piping = piping;
      target.on('close', piping.onClose);
      target.on('error', piping.onError);
      while (this.#queue.length > 0) this.#write(this.#queue.shift()!);
      this.#queued = 0;
      if (this.#failed) this.#stopPiping(this.#fail());
      else if (this.#ended) this.#endPiping();
      else if (!piping.waitingForDrain && this.#controller?.paused) this.#controller.resume();
    });
  }

  /** Writes one chunk into the sink; a full sink pauses undici until it drains. */
  #write(chunk: Uint8Array): void {
    const piping = this.#piping!;
    if (piping.target.write(chunk) || piping.waitingForDrain) return;
    piping.waitingForDrain = true;
    this.#controller?.pause();
    piping.target.once('drain', piping.onDrain);
  }

  #endPiping(): void {
    const piping = this.#piping!;
    this.#finish();
    piping.target.once('finish', piping.onFinish);
    piping.target.end();
  }

  /** Ends piping: resolves (finished) or rejects (failed, or the sink closed early, which aborts the request). */
  #stopPiping(error: unknown): void {
    const piping = this.#piping;
    if (!piping) return;
    this.#piping = undefined;
    piping.target.off('close', piping.onClose);
    piping.target.off('error', piping.onError);
    piping.target.off('drain', piping.onDrain);
    piping.target.off('finish', piping.onFinish);
    if (error === undefined) {
      piping.resolve();
      return;
    }
    if (!this.#done) {
      if (!this.#ended || this.#failed) this.#controller?.abort(gaveUp());
      this.#queue.length = 0;
      this.#finish();
    }
    piping.reject(error);
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#done) return Promise.resolve({ done: true, value: undefined });
    this.#guard.markReading();
    if (this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      this.#queued -= chunk.byteLength;
      if (this.#queued < HIGH_WATER_MARK && this.#controller?.paused) this.#controller.resume();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#failed) return Promise.reject(this.#fail());
    if (this.#ended) return Promise.resolve(this.#finish());
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#done) {
      if (!this.#ended || this.#failed) this.#controller?.abort(gaveUp());
      this.#queue.length = 0;
      this.#finish();
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  // The handler's side.

  push(chunk: Uint8Array): void {
    if (this.#done || this.#failed) return;
    this.#received += chunk.byteLength;
    if (this.#received > this.#limit) {
      // The bytes before the cap are still delivered; the read that would cross it fails. The request is
      // aborted first: failing a waiting reader ends the exchange, which lets go of the controller.
      const controller = this.#controller;
      this.fail(this.#guard.tooLarge(this.#limit));
      controller?.abort(gaveUp());
      return;
    }
    if (this.#piping) {
      this.#write(chunk);
      return;
    }
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued >= HIGH_WATER_MARK) this.#controller?.pause();
  }

  end(): void {
    if (this.#done || this.#failed) return;
    this.#ended = true;
    this.#controller = undefined;
    if (this.#piping) {
      this.#endPiping();
      return;
    }
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.resolve(this.#finish());
    }
  }

  fail(error: unknown): void {
    if (this.#done || this.#failed || this.#ended) return;
    this.#failed = true;
    this.#error = error;
    if (this.#piping) {
      this.#stopPiping(this.#fail());
      return;
    }
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.reject(this.#fail());
    }
  }

  #fail(): unknown {
    this.#finish();
    return this.#guard.failure(this.#error, 'body');
  }

  #finish(): IteratorReturnResult<undefined> {
    this.#done = true;
    this.#controller = undefined;
    this.release.queue = undefined;
    abandoned.unregister(this.release);
    this.#guard.finish();
    return { done: true, value: undefined };
  }
}

/**
 * undici's handler for one request: settles the head promise, then feeds the body queue. The promise's
 * callbacks are dropped once used: the guard keeps this handler (to cancel it) for as long as the exchange
 * runs, and a settled promise would otherwise keep the reply body reachable, so an abandoned body could never
 * be collected.
 */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  readonly #guard: ExchangeGuard;
  readonly #limit: number;
  #resolve: ((head: ReplyHead) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #controller: Controller | undefined;
  #queue: ReplyQueue | undefined;
  #cancelled: unknown;

  constructor(
    guard: ExchangeGuard,
    limit: number,
    resolve: (head: ReplyHead) => void,
    reject: (e: unknown) => void,
  ) {
    this.#guard = guard;
    this.#limit = limit;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  cancel(reason: unknown): void {
    if (this.#controller) this.#controller.abort(reason as Error);
    else {
      // Still queued for a connection: answer now, abort the request once undici starts it.
      this.#cancelled = reason;
      this.#fail(reason);
    }
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#cancelled !== undefined) controller.abort(this.#cancelled as Error);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[]>,
  ): void {
    // 1xx informational answers come before the real one.
    const resolve = this.#resolve;
    if (statusCode < 200 || !resolve) return;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#queue = new ReplyQueue(this.#guard, this.#limit, controller);
    resolve({ statusCode, headers, body: new ReplyBody(this.#queue) });
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    this.#queue?.push(chunk);
  }

  onResponseEnd(): void {
    this.#queue?.end();
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#queue) {
      this.#queue.fail(error);
      return;
    }
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    reject?.(error);
  }
}

/**
 * Sends one request and resolves with the reply head once it arrives; the body follows through
 * {@link ReplyHead.body}. Rejects with undici's error (the caller maps it with the guard). Cancelling the
 * guard aborts the request, even one still waiting for a connection.
 *
 * @example
 * const reply = await dispatchRequest(agent, { origin, path, method: 'GET', headers }, guard, 10 * 1024 * 1024);
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  guard: ExchangeGuard,
  limit: number,
): Promise<ReplyHead> {
  return new Promise((resolve, reject) => {
    const handler = new ExchangeHandler(guard, limit, resolve, reject);
    guard.onCancel(handler);
    dispatcher.dispatch(options, handler);
  });
}
