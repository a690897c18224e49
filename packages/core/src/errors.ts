/**
 * Mediary's error model: every error the engine raises has a stable code (`MEDIARY_<AREA>_<WHAT>`), a
 * message, a `retryable` flag and, where one applies, the HTTP status a client should see.
 *
 * Each package declares its codes once, in its own `errors.ts`, with {@link defineErrors}; throw sites call
 * the catalog entry and never write a code string inline. `docs/errors.md` is generated from the catalogs
 * and a test fails when the two disagree.
 *
 * @module
 */

/** What a catalog entry says about one error code. */
export interface ErrorSpec {
  /** Stable code, `MEDIARY_<AREA>_<WHAT>`. Retired codes are never reused. */
  readonly code: string;
  /** Message template; `{name}` placeholders are filled from the params given at the throw site. */
  readonly message: string;
  /** HTTP status a client sees when this error ends a request. */
  readonly status: number;
  /** True when trying again later may succeed (timeouts, unreachable backends, suspended endpoints). */
  readonly retryable: boolean;
}

/** Options given where an error is created. */
export interface ErrorOptions {
  readonly cause?: unknown;
  /** Structured facts for handlers and logs (expression text, line, field…). Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error type that crosses Mediary's boundaries. Anything else is normalised with {@link toMediaryError}. */
export class MediaryError extends Error {
  override readonly name = 'MediaryError';
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(spec: ErrorSpec, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = spec.code;
    this.status = spec.status;
    this.retryable = spec.retryable;
    this.details = options.details ?? {};
  }

  /** The client-facing form: code and message, never a stack or a cause. */
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A catalog entry: call it to create the error, read its spec, or test an error against it. */
export interface ErrorFactory<P extends Record<string, unknown> = Record<string, unknown>> extends ErrorSpec {
  (params?: P, options?: ErrorOptions): MediaryError;
  /** True when `error` carries this entry's code (works across duplicate package copies). */
  is(error: unknown): error is MediaryError;
}

type CatalogInput = Record<string, Omit<ErrorSpec, 'retryable'> & { retryable?: boolean }>;

const registry = new Map<string, ErrorSpec>();

/**
 * Declares a package's error catalog. Codes must be unique across every catalog in the process.
 *
 * @example
 * export const errors = defineErrors({
 *   EXPR_EVAL: { code: 'MEDIARY_EXPR_EVAL', message: 'Expression {expression} failed: {reason}', status: 500 },
 * });
 * throw errors.EXPR_EVAL({ expression: 'a.b', reason: 'boom' }, { cause });
 */
export function defineErrors<const T extends CatalogInput>(
  input: T,
): { readonly [K in keyof T]: ErrorFactory } {
  const catalog: Record<string, ErrorFactory> = {};
  for (const [key, raw] of Object.entries(input)) {
    const spec: ErrorSpec = Object.freeze({ retryable: false, ...raw });
    const existing = registry.get(spec.code);
    if (existing && existing.message !== spec.message) {
      throw new Error(`Mediary error code ${spec.code} is defined twice with different messages`);
    }
    registry.set(spec.code, spec);
    const factory = ((params: Record<string, unknown> = {}, options?: ErrorOptions) =>
      new MediaryError(spec, fillTemplate(spec.message, params), {
        ...options,
        details: { ...params, ...options?.details },
      })) as ErrorFactory;
    Object.assign(factory, spec, {
      is: (error: unknown): error is MediaryError => isMediaryError(error) && error.code === spec.code,
    });
    catalog[key] = factory;
  }
  return Object.freeze(catalog) as { readonly [K in keyof T]: ErrorFactory };
}

/** Every code declared so far in this process (for docs generation and the catalog test). */
export function listErrorSpecs(): ErrorSpec[] {
  return [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** Duck-typed check, so errors from a second copy of `@mediary/core` still count (undici does the same). */
export function isMediaryError(error: unknown): error is MediaryError {
  return (
    error instanceof MediaryError ||
    (error instanceof Error &&
      typeof (error as Partial<MediaryError>).code === 'string' &&
      (error as MediaryError).code.startsWith('MEDIARY_') &&
      typeof (error as Partial<MediaryError>).status === 'number')
  );
}

function fillTemplate(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    // Messages reach clients: keep echoed input short.
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  });
}

/** Errors raised by core itself. */
export const coreErrors = defineErrors({
  INTERNAL: { code: 'MEDIARY_INTERNAL', message: 'An internal error occurred', status: 500 },
  BODY_TOO_LARGE: {
    code: 'MEDIARY_BODY_TOO_LARGE',
    message: 'The message body is larger than the limit of {limit} bytes',
    status: 413,
  },
  BODY_CONSUMED: {
    code: 'MEDIARY_BODY_CONSUMED',
    message: 'The message body stream was already consumed by {by}',
    status: 500,
  },
  BODY_READ: {
    code: 'MEDIARY_BODY_READ',
    message: 'The message body could not be read: {reason}',
    status: 400,
  },
  JSON_MALFORMED: {
    code: 'MEDIARY_JSON_MALFORMED',
    message: 'The body is not valid JSON: {reason}',
    status: 400,
  },
  JSON_TOO_DEEP: {
    code: 'MEDIARY_JSON_TOO_DEEP',
    message: 'The JSON body nests deeper than the limit of {limit} levels',
    status: 400,
  },
  CONTENT_TYPE_UNSUPPORTED: {
    code: 'MEDIARY_CONTENT_TYPE_UNSUPPORTED',
    message: 'Content type {contentType} cannot be read as {as}',
    status: 415,
  },
  EXPR_COMPILE: {
    code: 'MEDIARY_EXPR_COMPILE',
    message: 'Expression {expression} does not compile: {reason}',
    status: 500,
  },
  EXPR_EVAL: { code: 'MEDIARY_EXPR_EVAL', message: 'Expression {expression} failed: {reason}', status: 500 },
  EXPR_LIMIT: {
    code: 'MEDIARY_EXPR_LIMIT',
    message: 'Expression {expression} was stopped: {reason}',
    status: 500,
  },
  VALIDATION_FAILED: {
    code: 'MEDIARY_VALIDATION_FAILED',
    message: 'The message does not match the expected shape: {reason}',
    status: 400,
  },
  UNSAFE_KEY: {
    code: 'MEDIARY_UNSAFE_KEY',
    message: 'The path {path} uses the forbidden key {key}',
    status: 400,
  },
  NOT_FOUND_SEQUENCE: {
    code: 'MEDIARY_SEQUENCE_NOT_FOUND',
    message: 'No sequence is named {name}',
    status: 500,
  },
  NOT_FOUND_TEMPLATE: {
    code: 'MEDIARY_TEMPLATE_NOT_FOUND',
    message: 'No template is named {name}',
    status: 500,
  },
  TEMPLATE_PARAM_MISSING: {
    code: 'MEDIARY_TEMPLATE_PARAM_MISSING',
    message: 'Template {name} needs the parameter {param}',
    status: 500,
  },
  NOT_FOUND_ENDPOINT: {
    code: 'MEDIARY_ENDPOINT_NOT_FOUND',
    message: 'No endpoint is named {name}',
    status: 500,
  },
  NOT_FOUND_ROUTE: { code: 'MEDIARY_ROUTE_NOT_FOUND', message: 'No route has the id {id}', status: 404 },
  DUPLICATE_NAME: {
    code: 'MEDIARY_DUPLICATE_NAME',
    message: 'A {kind} named {name} is already registered on this engine',
    status: 500,
  },
  ENGINE_STOPPING: {
    code: 'MEDIARY_ENGINE_STOPPING',
    message: 'The engine is shutting down',
    status: 503,
    retryable: true,
  },
  ENGINE_NOT_STARTED: {
    code: 'MEDIARY_ENGINE_NOT_STARTED',
    message: 'The engine is not started',
    status: 503,
    retryable: true,
  },
  ABORTED: {
    code: 'MEDIARY_ABORTED',
    message: 'The message was cancelled: {reason}',
    status: 503,
    retryable: true,
  },
  RAISED: { code: 'MEDIARY_RAISED', message: '{message}', status: 500 },
  RETRY_EXHAUSTED: {
    code: 'MEDIARY_RETRY_EXHAUSTED',
    message: 'The error handler asked to retry more than {max} times',
    status: 500,
  },
  ENDPOINT_TIMEOUT: {
    code: 'MEDIARY_ENDPOINT_TIMEOUT',
    message: 'Endpoint {endpoint} did not answer within {timeoutMs} ms',
    status: 504,
    retryable: true,
  },
  ENDPOINT_SUSPENDED: {
    code: 'MEDIARY_ENDPOINT_SUSPENDED',
    message: 'Endpoint {endpoint} is suspended after repeated failures',
    status: 503,
    retryable: true,
  },
  ENDPOINT_FAILED: {
    code: 'MEDIARY_ENDPOINT_FAILED',
    message: 'Endpoint {endpoint} failed: {reason}',
    status: 502,
    retryable: true,
  },
  NO_ENDPOINT_AVAILABLE: {
    code: 'MEDIARY_NO_ENDPOINT_AVAILABLE',
    message: 'No endpoint of {group} could take the message',
    status: 503,
    retryable: true,
  },
});

/**
 * Normalises anything thrown into a {@link MediaryError}: Mediary errors pass through; anything else is an
 * internal error (status 500) that keeps the original as `cause` but never shows its message to clients.
 *
 * @example
 * catch (e) { ctx.error = toMediaryError(e); }
 */
export function toMediaryError(error: unknown): MediaryError {
  if (isMediaryError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return coreErrors.ABORTED(
      { reason: String((error as { cause?: unknown }).cause ?? error.message) },
      { cause: error },
    );
  }
  return coreErrors.INTERNAL({}, { cause: error });
}
