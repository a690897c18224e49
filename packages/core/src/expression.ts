/**
 * Expressions. In code an expression is a TypeScript function of the context — typed, and the fastest. In
 * configuration it is JSONata over `{ payload, vars, headers, params, query, props, config, error }`,
 * compiled once and cached, with guards that are on without configuration: an evaluation time limit, a
 * stack-depth limit, a sequence-size limit and a string-size limit. Evaluation yields to the event loop
 * regularly, so a runaway expression cannot starve other messages while its time runs out.
 *
 * Message content never becomes an expression: only the host's code and configuration are compiled, and
 * JSONata's `$eval` is disabled.
 *
 * @module
 */
import jsonataCompile from 'jsonata';
import type { MessageContext, Vars } from './context.js';
import { coreErrors, isMediaryError } from './errors.js';

/** An expression: a function of the context. */
export type Expr<T, V extends Vars = Vars> = (ctx: MessageContext<V>) => T | Promise<T>;

/** Guards for configuration expressions. */
export interface ExpressionLimits {
  /** Longest an evaluation may run, in ms (real time). Default 1000. */
  readonly expressionTimeoutMs: number;
  /** Deepest evaluation stack (recursion). Default 300. */
  readonly expressionMaxDepth: number;
  /** Largest sequence (array) an evaluation may build. Default 1 000 000. */
  readonly expressionMaxSequence: number;
  /** Longest string an evaluation may build. Default 10 MiB characters. */
  readonly expressionMaxStringLength: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = Object.freeze({
  expressionTimeoutMs: 1000,
  expressionMaxDepth: 300,
  expressionMaxSequence: 1_000_000,
  expressionMaxStringLength: 10 * 1024 * 1024,
});

/** A JSONata expression compiled for the engine; callable as an {@link Expr}. */
export interface JsonataExpr<T = unknown> extends Expr<T> {
  readonly source: string;
}

const YIELD_EVERY = 2000;
const LIMIT_CODES: Record<string, string> = {
  D1011: 'it recursed deeper than the stack limit',
  D1012: 'it ran longer than the time limit',
  D2014: 'it built a range larger than the sequence limit',
  D2015: 'it built a sequence larger than the sequence limit',
  M0001: 'it built a string longer than the string limit',
};

type Compiled = ReturnType<typeof jsonataCompile>;
const cache = new Map<string, Compiled>();

function compile(source: string, limits: ExpressionLimits): Compiled {
  const key = `${limits.expressionTimeoutMs}|${limits.expressionMaxDepth}|${limits.expressionMaxSequence}|${limits.expressionMaxStringLength}|${source}`;
  let compiled = cache.get(key);
  if (compiled) return compiled;
  try {
    compiled = jsonataCompile(source, {
      timeout: limits.expressionTimeoutMs,
      stack: limits.expressionMaxDepth,
      sequence: limits.expressionMaxSequence,
    });
  } catch (error) {
    throw coreErrors.EXPR_COMPILE({ expression: source, reason: describe(error) }, { cause: error });
  }
  compiled.registerFunction('eval', () => {
    throw { code: 'M0002', message: '$eval is disabled: message content never becomes an expression' };
  });
  // Per-evaluation state lives on the evaluation's base frame, so concurrent evaluations never share it.
  compiled.assign(
    Symbol.for('jsonata.__evaluate_entry') as unknown as string,
    (_node: unknown, _input: unknown, env: Frame) => {
      const base = env.base;
      base.mediaryTicks = (base.mediaryTicks ?? 0) + 1;
      if (base.mediaryTicks % YIELD_EVERY === 0) return new Promise<void>((resolve) => setImmediate(resolve));
      return undefined;
    },
  );
  const maxString = limits.expressionMaxStringLength;
  compiled.assign(
    Symbol.for('jsonata.__evaluate_exit') as unknown as string,
    (_n: unknown, _i: unknown, _e: unknown, result: unknown) => {
      if (typeof result === 'string' && result.length > maxString)
        throw { code: 'M0001', message: 'string too long' };
    },
  );
  if (cache.size > 10_000) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

interface Frame {
  base: { mediaryTicks?: number };
}

/**
 * A JSONata expression, compiled on first use with the engine's limits.
 *
 * @example
 * filter(jsonata('payload.hospital = "grand oak community hospital"'), { match: [...] });
 * setVar('total', jsonata('$sum(payload.items.price)'));
 */
export function jsonata<T = unknown>(source: string): JsonataExpr<T> {
  const usesPayload = /payload|\$\$/.test(source);
  const expr = async (ctx: MessageContext): Promise<T> => {
    const compiled = compile(source, ctx.engine.limits);
    const input = await expressionInput(ctx, usesPayload);
    try {
      return (await compiled.evaluate(input)) as T;
    } catch (error) {
      throw toExpressionError(source, error);
    }
  };
  return Object.assign(expr, { source });
}

/** Checks a JSONata source compiles, with a clear error if not (used by configuration validation). */
export function compileJsonata(source: string, limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS): void {
  compile(source, limits);
}

/** The object configuration expressions see. `payload` is only read when the expression mentions it. */
export async function expressionInput(
  ctx: MessageContext,
  withPayload: boolean,
): Promise<Record<string, unknown>> {
  return {
    payload: withPayload ? await readPayload(ctx) : undefined,
    vars: ctx.vars,
    headers: ctx.message.headers.toObject(),
    params: ctx.transport.params,
    query: ctx.transport.query,
    props: ctx.transport.props,
    config: ctx.engine.config,
    error: ctx.error
      ? { code: ctx.error.code, message: ctx.error.message, status: ctx.error.status }
      : undefined,
  };
}

async function readPayload(ctx: MessageContext): Promise<unknown> {
  if (ctx.message.isEmpty) return undefined;
  return ctx.message.json();
}

/**
 * A string with `${…}` placeholders, each a JSONata expression; values that are not strings are written as
 * JSON.
 *
 * @example
 * log({ message: template('reserving for ${payload.patient.name} at ${vars.hospitalId}') });
 */
export function template(text: string): Expr<string> & { readonly source: string } {
  const parts = parseTemplate(text);
  if (parts.every((p) => typeof p === 'string')) {
    const constant = parts.join('');
    return Object.assign(() => constant, { source: text });
  }
  const exprs = parts.map((p) => (typeof p === 'string' ? p : jsonata(p.expression)));
  const render = async (ctx: MessageContext): Promise<string> => {
    let out = '';
    for (const part of exprs) {
      if (typeof part === 'string') out += part;
      else out += stringify(await part(ctx));
    }
    return out;
  };
  return Object.assign(render, { source: text });
}

function stringify(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A piece of a template: literal text, or a placeholder's expression. */
export type TemplatePart = string | { readonly expression: string };

/**
 * Splits `a ${x} b` into literal text and expressions, honouring nested braces and quoted strings inside a
 * placeholder (`${ {"a": "}"}.a }` works). `$${` is a literal `${`.
 */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i++;
      continue;
    }
    const end = closingBrace(text, i + 2);
    if (end === -1)
      throw coreErrors.EXPR_COMPILE({ expression: text, reason: `unclosed placeholder at position ${i}` });
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ expression: text.slice(i + 2, end) });
    i = end + 1;
  }
  if (literal) parts.push(literal);
  return parts;
}

function closingBrace(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/**
 * Evaluates something that may be an expression: functions are called with the context, anything else is a
 * constant.
 *
 * @example
 * const value = await evaluate(options.value, ctx);
 */
export async function evaluate<T>(value: Expr<T> | T, ctx: MessageContext): Promise<T> {
  return typeof value === 'function' ? (value as Expr<T>)(ctx) : value;
}

function toExpressionError(source: string, error: unknown) {
  if (isMediaryError(error)) return error;
  const code = (error as { code?: string })?.code;
  if (code && code in LIMIT_CODES) {
    return coreErrors.EXPR_LIMIT({ expression: source, reason: LIMIT_CODES[code] }, { cause: error });
  }
  return coreErrors.EXPR_EVAL({ expression: source, reason: describe(error) }, { cause: error });
}

function describe(error: unknown): string {
  const e = error as { message?: string; position?: number; token?: string };
  const where = typeof e?.position === 'number' ? ` at position ${e.position}` : '';
  return `${e?.message ?? String(error)}${where}`;
}
