/**
 * The example's configuration, read from the environment exactly as SCENARIOS.md section 2 names it and
 * validated with zod, so a typo fails at start with the variable's name instead of at the first request.
 *
 * @module
 */
import { z } from 'zod';
import { healthcareErrors } from './errors.js';

/** Where the bundled mock hospital listens when `HOSPITAL_URL` is not set. */
export const BUNDLED_HOSPITAL = Object.freeze({ host: '127.0.0.1', port: 9090 });

export interface HealthcareConfig {
  /** `HTTP_PORT`, default 8290 (`0` picks a free port). */
  readonly httpPort: number;
  /** `HTTP_HOST`, default 127.0.0.1 (set `0.0.0.0` in a container). */
  readonly httpHost: string;
  /** `HOSPITAL_URL` without a trailing slash; `undefined` means: start the bundled mock. */
  readonly hospitalUrl: string | undefined;
  /** `STORE_URL` (T5): `undefined` is the in-memory store; `amqp://…` or `postgres://…` otherwise. */
  readonly storeUrl: string | undefined;
  /**
   * `STORE_QUEUE` (T5, RabbitMQ), default `mediary.healthcare.reservations`: the durable queue accepted
   * reservations wait in; undeliverable ones go to `<STORE_QUEUE>.dead-letter`.
   */
  readonly storeQueue: string;
  /**
   * `STORE_TABLE` (T5, PostgreSQL), default `mediary_healthcare_reservations`: the table accepted reservations
   * wait in; undeliverable ones go to `<STORE_TABLE>_dead_letter`. Both are created when missing.
   */
  readonly storeTable: string;
  /** `FORWARD_MAX_ATTEMPTS` (T5), default 5. */
  readonly forwardMaxAttempts: number;
  /** `FORWARD_INTERVAL_MS` (T5), default 1000. */
  readonly forwardIntervalMs: number;
  /** `BACKEND_TIMEOUT_MS`, default 10000: the total deadline of every backend call. */
  readonly backendTimeoutMs: number;
}

/** An empty variable (`HTTP_PORT=`) counts as unset, the way shells and compose files mean it. */
const unsetIfBlank = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function wholeNumber(range: { readonly min: number; readonly max: number; readonly fallback: number }) {
  return z.preprocess(unsetIfBlank, z.string().optional()).transform((text, ctx) => {
    if (text === undefined) return range.fallback;
    const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= range.min && value <= range.max) return value;
    ctx.addIssue({
      code: 'custom',
      message: `must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  });
}

function url(protocols: readonly string[]) {
  return z.preprocess(unsetIfBlank, z.string().optional()).transform((text, ctx) => {
    if (text === undefined) return undefined;
    const parsed = URL.canParse(text) ? new URL(text) : undefined;
    if (parsed && protocols.includes(parsed.protocol)) return text.replace(/\/+$/, '');
    ctx.addIssue({
      code: 'custom',
      message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  });
}

/** Defaults of `STORE_QUEUE` and `STORE_TABLE`. */
export const DEFAULT_STORE_NAMES = Object.freeze({
  queue: 'mediary.healthcare.reservations',
  table: 'mediary_healthcare_reservations',
});

// RabbitMQ queue names are at most 255 bytes; `.dead-letter` is appended for the dead letter queue.
const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;
// PostgreSQL identifiers are at most 63 bytes; `_dead_letter` (12) is appended for the dead letter table.
// Plain lower-case names only, so the table is the same in psql without quotes.
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

function name(pattern: RegExp, fallback: string, rule: string) {
  return z.preprocess(unsetIfBlank, z.string().optional()).transform((text, ctx) => {
    if (text === undefined) return fallback;
    if (pattern.test(text)) return text;
    ctx.addIssue({ code: 'custom', message: `must be ${rule}, got ${JSON.stringify(text)}` });
    return z.NEVER;
  });
}

const environment = z.object({
  HTTP_PORT: wholeNumber({ min: 0, max: 65_535, fallback: 8290 }),
  HTTP_HOST: z.preprocess(unsetIfBlank, z.string().default('127.0.0.1')),
  HOSPITAL_URL: url(['http:', 'https:']),
  STORE_URL: url(['amqp:', 'amqps:', 'postgres:', 'postgresql:']),
  STORE_QUEUE: name(
    QUEUE_NAME,
    DEFAULT_STORE_NAMES.queue,
    '1 to 200 characters among letters, digits, "_", ".", ":" and "-"',
  ),
  STORE_TABLE: name(
    TABLE_NAME,
    DEFAULT_STORE_NAMES.table,
    'a lower-case identifier of at most 51 characters (letters, digits, "_"; not starting with a digit)',
  ),
  FORWARD_MAX_ATTEMPTS: wholeNumber({ min: 1, max: 1_000, fallback: 5 }),
  FORWARD_INTERVAL_MS: wholeNumber({ min: 0, max: 86_400_000, fallback: 1000 }),
  BACKEND_TIMEOUT_MS: wholeNumber({ min: 1, max: 3_600_000, fallback: 10_000 }),
});

/**
 * Reads and validates the configuration. Throws `MEDIARY_HEALTHCARE_CONFIG_INVALID` naming every bad
 * variable.
 *
 * @example
 * const config = loadConfig({ HTTP_PORT: '8290', HOSPITAL_URL: 'http://127.0.0.1:9090' });
 * config.backendTimeoutMs // 10000
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): HealthcareConfig {
  const result = environment.safeParse(env);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    // The message is shortened for display; `details.issues` keeps every problem in full.
    throw healthcareErrors.CONFIG_INVALID(
      { reason: issues.join('; ') },
      { cause: result.error, details: { issues } },
    );
  }
  const vars = result.data;
  return {
    httpPort: vars.HTTP_PORT,
    httpHost: vars.HTTP_HOST,
    hospitalUrl: vars.HOSPITAL_URL,
    storeUrl: vars.STORE_URL,
    storeQueue: vars.STORE_QUEUE,
    storeTable: vars.STORE_TABLE,
    forwardMaxAttempts: vars.FORWARD_MAX_ATTEMPTS,
    forwardIntervalMs: vars.FORWARD_INTERVAL_MS,
    backendTimeoutMs: vars.BACKEND_TIMEOUT_MS,
  };
}
