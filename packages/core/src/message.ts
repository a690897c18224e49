/**
 * The message: headers, a content type and a body that stays bytes or a stream until something reads it.
 *
 * Pass-through is the point: a body nobody reads is handed from the inbound transport to the outbound one as
 * the same stream, never buffered. The first reader that needs the whole body (`json()`, `text()`,
 * `bytes()`, a plugin view such as XML) collects it once, within a size limit, and every later read is
 * served from that cache. Setting a body replaces it; clones share the body (and its parsed views) until one
 * of them sets a new one, so fan-out never deep-copies what nobody changes.
 *
 * @module
 */
import { BINARY_TYPE, bodyKind, JSON_TYPE, TEXT_TYPE } from './content-type.js';
import { coreErrors, isMediaryError } from './errors.js';
import { type HeaderInit, Headers } from './headers.js';
import { jsonDepthWithin } from './internal/json-depth.js';

/** Limits applied when a body is collected or parsed. */
export interface MessageLimits {
  /** Largest body collected into memory, in bytes. Default 10 MiB. */
  readonly maxBodyBytes: number;
  /** Deepest JSON nesting accepted by `json()`. Default 128. */
  readonly maxJsonDepth: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  maxBodyBytes: 10 * 1024 * 1024,
  maxJsonDepth: 128,
});

/** What a body can be created from. Node `Readable` streams are async iterables of `Buffer`s. */
export type BodySource = AsyncIterable<Uint8Array>;

/**
 * The method a body source may offer to hand over its whole content faster than by iterating it. An async
 * iterator over node's request stream costs a promise, an end-of-stream watcher and a few closures per
 * request; plain `data` events cost none of that, which shows at thousands of messages a second.
 *
 * It resolves with every byte, or rejects: with `MEDIARY_BODY_TOO_LARGE` once more than `limit` bytes came
 * (having stopped reading), or with the source's own error. A source that offers it is still iterable.
 *
 * @example
 * class RequestBody implements CollectableBodySource {
 *   [Symbol.asyncIterator]() { return req.iterator({ destroyOnReturn: false }); }
 *   [collectBody](limit: number) { return readAll(req, limit); }
 * }
 */
export const collectBody: unique symbol = Symbol('mediary.collectBody');

/** A body source that can be collected without iterating it (see {@link collectBody}). */
export interface CollectableBodySource extends BodySource {
  [collectBody](limit: number): Promise<Uint8Array>;
}

/**
 * A parsed representation of a body that a plugin adds (the XML package adds one). Parsed at most once per
 * body and cached beside it.
 */
export interface BodyView<T> {
  readonly name: string;
  parse(message: Message): Promise<T>;
}

/**
 * Declares a plugin body view.
 *
 * @example
 * const xmlView = defineBodyView('xml', async (message) => parseXml(await message.bytes()));
 * const doc = await ctx.message.view(xmlView);
 */
export function defineBodyView<T>(name: string, parse: (message: Message) => Promise<T>): BodyView<T> {
  return Object.freeze({ name, parse });
}

/** Where the body currently is. `stream` means nobody has read it: the pass-through state. */
export type BodyState = 'empty' | 'stream' | 'bytes' | 'text' | 'value';

const NOT_PARSED = Symbol('not parsed');

/** One body's content and its memoised views, shared by every clone that has not set a new body. */
class Body {
  state: BodyState;
  source: BodySource | undefined;
  bytes: Uint8Array | undefined;
  text: string | undefined;
  value: unknown = NOT_PARSED;
  /** Set when a clone shares an unread stream: whoever reads next must collect it, not take it. */
  shared = false;
  takenBy: string | undefined;
  collecting: Promise<Uint8Array> | undefined;
  views: Map<BodyView<unknown>, Promise<unknown>> | undefined;

  constructor(
    state: BodyState,
    init: { source?: BodySource; bytes?: Uint8Array; text?: string; value?: unknown },
  ) {
    this.state = state;
    this.source = init.source;
    this.bytes = init.bytes;
    this.text = init.text;
    if ('value' in init) this.value = init.value;
  }
}

const EMPTY = new Uint8Array(0);

/** The bytes of a body that is in memory (any state but an uncollected stream), made and cached once. */
function bufferedBytes(b: Body): Uint8Array {
  if (b.bytes) return b.bytes;
  switch (b.state) {
    case 'text':
      b.bytes = Buffer.from(b.text!, 'utf8');
      return b.bytes;
    case 'value':
      // Not through bufferedText: a body serialised to be sent needs its bytes, not a string kept beside them.
      b.bytes = Buffer.from(b.text ?? JSON.stringify(b.value) ?? 'null', 'utf8');
      return b.bytes;
    default:
      return EMPTY;
  }
}

/** The text of a body that is in memory, decoded (or serialised) and cached once. */
function bufferedText(b: Body): string {
  if (b.text !== undefined) return b.text;
  if (b.state === 'value') {
    b.text = JSON.stringify(b.value) ?? 'null';
    return b.text;
  }
  const bytes = bufferedBytes(b);
  b.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return b.text;
}

/** How to create a message. At most one of `body`, `json`, `text` is given. */
export interface MessageInit {
  readonly headers?: HeaderInit | Headers;
  readonly contentType?: string;
  /** Raw bytes or an unread stream (the pass-through form). */
  readonly body?: Uint8Array | BodySource | string;
  /** A value that will be serialised as JSON when somebody needs bytes. */
  readonly json?: unknown;
  readonly text?: string;
  readonly limits?: MessageLimits;
  /** A transport status that travels with a reply (an HTTP status code). */
  readonly status?: number;
}

/** Set by the class's static block, which alone can reach a message's private body. */
let snapshotMessage: (message: Message) => Message;

/**
 * The message a copy is made of, handed to the constructor call of `#copy()` (set and cleared around it):
 * every dispatch copies its message once, and a copy needs no init object and no empty body to discard.
 */
let copying: Message | undefined;
const NO_INIT: MessageInit = Object.freeze({});

/**
 * A message: case-insensitive headers, a content type and a lazily read body.
 *
 * @example
 * const m = createMessage({ json: { hospital: 'clemency medical center' } });
 * (await m.json<{ hospital: string }>()).hospital;
 */
export class Message {
  readonly headers: Headers;
  readonly limits: MessageLimits;
  /**
   * A transport status carried by a reply — the HTTP status of a backend's answer, or the one a route
   * wants to send. `undefined` means the transport's default (200 for HTTP).
   */
  status: number | undefined;
  #body: Body;

  constructor(init: MessageInit = {}) {
    const source = copying;
    if (source !== undefined) {
      copying = undefined;
      this.headers = new Headers(source.headers);
      this.limits = source.limits;
      this.status = source.status;
      this.#body = source.#body;
      return;
    }
    this.headers = new Headers(init.headers);
    this.limits = init.limits ?? DEFAULT_MESSAGE_LIMITS;
    this.status = init.status;
    if (init.contentType !== undefined) this.headers.set('content-type', init.contentType);
    if ('json' in init && init.json !== undefined) {
      this.#body = new Body('value', { value: init.json });
      if (init.contentType === undefined) this.headers.set('content-type', JSON_TYPE);
    } else if (init.text !== undefined) {
      this.#body = new Body('text', { text: init.text });
      if (!this.headers.has('content-type')) this.headers.set('content-type', TEXT_TYPE);
    } else {
      this.#body = bodyFrom(init.body);
    }
  }

  /** The `content-type` header. */
  get contentType(): string | undefined {
    return this.headers.get('content-type');
  }

  set contentType(value: string | undefined) {
    if (value === undefined) this.headers.delete('content-type');
    else this.headers.set('content-type', value);
  }

  /** Where the body is now; `stream` means it has not been read (tests use this to prove pass-through). */
  get bodyState(): BodyState {
    return this.#body.state;
  }

  /** True when the body has no content (no stream, zero bytes, or an empty text). */
  get isEmpty(): boolean {
    const b = this.#body;
    return (
      b.state === 'empty' ||
      (b.state === 'bytes' && b.bytes!.length === 0) ||
      (b.state === 'text' && b.text === '')
    );
  }

  /** The body as bytes, collected once (within `limits.maxBodyBytes`) and cached. */
  async bytes(): Promise<Uint8Array> {
    const b = this.#body;
    return b.state === 'stream' ? this.#collect(b) : bufferedBytes(b);
  }

  /** The body decoded as UTF-8 text. */
  async text(): Promise<string> {
    const b = this.#body;
    if (b.text !== undefined) return b.text;
    if (b.state === 'stream') await this.#collect(b);
    return bufferedText(b);
  }

  /**
   * The body parsed as JSON (form bodies become an object of their fields). Parsed once and cached: treat the
   * result as read-only, because clones share it; set a new body to change it.
   */
  async json<T = unknown>(): Promise<T> {
    const b = this.#body;
    if (b.value !== NOT_PARSED) return b.value as T;
    const kind = bodyKind(this.contentType);
    if (kind === 'form') {
      b.value = formToObject(await this.text());
      return b.value as T;
    }
    if (kind === 'xml') {
      // JSON stays JSON and XML stays XML: converting is an explicit mediator of the XML package.
      throw coreErrors.CONTENT_TYPE_UNSUPPORTED({ contentType: this.contentType, as: 'JSON' });
    }
    if (b.state === 'empty') throw coreErrors.JSON_MALFORMED({ reason: 'the body is empty' });
    if (b.state === 'stream') {
      await this.#collect(b);
      // Two readers may have waited for the same bytes: the first parse wins, so both see one object.
      if (b.value !== NOT_PARSED) return b.value as T;
    }
    // From here on nothing waits: a body in memory is parsed in the same turn it was asked for.
    if (!jsonDepthWithin(bufferedBytes(b), this.limits.maxJsonDepth)) {
      throw coreErrors.JSON_TOO_DEEP({ limit: this.limits.maxJsonDepth });
    }
    const text = bufferedText(b);
    try {
      b.value = JSON.parse(text);
    } catch (error) {
      throw coreErrors.JSON_MALFORMED({ reason: (error as Error).message }, { cause: error });
    }
    return b.value as T;
  }

  /**
   * The body as `application/x-www-form-urlencoded` fields; a repeated field becomes an array. A body that
   * declares itself JSON or XML is refused rather than misread as fields.
   */
  async form(): Promise<Record<string, string | string[]>> {
    const kind = bodyKind(this.contentType);
    if (kind === 'json' || kind === 'xml') {
      throw coreErrors.CONTENT_TYPE_UNSUPPORTED({ contentType: this.contentType, as: 'form fields' });
    }
    return formToObject(await this.text());
  }

  /** A plugin view of the body (XML, CSV…), parsed once per body and cached with it. */
  view<T>(view: BodyView<T>): Promise<T> {
    const b = this.#body;
    b.views ??= new Map();
    let parsed = b.views.get(view as BodyView<unknown>) as Promise<T> | undefined;
    if (!parsed) {
      parsed = view.parse(this);
      b.views.set(view as BodyView<unknown>, parsed);
      // A failed parse is not cached: the next reader gets the same clear error again, not a stale promise.
      parsed.catch(() => b.views?.delete(view as BodyView<unknown>));
    }
    return parsed;
  }

  /**
   * The body as a stream. An unread stream body is handed over as it is — the pass-through path — and can
   * then not be read again; anything already in memory is streamed from memory.
   */
  stream(): BodySource {
    const b = this.#body;
    if (b.state !== 'stream') return once(b.state === 'empty' ? EMPTY : undefined, () => this.bytes());
    if (b.shared || b.collecting !== undefined) return once(undefined, () => this.#collect(b));
    if (b.takenBy) throw coreErrors.BODY_CONSUMED({ by: b.takenBy });
    b.takenBy = 'stream()';
    return b.source!;
  }

  /** Replaces the body with a JSON value (serialised only when somebody needs bytes). */
  setJson(value: unknown, contentType: string = JSON_TYPE): this {
    this.#body = new Body('value', { value });
    this.headers.set('content-type', contentType);
    this.headers.delete('content-length');
    return this;
  }

  /** Replaces the body with text. */
  setText(text: string, contentType: string = TEXT_TYPE): this {
    this.#body = new Body('text', { text });
    this.headers.set('content-type', contentType);
    this.headers.delete('content-length');
    return this;
  }

  /** Replaces the body with bytes or a stream. The content type is kept unless one is given. */
  setBody(body: Uint8Array | BodySource | string | undefined, contentType?: string): this {
    this.#body = bodyFrom(body);
    if (contentType !== undefined) this.headers.set('content-type', contentType);
    this.headers.delete('content-length');
    return this;
  }

  /**
   * A copy with its own headers that shares this body. An unread stream is marked shared, so whichever copy
   * reads first collects it once (bounded) instead of draining it from under the other.
   */
  clone(): Message {
    const copy = this.#copy();
    if (this.#body.state === 'stream') this.#body.shared = true;
    return copy;
  }

  #copy(): Message {
    copying = this;
    return new Message(NO_INIT);
  }

  static {
    snapshotMessage = (message) => message.#copy();
  }

  async #collect(b: Body): Promise<Uint8Array> {
    if (b.bytes) return b.bytes;
    if (b.takenBy) throw coreErrors.BODY_CONSUMED({ by: b.takenBy });
    b.collecting ??= collect(b.source!, this.limits.maxBodyBytes).then((bytes) => {
      b.bytes = bytes;
      b.state = 'bytes';
      b.source = undefined;
      return bytes;
    });
    return b.collecting;
  }
}

/**
 * Internal (not exported from the package): the engine's `ctx.original`. Like {@link Message.clone} it has
 * its own headers and shares the body, but it does not mark an unread stream as shared — otherwise every
 * dispatched stream body would be collected into memory and nothing would ever pass through. If the current
 * message hands the stream on, reading the snapshot's body afterwards fails with `MEDIARY_BODY_CONSUMED`;
 * if the snapshot is read first, the body is collected once and both see the bytes.
 */
export function snapshotOf(message: Message): Message {
  return snapshotMessage(message);
}

/**
 * Creates a message.
 *
 * @example
 * const m = createMessage({ json: { a: 1 }, headers: { 'x-trace': 't1' } });
 */
export function createMessage(init: MessageInit = {}): Message {
  return new Message(init);
}

function bodyFrom(body: Uint8Array | BodySource | string | undefined): Body {
  if (body === undefined) return new Body('empty', {});
  if (typeof body === 'string') return new Body('text', { text: body });
  if (body instanceof Uint8Array) return new Body('bytes', { bytes: body });
  return new Body('stream', { source: body });
}

async function collect(source: BodySource, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (collectBody in source) return await (source as CollectableBodySource)[collectBody](limit);
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > limit) {
        // Stop reading: the rest of an oversized body is never pulled into memory.
        const destroy = (source as { destroy?: () => void }).destroy;
        if (typeof destroy === 'function') destroy.call(source);
        throw coreErrors.BODY_TOO_LARGE({ limit });
      }
      chunks.push(chunk);
    }
  } catch (error) {
    // A source that fails with a Mediary error (a backend reply cut short, a deadline) keeps its own code and
    // status; only foreign stream errors become a read error.
    if (isMediaryError(error)) throw error;
    throw coreErrors.BODY_READ({ reason: (error as Error).message ?? String(error) }, { cause: error });
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

async function* once(
  bytes: Uint8Array | undefined,
  load: () => Promise<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const chunk = bytes ?? (await load());
  if (chunk.byteLength > 0) yield chunk;
}

function formToObject(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

export { BINARY_TYPE };
