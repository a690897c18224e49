/**
 * Validate: check a value (the JSON body by default) against a zod schema or a JSON Schema (ajv). A failure
 * is a `400`-class `MEDIARY_VALIDATION_FAILED` that says which field is wrong and why.
 *
 * @module
 */
import type { ZodType } from 'zod';
import type { MessageContext, Vars } from '../context.js';
import { coreErrors } from '../errors.js';
import type { Expr } from '../expression.js';
import { defineMediator, type Mediator } from '../mediator.js';

export interface ValidateOptions<V extends Vars = Vars> {
  /** What to validate. Default: the JSON body. */
  readonly value?: Expr<unknown, V>;
  /** For zod schemas: replace the body with the parsed output (defaults applied, unknown keys stripped). */
  readonly replaceBody?: boolean;
}

/** A JSON Schema document, validated with ajv. */
export interface JsonSchemaRef {
  readonly jsonSchema: Readonly<Record<string, unknown>>;
}

type Check = (value: unknown) => Promise<{ ok: true; value: unknown } | { ok: false; reason: string }>;

/**
 * Validates the body (or any value) against a schema.
 *
 * @example
 * validate(z.object({ hospital: z.string(), patient: z.object({ name: z.string() }) }))
 * validate({ jsonSchema: { type: 'object', required: ['hospital'] } })
 */
export function validate<V extends Vars = Vars>(
  schema: ZodType | JsonSchemaRef,
  options: ValidateOptions<V> = {},
): Mediator<V> {
  const check = 'jsonSchema' in schema ? jsonSchemaCheck(schema.jsonSchema) : zodCheck(schema);
  return defineMediator<V>('validate', async (ctx) => {
    const c = ctx as unknown as MessageContext;
    const value = options.value ? await (options.value as Expr<unknown>)(c) : await c.message.json();
    const result = await check(value);
    if (!result.ok) throw coreErrors.VALIDATION_FAILED({ reason: result.reason });
    if (options.replaceBody && !options.value) c.message.setJson(result.value, c.message.contentType);
  });
}

function zodCheck(schema: ZodType): Check {
  return async (value) => {
    const result = await schema.safeParseAsync(value);
    if (result.success) return { ok: true, value: result.data };
    const reason = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason };
  };
}

function jsonSchemaCheck(jsonSchema: Readonly<Record<string, unknown>>): Check {
  let compiled:
    | Promise<(value: unknown) => { ok: true; value: unknown } | { ok: false; reason: string }>
    | undefined;
  // ajv is loaded on first use: routes that never validate with JSON Schema never pay for it.
  const load = async () => {
    const { Ajv } = await import('ajv');
    const ajv = new Ajv({ allErrors: false, strict: false });
    const fn = ajv.compile(jsonSchema);
    return (value: unknown) =>
      fn(value)
        ? ({ ok: true, value } as const)
        : ({
            ok: false,
            reason: (fn.errors ?? [])
              .map((e) => `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}`)
              .join('; '),
          } as const);
  };
  return async (value) => {
    compiled ??= load();
    return (await compiled)(value);
  };
}
