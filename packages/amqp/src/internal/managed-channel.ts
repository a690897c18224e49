/**
 * A channel that comes back: opened on the shared connection, re-opened (and set up again: topology,
 * prefetch, consumer) after the connection reconnects or after the broker closed just this channel. Holders
 * keep the channel object a delivery came on, and settle it only while that channel is still the current
 * one; after a reconnect the broker redelivers whatever was not settled.
 *
 * @module
 */
import { backoffDelay, type MediaryError, reasonOf, type TimerHandle, toMediaryError } from '@mediary/core';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpConnection } from '../connection.js';
import { amqpErrors } from '../errors.js';

export interface ManagedChannelOptions {
  /** The component that owns the channel, for errors and logs (`source orders`, `endpoint audit`). */
  readonly component: string;
  readonly name: string;
  /** A confirm channel: publishes resolve when the broker has taken responsibility for the message. */
  readonly confirm: boolean;
  /** Runs on every newly opened channel before it is handed out: declare, prefetch, consume. */
  readonly setup?: (channel: ConfirmChannel) => Promise<void>;
  /** Called when a channel that was handed out closes (its deliveries can no longer be settled). */
  readonly onClose?: (channel: ConfirmChannel) => void;
}

interface Waiter {
  resolve(channel: ConfirmChannel): void;
  reject(error: MediaryError): void;
}

/**
 * One channel of a component, kept open across reconnects. The type says `ConfirmChannel` because
 * non-confirm channels share its API minus the publish callbacks, which holders of those never pass.
 */
export class ManagedChannel {
  readonly #connection: AmqpConnection;
  readonly #options: ManagedChannelOptions;
  #channel: ConfirmChannel | undefined;
  #opening: ChannelModel | undefined;
  #unsubscribe: (() => void) | undefined;
  #attempt = 0;
  #timer: TimerHandle | undefined;
  #starting = false;
  #closed = true;
  readonly #waiters = new Set<Waiter>();

  constructor(connection: AmqpConnection, options: ManagedChannelOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  /** The open, set-up channel, when there is one. */
  get current(): ConfirmChannel | undefined {
    return this.#channel;
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /**
   * Starts keeping the channel open and waits for the first one, up to `timeoutMs`. A setup that fails on
   * the first try (a queue declared with other arguments, a missing queue) fails this call with its error.
   */
  async open(timeoutMs = this.#connection.connectTimeoutMs): Promise<ConfirmChannel> {
    if (!this.#closed) return this.ready(timeoutMs);
    this.#closed = false;
    this.#starting = true;
    this.#unsubscribe = this.#connection.subscribe({
      opened: (model) => this.#openOn(model),
      lost: () => this.#lost(),
    });
    this.#connection.acquire();
    const model = this.#connection.channelModel;
    if (model) this.#openOn(model);
    try {
      return await this.ready(timeoutMs);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      this.#starting = false;
    }
  }

  /**
   * The channel, waiting up to `timeoutMs` on the connection's clock for it to (re)open. With `stale`, a
   * channel that just failed the caller, waits for a different one.
   */
  ready(timeoutMs: number, signal?: AbortSignal, stale?: ConfirmChannel): Promise<ConfirmChannel> {
    if (this.#channel && this.#channel !== stale) return Promise.resolve(this.#channel);
    const { component, name } = this.#options;
    if (this.#closed) {
      return Promise.reject(
        amqpErrors.UNAVAILABLE({ component, name, timeoutMs }, { cause: new Error('the channel is closed') }),
      );
    }
    if (signal?.aborted) return Promise.reject(toMediaryError(signal.reason));
    return new Promise<ConfirmChannel>((resolve, reject) => {
      const clock = this.#connection.clock;
      const finish = () => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: (channel) => {
          finish();
          resolve(channel);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(toMediaryError(signal?.reason));
      const timer = clock.setTimeout(
        () =>
          waiter.reject(
            amqpErrors.UNAVAILABLE(
              { component, name, timeoutMs },
              {
                cause: this.#connection.lastError ?? new Error(`the connection is ${this.#connection.state}`),
              },
            ),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Closes the current channel and opens a fresh one (after the broker cancelled a consumer, say). */
  reset(): void {
    const channel = this.#channel;
    if (!channel) return;
    // The close event schedules the re-open.
    channel.close().catch(() => undefined);
  }

  /** Stops keeping the channel open, closes it and releases the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer !== undefined) this.#connection.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const { component, name } = this.#options;
    for (const waiter of [...this.#waiters]) {
      waiter.reject(
        amqpErrors.UNAVAILABLE(
          { component, name, timeoutMs: 0 },
          { cause: new Error('the channel was closed') },
        ),
      );
    }
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) {
      this.#options.onClose?.(channel);
      await channel.close().catch(() => undefined);
    }
    await this.#connection.release();
  }

  #openOn(model: ChannelModel): void {
    if (this.#closed || this.#opening === model || this.#channel) return;
    if (this.#timer !== undefined) this.#connection.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#opening = model;
    this.#create(model)
      .then((channel) => {
        this.#opening = undefined;
        if (this.#closed || this.#connection.channelModel !== model) {
          channel.close().catch(() => undefined);
          return;
        }
        this.#channel = channel;
        this.#attempt = 0;
        for (const waiter of [...this.#waiters]) waiter.resolve(channel);
      })
      .catch((error: unknown) => {
        this.#opening = undefined;
        if (this.#closed) return;
        const { component, name } = this.#options;
        const failure = amqpErrors.CHANNEL_FAILED(
          { component, name, reason: reasonOf(error) },
          { cause: error },
        );
        if (this.#starting) {
          for (const waiter of [...this.#waiters]) waiter.reject(failure);
          return;
        }
        this.#scheduleReopen(model, failure);
      });
  }

  async #create(model: ChannelModel): Promise<ConfirmChannel> {
    const channel = this.#options.confirm
      ? await model.createConfirmChannel()
      : ((await model.createChannel()) as ConfirmChannel);
    let failure: unknown;
    // Without a listener an 'error' event would crash the process; 'close' always follows it.
    channel.on('error', (error: unknown) => {
      failure = error;
    });
    channel.on('close', () => this.#channelClosed(channel, model, failure));
    try {
      await this.#options.setup?.(channel);
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw failure ?? error;
    }
    return channel;
  }

  #channelClosed(channel: ConfirmChannel, model: ChannelModel, failure: unknown): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#options.onClose?.(channel);
    if (this.#closed) return;
    const { component, name } = this.#options;
    const error = amqpErrors.CHANNEL_FAILED(
      { component, name, reason: failure === undefined ? 'closed' : reasonOf(failure) },
      failure === undefined ? {} : { cause: failure },
    );
    // A lost connection closes its channels first; the reconnect re-opens them, so wait for that.
    this.#scheduleReopen(model, error);
  }

  #scheduleReopen(model: ChannelModel, error: MediaryError): void {
    if (this.#timer !== undefined || this.#closed) return;
    const delay = backoffDelay(this.#attempt++, this.#connection.reconnect);
    const clock = this.#connection.clock;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      const current = this.#connection.channelModel;
      // Only the same broker connection: after a reconnect the 'opened' notice re-opens the channel.
      if (current === model) {
        this.#report(error, delay);
        this.#openOn(current);
      }
    }, delay);
  }

  #report(error: MediaryError, delay: number): void {
    const { component, name } = this.#options;
    this.#connection.report(`amqp:${name}`, error, `amqp ${component} channel closed, re-opening`, {
      name,
      afterMs: delay,
    });
  }

  #lost(): void {
    // The channels died with the connection; 'close' events handle the rest.
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) this.#options.onClose?.(channel);
  }
}
