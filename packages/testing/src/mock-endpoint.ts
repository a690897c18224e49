/**
 * Mock endpoints (Camel's MockEndpoint, undici's MockAgent): replace any endpoint by name, answer with
 * canned replies, functions, failures or delays, record what was received, and check expectations.
 *
 * @module
 */
import {
  bodyKind,
  type Clock,
  createMessage,
  type Endpoint,
  type MediaryError,
  Message,
  type MessageContext,
  type MessageInit,
  sleep,
} from '@mediary/core';

/** One message a mock received. */
export interface RecordedCall {
  readonly message: Message;
  /** The body as JSON when it is JSON, else as text (read when the call arrived). */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, string>>;
}

type Behaviour =
  | {
      readonly kind: 'reply';
      readonly reply:
        | MessageInit
        | ((
            call: RecordedCall,
            ctx: MessageContext,
          ) => MessageInit | Message | Promise<MessageInit | Message>);
    }
  | { readonly kind: 'fail'; readonly error: MediaryError | Error | (() => Error) };

/** An endpoint replacement that records calls and answers as told. */
export class MockEndpoint implements Endpoint {
  readonly name: string;
  readonly calls: RecordedCall[] = [];
  readonly #clock: Clock;
  readonly #once: Behaviour[] = [];
  #default: Behaviour = { kind: 'reply', reply: { status: 200 } };
  #delayMs = 0;

  constructor(name: string, clock: Clock) {
    this.name = name;
    this.#clock = clock;
  }

  /** Answers every call with this reply (a message init — `{ json, status, headers }` — or a function). */
  reply(reply: Extract<Behaviour, { kind: 'reply' }>['reply']): this {
    this.#default = { kind: 'reply', reply };
    return this;
  }

  /** Answers the next call (queued before the default). */
  replyOnce(reply: Extract<Behaviour, { kind: 'reply' }>['reply']): this {
    this.#once.push({ kind: 'reply', reply });
    return this;
  }

  /** Fails every call with this error. */
  fail(error: MediaryError | Error | (() => Error)): this {
    this.#default = { kind: 'fail', error };
    return this;
  }

  /** Fails the next call. */
  failOnce(error: MediaryError | Error | (() => Error)): this {
    this.#once.push({ kind: 'fail', error });
    return this;
  }

  /** Waits this long (on the engine's clock) before answering; honours the call's abort signal. */
  delay(ms: number): this {
    this.#delayMs = ms;
    return this;
  }

  async send(message: Message, ctx: MessageContext): Promise<Message> {
    const call = await record(message, ctx);
    this.calls.push(call);
    if (this.#delayMs > 0) await sleep(this.#clock, this.#delayMs, ctx.signal);
    const behaviour = this.#once.shift() ?? this.#default;
    if (behaviour.kind === 'fail')
      throw typeof behaviour.error === 'function' ? behaviour.error() : behaviour.error;
    const reply = typeof behaviour.reply === 'function' ? await behaviour.reply(call, ctx) : behaviour.reply;
    return reply instanceof Message ? reply : createMessage(reply);
  }

  /** Throws unless the mock was called exactly `times` times (any number ≥ 1 when omitted). */
  expectCalled(times?: number): void {
    if (times === undefined ? this.calls.length === 0 : this.calls.length !== times) {
      throw new Error(
        `expected endpoint ${this.name} to be called ${times === undefined ? 'at least once' : `${times} time(s)`}, but it was called ${this.calls.length} time(s)`,
      );
    }
  }

  /** Throws if the mock was called. */
  expectNotCalled(): void {
    this.expectCalled(0);
  }

  /** The body of the n-th call (0-based; negative counts from the end). */
  received(index = -1): unknown {
    const call = this.calls.at(index);
    if (!call)
      throw new Error(`endpoint ${this.name} has no call at index ${index} (it has ${this.calls.length})`);
    return call.body;
  }

  /** Forgets calls and queued behaviours. */
  reset(): this {
    this.calls.length = 0;
    this.#once.length = 0;
    return this;
  }
}

async function record(message: Message, ctx: MessageContext): Promise<RecordedCall> {
  const kind = bodyKind(message.contentType);
  let body: unknown;
  if (!message.isEmpty)
    body = kind === 'json' || kind === 'form' ? await message.json() : await message.text();
  return {
    message,
    body,
    headers: message.headers.toObject(),
    vars: { ...ctx.vars },
    params: ctx.transport.params,
  };
}
