/**
 * Parses the serialisable part of a pattern's options with its zod schema (unknown keys — steps, functions
 * — are left to the caller); a mistake is `MEDIARY_EIP_CONFIG_INVALID` naming the pattern.
 *
 * @module
 */
import { type ZodType, z } from 'zod';
import { eipErrors } from '../errors.js';

export function parseOptions<T>(pattern: string, schema: ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw eipErrors.CONFIG_INVALID(
    { pattern, reason: z.prettifyError(result.error).replace(/\n/g, '; ') },
    { cause: result.error },
  );
}
