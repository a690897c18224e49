/**
 * The reason a transport gives for a failure it did not cause: a client library's error (or anything else
 * thrown) as one line of text, for error messages and log lines.
 *
 * @module
 */

/**
 * The error's message; its name when the message is empty (a bare `new Error()` from a socket); anything
 * else as a string.
 *
 * @example
 * throw amqpErrors.CONNECT_FAILED({ connection: name, reason: reasonOf(error) }, { cause: error });
 */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
