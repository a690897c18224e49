/** Parses a wrapper's options with its zod schema; a mistake is `MEDIARY_ENDPOINT_OPTIONS_INVALID`. */
import { type ZodType, z } from 'zod';
import { resilienceErrors } from '../errors.js';

export function parseOptions<T>(component: string, schema: ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw resilienceErrors.OPTIONS_INVALID(
    { component, reason: z.prettifyError(result.error).replace(/\n/g, '; ') },
    { cause: result.error },
  );
}

export function invalid(component: string, reason: string): Error {
  return resilienceErrors.OPTIONS_INVALID({ component, reason });
}
