import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amqpErrors } from './errors.js';

describe('the amqp error catalog', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const documented = new Map(
    [...readme.matchAll(/^\| `(MEDIARY_AMQP_\w+)` \| (\d+) \| (yes|no) \|/gm)].map((m) => [
      m[1],
      { status: Number(m[2]), retryable: m[3] === 'yes' },
    ]),
  );

  it('documents every code in the README with its status and retryable flag, and nothing else', () => {
    const catalog = new Map(
      Object.values(amqpErrors).map((spec) => [
        spec.code,
        { status: spec.status, retryable: spec.retryable },
      ]),
    );
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(catalog));
  });

  it('names every code MEDIARY_AMQP_<WHAT>', () => {
    for (const spec of Object.values(amqpErrors)) expect(spec.code).toMatch(/^MEDIARY_AMQP_[A-Z_]+$/);
  });
});
