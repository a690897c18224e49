/**
 * Keeps fault tests that stop and start a shared service (`rabbitmqctl stop_app`, a database restart) from
 * pulling it out from under the test files vitest runs at the same time in other processes.
 *
 * A readers–writer lock in the file system, one per service name: every test file that talks to the
 * service holds it shared for its duration; a fault test takes it exclusively. The writer announces itself
 * first and then waits for the readers to finish; a reader that sees a writer steps back and waits, so a
 * writer is never starved. Lock files name their process, so a crashed run leaves nothing that blocks the
 * next one.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const POLL_MS = 100;
/** How long a test file waits for a fault test (which should stay under a minute) to give a service back. */
const SHARE_WAIT_MS = 120_000;

/** Releases a lock taken with {@link shareService} or {@link takeService}. */
export type Unlock = () => void;

/**
 * Waits until no fault test holds `service`, then holds it shared.
 *
 * @example
 * const unlock = await shareService('amqp', 120_000);
 */
export async function shareService(service: string, timeoutMs: number): Promise<Unlock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = create(service, 'shared');
    if (live(service, 'exclusive').length === 0) return () => remove(mine);
    remove(mine);
    if (Date.now() > deadline) throw new Error(`${service} stayed taken by a fault test`);
    await sleep(POLL_MS);
  }
}

/**
 * Announces a fault test on `service`, then waits until no other test file uses it.
 *
 * @example
 * const unlock = await takeService('amqp', 150_000);
 * try { await restartBroker(); } finally { unlock(); }
 */
export async function takeService(service: string, timeoutMs: number): Promise<Unlock> {
  const deadline = Date.now() + timeoutMs;
  const mine = create(service, 'exclusive');
  while (live(service, 'shared').length > 0) {
    if (Date.now() > deadline) {
      remove(mine);
      throw new Error(`other test files kept using ${service}`);
    }
    await sleep(POLL_MS);
  }
  return () => remove(mine);
}

/**
 * Holds `service` shared for the enclosing `describe` (call it inside one), waiting first for a fault test
 * that stops the service to finish.
 *
 * @example
 * describe.skipIf(!amqp.available)('amqp source', () => {
 *   useSharedService('amqp');
 *   it('…', async () => {});
 * });
 */
export function useSharedService(service: string): void {
  let unlock: Unlock | undefined;
  beforeAll(async () => {
    unlock = await shareService(service, SHARE_WAIT_MS);
  }, SHARE_WAIT_MS + 5000);
  afterAll(() => {
    unlock?.();
  });
}

function directory(service: string): string {
  const dir = join(tmpdir(), 'mediary-service-locks', service.replace(/[^\w.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function create(service: string, kind: 'shared' | 'exclusive'): string {
  const file = join(directory(service), `${kind}-${process.pid}-${randomUUID()}`);
  writeFileSync(file, '');
  return file;
}

/** Lock files of `kind` whose process still runs; files of dead processes are removed. */
function live(service: string, kind: 'shared' | 'exclusive'): string[] {
  const dir = directory(service);
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${kind}-`))
    .filter((name) => {
      if (alive(Number(name.split('-')[1]))) return true;
      remove(join(dir, name));
      return false;
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function remove(file: string): void {
  rmSync(file, { force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
