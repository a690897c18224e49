/**
 * The logger interface mediators and transports use, a JSON-lines console logger as the default, and
 * redaction: a field whose name looks like a secret never reaches a log line.
 *
 * @module
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to every line (route id, correlation id…). */
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_NAME = /pass(word)?|secret|token|authorization|api[-_]?key|cookie|credential|private/i;
const REDACTED = '[redacted]';

/** Replaces values of secret-looking fields (recursively, bounded) with `[redacted]`. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    out[key] = SECRET_NAME.test(key) ? REDACTED : redact(v, depth + 1);
  return out;
}

export interface ConsoleLoggerOptions {
  /** Lowest level written. Default: `MEDIARY_LOG_LEVEL` or `info`. */
  readonly level?: LogLevel;
  /** Where lines go. Default: stderr. */
  readonly write?: (line: string) => void;
  readonly bindings?: Record<string, unknown>;
}

/**
 * A JSON-lines logger with secret redaction.
 *
 * @example
 * const log = createConsoleLogger({ level: 'debug' });
 * log.info('route started', { routeId: 'orders' });
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.MEDIARY_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  const threshold = LEVELS[level] ?? LEVELS.info;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bindings = options.bindings ?? {};
  const emit = (name: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[name] < threshold) return;
    const record = redact({
      time: new Date().toISOString(),
      level: name,
      msg: message,
      ...bindings,
      ...fields,
    });
    try {
      write(JSON.stringify(record));
    } catch {
      // Logging never throws into the host.
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createConsoleLogger({ level, write, bindings: { ...bindings, ...more } }),
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
});
