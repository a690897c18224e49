/**
 * The engine: one instance holds its routes, sequences, templates, endpoints, sources and plugins — no
 * globals, so two engines in one process never see each other. Sources (HTTP servers, queue consumers,
 * timers) hand messages to {@link Engine.dispatch}, which runs a route and returns a result object; the
 * source turns that into a reply, an ack or a nack.
 *
 * @module
 */
import { createBus, type EngineBus } from './bus.js';
import { type Clock, systemClock } from './clock.js';
import {
  createVars,
  EMPTY_TRANSPORT,
  type MessageContext,
  type TransportInfo,
  type Vars,
} from './context.js';
import type { Endpoint } from './endpoint.js';
import { coreErrors, type MediaryError, toMediaryError } from './errors.js';
import { DEFAULT_EXPRESSION_LIMITS } from './expression.js';
import { LazyAbort } from './internal/lazy-abort.js';
import { randomId } from './internal/uuid.js';
import { createConsoleLogger, type Logger } from './logger.js';
import type { Mediator, Outcome, Step } from './mediator.js';
import { DEFAULT_MESSAGE_LIMITS, type Message, snapshotOf } from './message.js';
import { abortHook } from './on-abort.js';
import type { EngineLimits, Runtime } from './runtime.js';
import { type SequenceOptions, sequence } from './sequence.js';
import type { Template } from './template.js';

/** A route: an id and the steps a message runs through, with an optional error handler. */
export interface RouteDefinition<V extends Vars = Vars> extends Omit<SequenceOptions, 'name' | 'id'> {
  readonly id: string;
  readonly steps: readonly Step<V>[];
}

/** A registered route. */
export interface Route {
  readonly id: string;
  readonly mediator: Mediator;
}

/** Something that receives messages from outside and dispatches them: an HTTP server, a queue consumer. */
export interface Source {
  readonly name: string;
  start(engine: Engine): Promise<void>;
  /** Stop taking new messages. In-flight ones are drained by the engine afterwards. */
  stop(): Promise<void>;
  /** Release everything (idle connections, channels) once in-flight messages are done. */
  close?(): Promise<void>;
}

/** Adds capabilities to an engine: registers sources, endpoints, sequences. Explicit, never by import. */
export interface Plugin {
  readonly name: string;
  setup(engine: Engine): void;
}

/**
 * Declares a plugin.
 *
 * @example
 * const audit = definePlugin('audit', (engine) => engine.bus.on('message:failed', report));
 */
export function definePlugin(name: string, setup: (engine: Engine) => void): Plugin {
  return { name, setup };
}

export interface EngineOptions {
  /** Distinguishes engines in logs and metrics. Default `mediary-<n>`. */
  readonly name?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly limits?: Partial<EngineLimits>;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly plugins?: readonly Plugin[];
}

/** What {@link Engine.dispatch} accepts besides the message. */
export interface DispatchOptions<V extends Vars = Vars> {
  readonly transport?: TransportInfo;
  /** Aborts the message (client gone, per-request deadline). */
  readonly signal?: AbortSignal;
  /**
   * Receives, at once, a function that aborts the message while it runs (a no-op once `dispatch` has
   * returned). A cheaper alternative to `signal` for a source that learns of cancellation from an event of
   * its own (a socket closing): no `AbortSignal` is made unless a step reads `ctx.signal`.
   */
  readonly bindAbort?: (abort: (reason: unknown) => void) => void;
  readonly correlationId?: string;
  readonly vars?: Partial<V>;
  /** The logger for this message; default: the engine's, with route and correlation ids bound. */
  readonly log?: Logger;
}

/** The result of one message's trip through a route: never a throw. */
export type Exchange =
  | {
      readonly ok: true;
      readonly outcome: Exclude<Outcome, 'retry'>;
      readonly message: Message;
      readonly context: MessageContext;
    }
  | {
      readonly ok: false;
      readonly error: MediaryError;
      readonly message: Message;
      readonly context: MessageContext;
    };

export type EngineState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped';

let engineCount = 0;
const SAFE_CORRELATION_ID = /^[\w.:-]{1,128}$/;

/** The mediation engine. Create it with {@link createEngine}. */
export class Engine implements Runtime {
  readonly name: string;
  readonly clock: Clock;
  readonly bus: EngineBus = createBus();
  readonly log: Logger;
  readonly limits: EngineLimits;
  readonly config: Readonly<Record<string, unknown>>;

  readonly #routes = new Map<string, Route>();
  readonly #sequences = new Map<string, Mediator>();
  readonly #templates = new Map<string, Template>();
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #endpointOverrides = new Map<string, Endpoint>();
  readonly #sources: Source[] = [];
  readonly #plugins: Plugin[] = [];
  readonly #inFlight = new Set<LazyAbort>();
  #drained: (() => void) | undefined;
  #state: EngineState = 'created';

  constructor(options: EngineOptions = {}) {
    this.name = options.name ?? `mediary-${++engineCount}`;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? createConsoleLogger()).child({ engine: this.name });
    this.limits = Object.freeze({
      ...DEFAULT_MESSAGE_LIMITS,
      ...DEFAULT_EXPRESSION_LIMITS,
      ...options.limits,
    });
    this.config = Object.freeze({ ...options.config });
    for (const plugin of options.plugins ?? []) this.use(plugin);
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Messages currently being processed. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  get observed(): boolean {
    return this.bus.listenerCount('mediator:enter') + this.bus.listenerCount('mediator:leave') > 0;
  }

  use(plugin: Plugin): this {
    this.#plugins.push(plugin);
    plugin.setup(this);
    return this;
  }

  /** Registers a route. Its id must be unique on this engine. */
  addRoute<V extends Vars = Vars>(definition: RouteDefinition<V>): Route {
    this.#unique(this.#routes, 'route', definition.id);
    const { id, steps, ...options } = definition;
    const route: Route = { id, mediator: sequence(steps, { ...options, name: `route:${id}` }) as Mediator };
    this.#routes.set(id, route);
    return route;
  }

  /** Registers a named sequence that routes reference with `sequence(name)`. */
  addSequence(
    name: string,
    steps: readonly Step[] | Mediator,
    options: Omit<SequenceOptions, 'name'> = {},
  ): this {
    this.#unique(this.#sequences, 'sequence', name);
    this.#sequences.set(
      name,
      Array.isArray(steps) ? sequence(steps, { ...options, name }) : (steps as Mediator),
    );
    return this;
  }

  addTemplate(template: Template): this {
    this.#unique(this.#templates, 'template', template.name);
    this.#templates.set(template.name, template);
    return this;
  }

  /** Registers an endpoint under its name; `call(name)` finds it, and tests can replace it by that name. */
  addEndpoint(endpoint: Endpoint): this {
    this.#unique(this.#endpoints, 'endpoint', endpoint.name);
    this.#endpoints.set(endpoint.name, endpoint);
    return this;
  }

  addSource(source: Source): this {
    this.#sources.push(source);
    if (this.#state === 'started') {
      source
        .start(this)
        .catch((error: unknown) =>
          this.bus.emit('source:error', { source: source.name, error: toMediaryError(error) }),
        );
    }
    return this;
  }

  /**
   * Replaces the endpoint registered under `name` until the returned function is called. This is how
   * `@mediary/testing` mocks endpoints; the replacement belongs to this engine only.
   */
  replaceEndpoint(name: string, replacement: Endpoint): () => void {
    this.#endpointOverrides.set(name, replacement);
    return () => {
      if (this.#endpointOverrides.get(name) === replacement) this.#endpointOverrides.delete(name);
    };
  }

  endpoint(name: string): Endpoint {
    const endpoint = this.#endpointOverrides.get(name) ?? this.#endpoints.get(name);
    if (!endpoint) throw coreErrors.NOT_FOUND_ENDPOINT({ name });
    return endpoint;
  }

  hasEndpoint(name: string): boolean {
    return this.#endpoints.has(name) || this.#endpointOverrides.has(name);
  }

  sequence(name: string): Mediator {
    const found = this.#sequences.get(name);
    if (!found) throw coreErrors.NOT_FOUND_SEQUENCE({ name });
    return found;
  }

  template(name: string): Template {
    const found = this.#templates.get(name);
    if (!found) throw coreErrors.NOT_FOUND_TEMPLATE({ name });
    return found;
  }

  route(id: string): Route {
    const found = this.#routes.get(id);
    if (!found) throw coreErrors.NOT_FOUND_ROUTE({ id });
    return found;
  }

  get routes(): readonly Route[] {
    return [...this.#routes.values()];
  }

  /** Starts every source. Routes registered before can receive messages once this resolves. */
  async start(): Promise<void> {
    if (this.#state !== 'created' && this.#state !== 'stopped') return;
    this.#state = 'starting';
    try {
      for (const source of this.#sources) await source.start(this);
    } catch (error) {
      this.#state = 'started';
      await this.stop({ timeoutMs: 0 });
      throw error;
    }
    this.#state = 'started';
    for (const route of this.#routes.values()) this.bus.emit('route:started', { routeId: route.id });
    this.bus.emit('engine:started', { engine: this.name });
  }

  /**
   * Stops: sources stop taking messages, in-flight messages finish (up to `timeoutMs`, default 10 s), then
   * whatever is still running is aborted through its signal, and sources and endpoints release their
   * connections.
   */
  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.#state = 'stopping';
    this.bus.emit('engine:stopping', { engine: this.name, inFlight: this.inFlight });
    await Promise.allSettled(this.#sources.map((s) => s.stop()));
    const abandoned = await this.#drain(options.timeoutMs ?? 10_000);
    await Promise.allSettled([
      ...this.#sources.map((s) => s.close?.()),
      ...[...this.#endpoints.values()].map((e) => e.close?.()),
    ]);
    for (const route of this.#routes.values()) this.bus.emit('route:stopped', { routeId: route.id });
    this.#state = 'stopped';
    this.bus.emit('engine:stopped', { engine: this.name, abandoned });
  }

  /**
   * Runs one message through a route (by id) or any mediator. Never throws: the result says whether the
   * route completed (and how) or failed (and why).
   *
   * @example
   * const exchange = await engine.dispatch('orders', createMessage({ json: order }));
   * if (!exchange.ok) console.error(exchange.error.code);
   */
  async dispatch<V extends Vars = Vars>(
    target: string | Mediator<V>,
    message: Message,
    options: DispatchOptions<V> = {},
  ): Promise<Exchange> {
    const routeId = typeof target === 'string' ? target : (target.id ?? target.name);
    const correlationId = pickCorrelationId(options.correlationId ?? message.headers.get('x-correlation-id'));
    const abort = new LazyAbort();
    const context: MessageContext = new DispatchContext({
      message,
      vars: createVars(options.vars as Vars | undefined),
      transport: options.transport ?? EMPTY_TRANSPORT,
      correlationId,
      routeId,
      abort,
      log: options.log ?? this.log,
      engine: this,
    });
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return { ok: false, error: coreErrors.ENGINE_STOPPING(), message, context };
    }
    const external = options.signal;
    // Made only for a dispatch that has a signal to follow: most have none.
    const onAbort = external ? () => abort.abort(external.reason) : undefined;
    if (external && onAbort) {
      if (external.aborted) abort.abort(external.reason);
      else external.addEventListener('abort', onAbort, { once: true });
    }
    let running = true;
    options.bindAbort?.((reason) => {
      if (running) abort.abort(reason);
    });
    this.#inFlight.add(abort);
    // Like mediator events, message events cost nothing (no clock read, no event object) while nobody listens.
    const bus = this.bus;
    const timed = bus.listenerCount('message:completed') + bus.listenerCount('message:failed') > 0;
    const started = timed ? performance.now() : 0;
    if (bus.listenerCount('message:received') > 0) bus.emit('message:received', { routeId, correlationId });
    try {
      const mediator = typeof target === 'string' ? this.route(target).mediator : (target as Mediator);
      const outcome = (await mediator.run(context)) ?? undefined;
      if (outcome === 'retry')
        throw coreErrors.INTERNAL({}, { cause: new Error("'retry' returned outside an error handler") });
      if (timed) {
        bus.emit('message:completed', {
          routeId,
          correlationId,
          outcome,
          durationMs: performance.now() - started,
        });
      }
      return { ok: true, outcome, message: context.message, context };
    } catch (thrown) {
      const error = toMediaryError(thrown);
      context.error = error;
      this.#logFailure(error, context);
      if (timed) {
        bus.emit('message:failed', {
          routeId,
          correlationId,
          error,
          durationMs: performance.now() - started,
        });
      }
      return { ok: false, error, message: context.message, context };
    } finally {
      running = false;
      if (external && onAbort) external.removeEventListener('abort', onAbort);
      this.#inFlight.delete(abort);
      if (this.#inFlight.size === 0) this.#drained?.();
    }
  }

  #logFailure(error: MediaryError, context: MessageContext): void {
    // Logged once, here at the edge; client errors are routine and stay at debug.
    const fields = { routeId: context.routeId, correlationId: context.correlationId, code: error.code };
    if (error.status >= 500) {
      context.log.error(error.message, {
        ...fields,
        cause: error.cause instanceof Error ? error.cause.message : undefined,
      });
    } else {
      context.log.debug(error.message, fields);
    }
  }

  async #drain(timeoutMs: number): Promise<number> {
    if (this.#inFlight.size === 0) return 0;
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    this.#drained = undefined;
    if (result !== 'timeout') return 0;
    const abandoned = this.#inFlight.size;
    for (const message of this.#inFlight) message.abort(coreErrors.ENGINE_STOPPING());
    return abandoned;
  }

  #unique(map: Map<string, unknown>, kind: string, name: string): void {
    if (map.has(name)) throw coreErrors.DUPLICATE_NAME({ kind, name });
  }
}

interface ContextInit {
  readonly message: Message;
  readonly vars: Vars;
  readonly transport: TransportInfo;
  readonly correlationId: string;
  readonly routeId: string;
  readonly abort: LazyAbort;
  readonly log: Logger;
  readonly engine: Runtime;
}

/** The one accessor behind every context's `signal` (set by the class's static block, which can reach it). */
let signalProperty: PropertyDescriptor;

/**
 * A dispatch's context. A class, so every context has the same shape (a literal with a getter gets a fresh
 * closure per message, and makes every `ctx.…` access in every step slower). `signal` stays an own,
 * enumerable property, as in a literal — `{ ...ctx, vars }` must keep it — through one accessor shared by
 * all contexts, which creates the abort signal only when somebody reads it.
 */
class DispatchContext implements MessageContext {
  message: Message;
  readonly original: Message;
  readonly vars: Vars;
  readonly transport: TransportInfo;
  readonly correlationId: string;
  readonly routeId: string;
  declare readonly signal: AbortSignal;
  readonly log: Logger;
  error: MediaryError | undefined;
  readonly engine: Runtime;
  readonly #abort: LazyAbort;

  constructor(init: ContextInit) {
    this.message = init.message;
    this.original = snapshotOf(init.message);
    this.vars = init.vars;
    this.transport = init.transport;
    this.correlationId = init.correlationId;
    this.routeId = init.routeId;
    Object.defineProperty(this, 'signal', signalProperty);
    this.log = init.log;
    this.error = undefined;
    this.engine = init.engine;
    this.#abort = init.abort;
  }

  /** See `onAbort`: the message's abort, followed without making its signal. */
  [abortHook](listener: (reason: unknown) => void): () => void {
    return this.#abort.subscribe(listener);
  }

  static {
    signalProperty = {
      get(this: DispatchContext) {
        return this.#abort.signal;
      },
      enumerable: true,
      configurable: true,
    };
  }
}

function pickCorrelationId(candidate: string | undefined): string {
  return candidate && SAFE_CORRELATION_ID.test(candidate) ? candidate : randomId();
}

/**
 * Creates an engine.
 *
 * @example
 * const engine = createEngine({ name: 'healthcare' });
 * engine.addEndpoint(functionEndpoint('echo', (m) => m));
 * engine.addRoute({ id: 'echo', steps: [call('echo'), respond()] });
 * await engine.start();
 */
export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
