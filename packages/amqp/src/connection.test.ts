import { createServer } from 'node:net';
import { createEngine, type Logger } from '@mediary/core';
import { createFakeClock, settle } from '@mediary/testing';
import { describe, expect, it } from 'vitest';
import { amqpConnection } from './connection.js';

/** A port on 127.0.0.1 where nothing listens: connects are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(message),
    error: (message) => lines.push(message),
    child: () => logger,
  };
  return logger;
}

/** Lets real socket callbacks (a refused connect) run until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(done()).toBe(true);
}

describe('amqpConnection', () => {
  it('refuses a url that is not amqp:// or amqps://', () => {
    expect(() => amqpConnection({ url: 'http://127.0.0.1:5672' })).toThrow(
      expect.objectContaining({ code: 'MEDIARY_AMQP_INVALID_OPTIONS' }),
    );
  });

  it('retries a refused connection with exponential back-off on the engine clock, reporting each failure', async () => {
    const clock = createFakeClock();
    const lines: string[] = [];
    const engine = createEngine({ clock, logger: recordingLogger(lines) });
    const delays: number[] = [];
    const sourceErrors: string[] = [];
    engine.bus.on('amqp:disconnected', (event) => delays.push(event.reconnectInMs));
    engine.bus.on('source:error', (event) => sourceErrors.push(event.error.code));
    const connection = amqpConnection({
      url: `amqp://guest:guest@127.0.0.1:${await closedPort()}`,
      name: 'unreachable',
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    connection.attach(engine);
    connection.acquire();
    await until(() => delays.length === 1);
    expect(connection.state).toBe('reconnecting');
    for (let attempt = 2; attempt <= 4; attempt++) {
      await clock.tick(delays.at(-1)!);
      await until(() => delays.length === attempt);
    }
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(sourceErrors).toEqual(Array(4).fill('MEDIARY_AMQP_CONNECT_FAILED'));
    expect(lines).toContain('amqp connection failed, reconnecting in 100ms');
    expect(lines).toContain('amqp connection failed, reconnecting in 400ms');

    await connection.release();
    expect(connection.state).toBe('idle');
    await clock.tick(10_000);
    await settle();
    expect(delays).toHaveLength(4);
  });

  it('gives up waiting for an open connection after the timeout with a retryable error', async () => {
    const clock = createFakeClock();
    const connection = amqpConnection({ url: `amqp://127.0.0.1:${await closedPort()}`, clock });
    connection.acquire();
    const waiting = connection.whenOpen(1000);
    const outcome = waiting.then(
      () => 'opened',
      (error: unknown) => error,
    );
    await clock.tick(1000);
    expect(await outcome).toMatchObject({ code: 'MEDIARY_AMQP_UNAVAILABLE', retryable: true });
    await connection.close();
  });

  it('says at once that an unused connection is not open', async () => {
    const connection = amqpConnection({ url: 'amqp://127.0.0.1:5672' });
    await expect(connection.whenOpen(1000)).rejects.toMatchObject({ code: 'MEDIARY_AMQP_UNAVAILABLE' });
  });
});
