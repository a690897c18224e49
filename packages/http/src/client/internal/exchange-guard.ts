/**
 * One outbound exchange's deadline and cancellation, and the mapping of whatever went wrong to an error code
 * that error handlers can act on.
 *
 * The deadline is total: it runs from the call until the last byte of the reply body has been read, on the
 * engine's clock (so a fake clock drives it in tests). undici's own timeouts are per phase (headers, gaps
 * between body chunks) and would let a backend that trickles a byte at a time hold a request forever.
 *
 * @module
 */
import {
  type Clock,
  coreErrors,
  isMediaryError,
  type MediaryError,
  type MessageContext,
  onAbort,
  type TimerHandle,
} from '@mediary/core';
import { httpClientErrors } from '../errors.js';

/** Where the exchange was when it failed: before the reply head arrived, or while its body streamed. */
export type Phase = 'request' | 'body';

/** An endpoint's settings for its guards: made once per endpoint, not per call. */
export interface ExchangeGuardOptions {
  readonly endpoint: string;
  readonly origin: string;
  readonly timeoutMs: number;
  /** The endpoint's exchanges in flight: a guard is in it from creation until it finishes. */
  readonly inFlight?: Set<ExchangeGuard>;
}

/** What the request in flight offers to cancel it (undici's abort). */
export interface Cancellable {
  cancel(reason: unknown): void;
}

/**
 * Deadline and cancellation for one exchange. The request in flight registers how to cancel it
 * ({@link ExchangeGuard.onCancel}); a plain callback rather than an `AbortSignal`, which would cost an
 * abort controller and a listener on every call.
 */
export class ExchangeGuard {
  readonly #options: ExchangeGuardOptions;
  readonly #clock: Clock;
  readonly #timer: TimerHandle;
  readonly #stopFollowing: () => void;
  /** Set when the message itself was aborted, with why. */
  #messageAborted = false;
  #messageReason: unknown;
  #request: Cancellable | undefined;
  #aborted = false;
  #reason: unknown;
  #settled: Promise<void> | undefined;
  #resolveSettled: (() => void) | undefined;
  #timedOut = false;
  #finished = false;
  #reading = false;

  /**
   * `context` is the message's: its abort (a client gone, a route timeout) cancels the backend request. It
   * is not kept: a guard lives as long as its reply is unread, and must not keep the message (and with it an
   * abandoned reply body, released when collected) alive.
   */
  constructor(context: MessageContext, options: ExchangeGuardOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
    options.inFlight?.add(this);
    this.#timer = clock.setTimeout(() => {
      this.#timedOut = true;
      this.#abort(httpClientErrors.TIMEOUT(this.#params()));
    }, options.timeoutMs);
    this.#stopFollowing = onAbort(context, (reason) => {
      this.#messageAborted = true;
      this.#messageReason = reason;
      this.#abort(reason);
    });
  }

  /** True once the exchange was cancelled (deadline, message aborted, endpoint closing). */
  get aborted(): boolean {
    return this.#aborted;
  }

  /**
   * Registers the request in flight, to cancel it with the exchange; cancelled at once when the exchange
   * already is. A later request of the exchange (a redirect) replaces the earlier one.
   */
  onCancel(request: Cancellable): void {
    this.#request = request;
    if (this.#aborted) request.cancel(this.#reason);
  }

  /** Resolves once the exchange is over (reply read, failed or abandoned). */
  get settled(): Promise<void> {
    if (this.#finished) return Promise.resolve();
    this.#settled ??= new Promise((resolve) => {
      this.#resolveSettled = resolve;
    });
    return this.#settled;
  }

  /** True once somebody started reading the reply body (it is being streamed somewhere). */
  get reading(): boolean {
    return this.#reading;
  }

  markReading(): void {
    this.#reading = true;
  }

  /** Cancels the exchange from outside (the endpoint closing): a pending or later read fails with `reason`. */
  abort(reason: MediaryError): void {
    this.#abort(reason);
    this.finish();
  }

  /** Throws the cancellation error when the exchange may not start or go on. */
  throwIfStopped(): void {
    if (this.#aborted) throw this.failure(this.#reason, 'request');
  }

  /** Ends the exchange: clears the deadline and the abort listener. Safe to call more than once. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    // The request's handler (and through it undici's request) must not live as long as the guard: something
    // may hold the guard a while after the exchange (a cleared timer, the reply body's finalization entry),
    // and a whole request graph surviving into the old generation made every young collection three times
    // slower.
    this.#request = undefined;
    this.#clock.clearTimeout(this.#timer);
    this.#stopFollowing();
    this.#resolveSettled?.();
    this.#options.inFlight?.delete(this);
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#request?.cancel(reason);
  }

  /** Maps anything thrown during the exchange to a Mediary error (and ends the exchange). */
  failure(error: unknown, phase: Phase): MediaryError {
    this.finish();
    if (this.#timedOut) return httpClientErrors.TIMEOUT(this.#params(), { cause: error });
    if (this.#messageAborted) {
      const reason: unknown = this.#messageReason;
      if (isMediaryError(reason)) return reason;
      return coreErrors.ABORTED({ reason: describe(reason) }, { cause: reason });
    }
    // A Mediary error raised while the request body was read (the inbound body over its limit…) keeps its code.
    const inner = findMediaryError(error);
    if (inner) return inner;
    return this.#mapTransportError(error, phase);
  }

  /** Reply bigger than allowed. */
  tooLarge(limit: number): MediaryError {
    this.finish();
    return httpClientErrors.REPLY_TOO_LARGE({ endpoint: this.#options.endpoint, limit });
  }

  #mapTransportError(error: unknown, phase: Phase): MediaryError {
    const { endpoint, origin, timeoutMs } = this.#options;
    const code = errorCode(error);
    const reason = describe(error);
    const options = { cause: error };
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
        return httpClientErrors.TIMEOUT({ endpoint, origin, timeoutMs }, { ...options, details: { code } });
      case 'UND_ERR_DESTROYED':
      case 'UND_ERR_CLOSED':
        return coreErrors.ENGINE_STOPPING({}, options);
      case 'UND_ERR_INVALID_ARG':
      case 'UND_ERR_NOT_SUPPORTED':
        return httpClientErrors.REQUEST_INVALID({ endpoint, reason }, options);
      case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
        // The inbound body ended before (or after) the length its sender declared: the sender's fault.
        return coreErrors.BODY_READ({ reason }, options);
      case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      case 'UND_ERR_HEADERS_OVERFLOW':
        return httpClientErrors.BAD_REPLY({ endpoint, origin, reason }, options);
    }
    if (isTlsFailure(code)) return httpClientErrors.TLS({ endpoint, origin, reason }, options);
    if (isParserFailure(error, code))
      return httpClientErrors.BAD_REPLY({ endpoint, origin, reason }, options);
    // Once the reply head arrived, a dropped connection is a broken reply, not an unreachable backend.
    if (phase === 'body') return httpClientErrors.BAD_REPLY({ endpoint, origin, reason }, options);
    return httpClientErrors.UNREACHABLE({ endpoint, origin, reason }, options);
  }

  #params(): Record<string, unknown> {
    const { endpoint, origin, timeoutMs } = this.#options;
    return { endpoint, origin, timeoutMs };
  }
}

function findMediaryError(error: unknown): MediaryError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (isMediaryError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_)/;

function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && TLS_CODE.test(code);
}

function isParserFailure(error: unknown, code: string | undefined): boolean {
  return (code?.startsWith('HPE_') ?? false) || (error as Error | null)?.name === 'HTTPParserError';
}

/** A short reason for messages: the error's message (or code), never a stack or a credential. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message || errorCode(error) || error.name;
  return String(error);
}
