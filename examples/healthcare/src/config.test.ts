import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { healthcareErrors } from './errors.js';

describe('loadConfig', () => {
  it('applies the defaults of SCENARIOS.md when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      httpPort: 8290,
      httpHost: '127.0.0.1',
      hospitalUrl: undefined,
      storeUrl: undefined,
      storeQueue: 'mediary.healthcare.reservations',
      storeTable: 'mediary_healthcare_reservations',
      forwardMaxAttempts: 5,
      forwardIntervalMs: 1000,
      backendTimeoutMs: 10_000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        HTTP_PORT: '9000',
        HTTP_HOST: '0.0.0.0',
        HOSPITAL_URL: 'http://hospital.local:9090/',
        STORE_URL: 'amqp://guest:guest@localhost:5672',
        STORE_QUEUE: 'test.reservations-1',
        STORE_TABLE: 'test_reservations_1',
        FORWARD_MAX_ATTEMPTS: '3',
        FORWARD_INTERVAL_MS: '250',
        BACKEND_TIMEOUT_MS: '1500',
      }),
    ).toEqual({
      httpPort: 9000,
      httpHost: '0.0.0.0',
      hospitalUrl: 'http://hospital.local:9090',
      storeUrl: 'amqp://guest:guest@localhost:5672',
      storeQueue: 'test.reservations-1',
      storeTable: 'test_reservations_1',
      forwardMaxAttempts: 3,
      forwardIntervalMs: 250,
      backendTimeoutMs: 1500,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ HTTP_PORT: '', HOSPITAL_URL: ' ' })).toMatchObject({
      httpPort: 8290,
      hospitalUrl: undefined,
    });
  });

  it('accepts postgres store URLs', () => {
    expect(loadConfig({ STORE_URL: 'postgres://u:p@db/healthcare' }).storeUrl).toBe(
      'postgres://u:p@db/healthcare',
    );
  });

  it('refuses queue and table names the stores could not use', () => {
    expect(() => loadConfig({ STORE_QUEUE: 'has space' })).toThrow(/STORE_QUEUE/);
    expect(() => loadConfig({ STORE_TABLE: 'Reservations' })).toThrow(/STORE_TABLE/);
    expect(() => loadConfig({ STORE_TABLE: 'drop table x;' })).toThrow(/STORE_TABLE/);
    // 52 characters plus `_dead_letter` would pass PostgreSQL's 63-byte limit on identifiers.
    expect(() => loadConfig({ STORE_TABLE: 'x'.repeat(52) })).toThrow(/STORE_TABLE/);
    expect(loadConfig({ STORE_TABLE: 'x'.repeat(51) }).storeTable).toHaveLength(51);
  });

  it('names every invalid variable in one error', () => {
    let thrown: unknown;
    try {
      loadConfig({
        HTTP_PORT: '70000',
        HOSPITAL_URL: 'hospital:9090',
        STORE_URL: 'redis://x',
        FORWARD_MAX_ATTEMPTS: '0',
        BACKEND_TIMEOUT_MS: '1.5',
      });
    } catch (error) {
      thrown = error;
    }
    expect(healthcareErrors.CONFIG_INVALID.is(thrown)).toBe(true);
    const issues = (thrown as { details: { issues: string[] } }).details.issues;
    expect(issues).toHaveLength(5);
    expect(issues.join('\n')).toMatch(/HTTP_PORT must be a whole number from 0 to 65535, got "70000"/);
    expect(issues.join('\n')).toMatch(/HOSPITAL_URL must be a URL starting with http:\/\/ or https:\/\//);
    expect(issues.join('\n')).toMatch(/STORE_URL/);
    expect(issues.join('\n')).toMatch(/FORWARD_MAX_ATTEMPTS/);
    expect(issues.join('\n')).toMatch(/BACKEND_TIMEOUT_MS/);
  });
});
