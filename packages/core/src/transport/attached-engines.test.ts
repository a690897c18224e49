import { createFakeClock } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createEngine } from '../engine.js';
import { defineErrors } from '../errors.js';
import type { Logger } from '../logger.js';
import { createAttachedEngines } from './attached-engines.js';

const testErrors = defineErrors({
  CONSUMER_PAUSED: { code: 'MEDIARY_TEST_CONSUMER_PAUSED', message: 'Consumer paused', status: 503 },
});

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

function recordingLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
    child: () => logger,
  };
  return logger;
}

describe('attached engines', () => {
  it("runs on the first attached engine's clock unless given one, and on the system clock before any", () => {
    const first = createEngine({ clock: createFakeClock() });
    const second = createEngine({ clock: createFakeClock() });
    const engines = createAttachedEngines({ name: 'broker' });
    expect(engines.clock).toBe(systemClock);
    engines.attach(first);
    engines.attach(second);
    expect(engines.clock).toBe(first.clock);

    const fixed = createFakeClock();
    const pinned = createAttachedEngines({ name: 'broker', clock: fixed });
    pinned.attach(first);
    expect(pinned.clock).toBe(fixed);
  });

  it("reports a component's problem on every attached engine's bus and log, with the connection's name", () => {
    const lines: LogLine[] = [];
    const sources: string[] = [];
    const runtimes = [1, 2].map(() => createEngine({ logger: recordingLogger(lines) }));
    const engines = createAttachedEngines({ name: 'orders-broker' });
    for (const runtime of runtimes) {
      runtime.bus.on('source:error', ({ source, error }) => sources.push(`${source} ${error.code}`));
      engines.attach(runtime);
    }
    engines.report('kafka:orders', testErrors.CONSUMER_PAUSED(), 'kafka consumer paused', { partition: 3 });
    expect(sources).toEqual(Array(2).fill('kafka:orders MEDIARY_TEST_CONSUMER_PAUSED'));
    expect(lines).toEqual(
      Array(2).fill({
        level: 'warn',
        message: 'kafka consumer paused',
        fields: {
          connection: 'orders-broker',
          component: 'kafka:orders',
          code: 'MEDIARY_TEST_CONSUMER_PAUSED',
          partition: 3,
        },
      }),
    );
  });

  it('logs on every attached engine and stops reaching an engine once it detached', () => {
    const lines: LogLine[] = [];
    const kept = createEngine({ logger: recordingLogger(lines) });
    const gone = createEngine({ logger: recordingLogger(lines) });
    const engines = createAttachedEngines({ name: 'broker' });
    engines.attach(kept);
    engines.attach(gone);
    expect([...engines]).toEqual([kept, gone]);
    engines.detach(gone);
    engines.log('info', 'broker unblocked', { reason: 'memory' });
    expect([...engines]).toEqual([kept]);
    expect(lines).toEqual([
      { level: 'info', message: 'broker unblocked', fields: { connection: 'broker', reason: 'memory' } },
    ]);
  });
});
