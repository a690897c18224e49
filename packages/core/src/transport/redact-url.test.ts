import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('masks the password and keeps the user, host, path and query', () => {
    expect(redactUrl('amqp://orders:s3cret@rabbit:5672/prod?heartbeat=10')).toBe(
      'amqp://orders:***@rabbit:5672/prod?heartbeat=10',
    );
  });

  it('leaves an address without a password as it was', () => {
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
  });
});
