/**
 * The one place that talks to node-redis: opens a client from a URL (or uses the caller's), sends commands
 * with binary-safe replies and a timeout, runs Lua scripts by SHA with a fallback to the source (scripts
 * vanish when Redis restarts), and turns client errors into catalog errors.
 *
 * Replies are read with the `BLOB_STRING → Buffer` type mapping on each command, so message bodies come
 * back byte for byte without base64 and without changing how the caller's own client decodes replies.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { isMediaryError, type MediaryError } from '@mediary/core';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  DisconnectsClientError,
  ErrorReply,
  RESP_TYPES,
  ReconnectStrategyError,
  type RedisArgument,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
  type TypeMapping,
} from 'redis';
import { redisErrors } from '../errors.js';

/**
 * What Mediary needs of a node-redis client: `sendCommand`. Any connected client from `createClient` (node-
 * redis 5) fits. Redis Cluster clients do not (their `sendCommand` takes a key first).
 */
export interface RedisCommandClient {
  sendCommand(
    args: ReadonlyArray<RedisArgument>,
    options?: { readonly typeMapping?: TypeMapping; readonly timeout?: number },
  ): Promise<unknown>;
}

/** Either a connected client the caller owns (and closes), or a URL the component opens a client for. */
export type RedisConnectionOptions =
  | { readonly client: RedisCommandClient; readonly url?: undefined }
  | { readonly url: string; readonly client?: undefined };

/** Options every Redis component takes besides its connection. */
export interface RedisCommandOptions {
  /**
   * How long a command may wait for its reply, including time queued while the client reconnects, before
   * it fails with `MEDIARY_REDIS_UNAVAILABLE`. Default 10 000 ms.
   */
  readonly commandTimeoutMs?: number;
}

/** Who is asking, for error messages. */
export interface Subject {
  readonly component: string;
  readonly name: string;
}

/** A Lua script, sent by SHA1 once Redis knows it. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function defineScript(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const BUFFERS = { [RESP_TYPES.BLOB_STRING]: Buffer } as TypeMapping;

// Server replies that mean "not now" rather than "never": loading, a replica, a busy script, failover.
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;
const CONNECTION_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** True when `error` says Redis could not be reached (or not in time), so a later attempt may succeed. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof ErrorReply) return TRANSIENT_REPLY.test(error.message);
  if (
    error instanceof ClientClosedError ||
    error instanceof ClientOfflineError ||
    error instanceof ConnectionTimeoutError ||
    error instanceof DisconnectsClientError ||
    error instanceof ReconnectStrategyError ||
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof SocketTimeoutError ||
    error instanceof TimeoutError
  ) {
    return true;
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONNECTION_ERRNO.has(code);
}

/** A client plus the error handling every component shares. */
export class RedisConnection {
  readonly client: RedisCommandClient;
  readonly #owned: ReturnType<typeof createClient> | undefined;
  readonly #subject: Subject;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(options: RedisConnectionOptions & RedisCommandOptions, subject: Subject) {
    this.#subject = subject;
    this.#timeoutMs = options.commandTimeoutMs ?? 10_000;
    if (!(this.#timeoutMs > 0)) {
      throw redisErrors.INVALID_OPTIONS({
        component: subject.component,
        reason: `commandTimeoutMs must be a number > 0, got ${options.commandTimeoutMs}`,
      });
    }
    if (options.client && options.url === undefined) {
      this.client = options.client;
    } else if (typeof options.url === 'string' && !options.client) {
      const owned = createClient({ url: options.url });
      // Connection errors are reported through the commands that fail; an unhandled 'error' event would end
      // the process while the client is reconnecting on its own.
      owned.on('error', () => {});
      this.#owned = owned;
      this.client = owned;
    } else {
      throw redisErrors.INVALID_OPTIONS({
        component: subject.component,
        reason: 'give exactly one of client and url',
      });
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one command; bulk strings in the reply come back as Buffers. */
  async send(operation: string, args: ReadonlyArray<RedisArgument>): Promise<unknown> {
    if (this.#closed) throw redisErrors.CLOSED({ ...this.#subject });
    this.#connect();
    try {
      return await this.client.sendCommand(args, { typeMapping: BUFFERS, timeout: this.#timeoutMs });
    } catch (error) {
      throw this.#wrap(operation, error);
    }
  }

  /** Runs a script by SHA, loading it from source when Redis does not know it (first use, or a restart). */
  async run(
    operation: string,
    script: Script,
    call: { readonly keys: readonly string[]; readonly args: ReadonlyArray<RedisArgument> },
  ): Promise<unknown> {
    const tail = [String(call.keys.length), ...call.keys, ...call.args];
    try {
      return await this.send(operation, ['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      if (
        !(
          isMediaryError(error) &&
          error.cause instanceof ErrorReply &&
          error.cause.message.startsWith('NOSCRIPT')
        )
      ) {
        throw error;
      }
      return await this.send(operation, ['EVAL', script.source, ...tail]);
    }
  }

  /** Closes the client when this component opened it; a client passed in stays the caller's to close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const owned = this.#owned;
    if (owned?.isReady) await owned.close();
    else if (owned?.isOpen) owned.destroy();
  }

  /**
   * Starts connecting a client of ours on first use. Not awaited: commands queue in the client until it is
   * ready, under their own timeout, so an unreachable Redis fails each command in time instead of leaving
   * it waiting on a connection attempt that the client retries forever.
   */
  #connect(): void {
    const owned = this.#owned;
    if (!owned || owned.isOpen) return;
    // Connection failures reach the caller through the queued command; this promise only reports them again.
    owned.connect().catch(() => {});
  }

  #wrap(operation: string, error: unknown): MediaryError {
    if (isMediaryError(error)) return error;
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const params = { ...this.#subject, operation, reason };
    return isConnectionError(error)
      ? redisErrors.UNAVAILABLE(params, { cause: error })
      : redisErrors.COMMAND_FAILED(params, { cause: error });
  }
}

/** Serialises to JSON text, with a catalog error when the value cannot be. */
export function toJson(value: unknown, subject: Subject, what: string): string {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('the value has no JSON form');
    return text;
  } catch (error) {
    throw redisErrors.NOT_SERIALISABLE(
      { ...subject, what, reason: (error as Error).message },
      { cause: error },
    );
  }
}

/** Parses JSON from a reply, with a catalog error when it is not. */
export function fromJson<T>(value: unknown, subject: Subject, what: string): T {
  try {
    return JSON.parse(text(value)) as T;
  } catch (error) {
    throw redisErrors.CORRUPT_ENTRY({ ...subject, what, reason: (error as Error).message }, { cause: error });
  }
}

/** A bulk string reply (a Buffer under our type mapping) as text. */
export function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  throw new TypeError(`expected a string reply, got ${value === null ? 'null' : typeof value}`);
}
