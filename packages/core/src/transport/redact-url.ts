/**
 * Broker addresses without their secrets. A connection URL may carry a password
 * (`amqp://user:secret@host`); error messages and log lines show the address with the password masked, so
 * an operator still sees which broker and which user.
 *
 * @module
 */

/**
 * `url` with its password replaced by `***`; the user, host, port, path and query stay.
 *
 * @example
 * redactUrl('amqp://orders:s3cret@rabbit:5672/prod'); // 'amqp://orders:***@rabbit:5672/prod'
 */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
