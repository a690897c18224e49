/**
 * Real services for integration tests. A test file asks for a service by name; when it does not answer,
 * the file's tests skip with one visible line saying which service was missing and how to point the tests
 * at one — except where `MEDIARY_REQUIRE_SERVICES=1` (CI), where an unreachable service is a failure.
 *
 * @module
 */
import { connect } from 'node:net';
import { redactUrl } from '@mediary/core';

/** The services the project's integration tests use, their environment variables and local defaults. */
export const SERVICES = {
  amqp: { env: 'AMQP_URL', url: 'amqp://guest:guest@127.0.0.1:5672' },
  mqtt: { env: 'MQTT_URL', url: 'mqtt://127.0.0.1:1883' },
  nats: { env: 'NATS_URL', url: 'nats://127.0.0.1:4222' },
  postgres: { env: 'DATABASE_URL', url: 'postgres://postgres@127.0.0.1:5432/test' },
  redis: { env: 'REDIS_URL', url: 'redis://127.0.0.1:6379' },
} as const;

export type ServiceName = keyof typeof SERVICES;

export interface ServiceGate {
  /** True when the service answered. */
  readonly available: boolean;
  /** The URL to connect to (from the environment variable, or the local default). */
  readonly url: string;
}

/**
 * Checks that a service answers (a TCP connect within `timeoutMs`). Use with `describe.skipIf`.
 *
 * @example
 * const amqp = await serviceGate('amqp');
 * describe.skipIf(!amqp.available)('amqp source', () => { ... });
 */
export async function serviceGate(name: ServiceName, timeoutMs = 2000): Promise<ServiceGate> {
  const spec = SERVICES[name];
  const url = process.env[spec.env] ?? spec.url;
  const available = await answers(url, timeoutMs);
  if (!available) {
    const message = `${name} is not reachable at ${redactUrl(url)}; set ${spec.env} to point the tests at one`;
    if (process.env.MEDIARY_REQUIRE_SERVICES === '1') throw new Error(`required service missing: ${message}`);
    console.warn(`SKIPPED: ${message}`);
  }
  return { available, url };
}

function answers(url: string, timeoutMs: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const defaults: Record<string, number> = {
    'amqp:': 5672,
    'mqtt:': 1883,
    'nats:': 4222,
    'postgres:': 5432,
    'redis:': 6379,
  };
  return new Promise((resolve) => {
    const socket = connect({
      host: hostname.replace(/^\[|\]$/g, ''),
      port: Number(port) || defaults[new URL(url).protocol] || 0,
    });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A random suffix so each test run uses queues, topics, tables and keys of its own. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
