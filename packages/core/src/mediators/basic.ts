/**
 * The small built-in mediators: variables, headers, body, logging, and the flow outcomes.
 *
 * @module
 */
import type { MessageContext, Vars } from '../context.js';
import { coreErrors, type ErrorFactory, MediaryError } from '../errors.js';
import { type Expr, evaluate, template } from '../expression.js';
import { applyValue } from '../internal/apply-value.js';
import { type LogLevel, redact } from '../logger.js';
import { defineMediator, type Mediator } from '../mediator.js';

/**
 * A constant or an expression computing it. For `unknown` values the constant side is spelled out as
 * `{} | null | undefined`: a bare `unknown` would swallow the function type, and a lambda passed as the
 * expression would lose its typed `ctx`.
 */
export type ValueOrExpr<T, V extends Vars = Vars> =
  | (unknown extends T ? {} | null | undefined : T)
  | Expr<T, V>;

/**
 * Sets a variable.
 *
 * @example
 * setVar('hospitalId', (ctx) => ctx.transport.params.hospital)
 * setVar('total', jsonata('$sum(payload.items.price)'))
 */
export function setVar<V extends Vars = Vars, K extends keyof V & string = keyof V & string>(
  name: K,
  value: ValueOrExpr<V[K], V>,
): Mediator<V> {
  return defineMediator<V>('setVar', (ctx) =>
    applyValue(value as Expr<V[K]>, ctx as unknown as MessageContext, (v) => {
      ctx.vars[name] = v;
    }),
  );
}

/**
 * Removes a variable.
 *
 * @example
 * removeVar('scratch')
 */
export function removeVar<V extends Vars = Vars>(name: keyof V & string): Mediator<V> {
  return defineMediator<V>('removeVar', (ctx) => {
    delete ctx.vars[name];
  });
}

const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

/**
 * Sets a header on the current message. Values with CR, LF or NUL are refused (header injection).
 *
 * @example
 * setHeader('x-hospital', (ctx) => String(ctx.vars.hospitalId))
 */
export function setHeader<V extends Vars = Vars>(name: string, value: ValueOrExpr<string, V>): Mediator<V> {
  return defineMediator<V>('setHeader', (ctx) =>
    applyValue(value as Expr<string>, ctx as unknown as MessageContext, (v) => {
      const text = String(v);
      if (UNSAFE_HEADER_VALUE.test(text)) {
        throw coreErrors.VALIDATION_FAILED({ reason: `header ${name} would contain a line break or NUL` });
      }
      ctx.message.headers.set(name, text);
    }),
  );
}

/**
 * Removes a header from the current message.
 *
 * @example
 * removeHeader('authorization')
 */
export function removeHeader<V extends Vars = Vars>(name: string): Mediator<V> {
  return defineMediator<V>('removeHeader', (ctx) => {
    ctx.message.headers.delete(name);
  });
}

/**
 * Replaces the body: strings become text, byte arrays stay bytes, anything else becomes JSON.
 *
 * @example
 * setBody({ status: 'accepted' })
 * setBody((ctx) => ({ id: ctx.correlationId }), { status: 202 })
 */
export function setBody<V extends Vars = Vars>(
  value: ValueOrExpr<unknown, V>,
  options: { readonly contentType?: string; readonly status?: number } = {},
): Mediator<V> {
  return defineMediator<V>('setBody', async (ctx) => {
    const body = await evaluate(value as Expr<unknown>, ctx as unknown as MessageContext);
    if (typeof body === 'string') ctx.message.setText(body, options.contentType);
    else if (body instanceof Uint8Array)
      ctx.message.setBody(body, options.contentType ?? 'application/octet-stream');
    else ctx.message.setJson(body, options.contentType);
    if (options.status !== undefined) ctx.message.status = options.status;
  });
}

/**
 * Sets the status a reply is sent with (an HTTP status code).
 *
 * @example
 * setStatus(202)
 */
export function setStatus<V extends Vars = Vars>(status: ValueOrExpr<number, V>): Mediator<V> {
  return defineMediator<V>('setStatus', (ctx) =>
    applyValue(status as Expr<number>, ctx as unknown as MessageContext, (v) => {
      ctx.message.status = v;
    }),
  );
}

export interface LogOptions<V extends Vars = Vars> {
  readonly level?: Exclude<LogLevel, 'silent'>;
  /** A template (`'reserving at ${vars.hospitalId}'`) or an expression. */
  readonly message: string | Expr<string, V>;
  /** Extra fields, each a constant or an expression. Secret-looking names are redacted. */
  readonly fields?: Readonly<Record<string, ValueOrExpr<unknown, V>>>;
}

/**
 * Writes a log line through the context's logger, with route and correlation ids.
 *
 * @example
 * log({ level: 'info', message: 'reserving at ${vars.hospitalId}' })
 */
export function log<V extends Vars = Vars>(options: LogOptions<V>): Mediator<V> {
  const message = typeof options.message === 'string' ? template(options.message) : options.message;
  const level = options.level ?? 'info';
  return defineMediator<V>('log', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const fields: Record<string, unknown> = { routeId: c.routeId, correlationId: c.correlationId };
    for (const [key, value] of Object.entries(options.fields ?? {}))
      fields[key] = await evaluate(value as Expr<unknown>, c);
    // Redacted here too, so a host logger without redaction of its own (pino, a test spy) never sees secrets.
    c.log[level](await (message as Expr<string>)(c), redact(fields) as Record<string, unknown>);
  });
}

/**
 * Stops the flow; the current message is the reply.
 *
 * @example
 * [call('hospital'), respond()]
 */
export function respond<V extends Vars = Vars>(): Mediator<V> {
  return defineMediator<V>('respond', () => 'respond');
}

/**
 * Stops the flow without a reply (HTTP answers `202` with no body; a broker message is acknowledged).
 *
 * @example
 * filter(isTestOrder, { match: [drop()] })
 */
export function drop<V extends Vars = Vars>(): Mediator<V> {
  return defineMediator<V>('drop', () => 'drop');
}

/**
 * From an error handler: run the protected sequence again.
 *
 * @example
 * sequence([call('flaky')], { onError: [retrySequence()], maxRetries: 2 })
 */
export function retrySequence<V extends Vars = Vars>(): Mediator<V> {
  return defineMediator<V>('retrySequence', () => 'retry');
}

/**
 * Fails the flow with an error: a catalog entry with its params, or a message with a status.
 *
 * @example
 * throwError(myErrors.UNKNOWN_HOSPITAL, { hospital: 'x' })
 * throwError({ message: 'unknown hospital ${payload.hospital}', status: 400 })
 */
export function throwError<V extends Vars = Vars>(
  error: ErrorFactory | { readonly message: string; readonly status?: number; readonly code?: string },
  params: Readonly<Record<string, ValueOrExpr<unknown, V>>> = {},
): Mediator<V> {
  if (typeof error === 'function') {
    return defineMediator<V>('throwError', async (ctx) => {
      const values: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(params))
        values[k] = await evaluate(v as Expr<unknown>, ctx as unknown as MessageContext);
      throw error(values);
    });
  }
  const message = template(error.message);
  const spec = {
    ...coreErrors.RAISED,
    status: error.status ?? coreErrors.RAISED.status,
    code: error.code ?? coreErrors.RAISED.code,
  };
  return defineMediator<V>('throwError', async (ctx) => {
    throw new MediaryError(spec, await message(ctx as unknown as MessageContext));
  });
}
