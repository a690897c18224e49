/**
 * Parses the serialisable part of a processor's options with its zod schema; a mistake is
 * `MEDIARY_PROCESSOR_CONFIG_INVALID` naming the processor.
 *
 * @module
 */
import { type ZodType, z } from 'zod';
import { storeErrors } from '../errors.js';

export function parseProcessorOptions<T>(name: string, schema: ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw storeErrors.PROCESSOR_CONFIG_INVALID(
    { name, reason: z.prettifyError(result.error).replace(/\n/g, '; ') },
    { cause: result.error },
  );
}
