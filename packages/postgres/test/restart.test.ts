import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { isMediaryError } from '@mediary/core';
import { serviceGate, uniqueName } from '@mediary/testing';
import { sampleStoredMessage, takeService } from '@mediary/testing/conformance';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { postgresMessageStore } from '../src/index.js';
import { dropTables, guardUrl, holdRestartGuard, waitForOtherSessions } from './support.js';

const run = promisify(execFile);
const postgres = await serviceGate('postgres');
// Restarting needs the local Debian cluster this machine runs; a DATABASE_URL elsewhere cannot be restarted.
const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(postgres.url).hostname);
const version = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql')[0] : undefined;
const canRestart = postgres.available && local && version !== undefined;
if (postgres.available && !canRestart) {
  console.warn(
    'SKIPPED: the PostgreSQL restart test needs the local cluster (pg_ctlcluster, /etc/postgresql)',
  );
}

const cluster = (action: 'restart' | 'start' | 'status') =>
  run('pg_ctlcluster', ['--skip-systemctl-redirect', version ?? '', 'main', action], { timeout: 60_000 });

describe.skipIf(!canRestart)('postgres message store across a server restart', () => {
  const table = uniqueName('restart').replaceAll('-', '_');
  let admin: pg.Pool;

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: guardUrl(postgres.url), max: 1 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    // Whatever happened, leave the server running.
    await cluster('status').catch(() => cluster('start'));
    await dropTables(admin, table);
    await admin.end();
  });

  it('reconnects after PostgreSQL restarts under it and loses no accepted message', async () => {
    // Wait until no other test file of this package uses the server, and keep new ones out meanwhile;
    // then until other users of the server (other projects' tests) are gone, as far as can be seen.
    // Test files of other packages that use PostgreSQL hold the shared file lock (`useSharedService`).
    const unlockService = await takeService('postgres', 150_000);
    onTestFinished(unlockService);
    const releaseGuard = await holdRestartGuard(postgres.url, true);
    const others = await waitForOtherSessions(admin, 60_000);
    if (others > 0)
      console.warn(`restarting PostgreSQL although ${others} other sessions are still connected`);
    const store = postgresMessageStore({ connectionString: guardUrl(postgres.url), table, name: 'orders' });
    try {
      const accepted: string[] = [];
      for (let n = 0; n < 20; n++) accepted.push(await store.enqueue(sampleStoredMessage({ vars: { n } })));
      const heldAcross = await store.lease({ leaseMs: 120_000 });

      // A producer keeps enqueueing through the restart; every enqueue either resolves (accepted) or fails
      // with a retryable error (the caller would try again), never anything else.
      let producing = true;
      const failures: unknown[] = [];
      const producer = (async () => {
        for (let n = 20; producing; n++) {
          try {
            accepted.push(await store.enqueue(sampleStoredMessage({ vars: { n } })));
          } catch (error) {
            failures.push(error);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();

      await new Promise((resolve) => setTimeout(resolve, 200));
      await cluster('restart');
      const acceptedBefore = accepted.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      producing = false;
      await producer;

      for (const failure of failures) expect(isMediaryError(failure) && failure.retryable).toBe(true);
      expect(accepted.length).toBeGreaterThan(acceptedBefore);

      // The lease taken before the restart is still the current one.
      await store.ack(heldAcross!);
      const drained: string[] = [heldAcross!.message.id];
      for (;;) {
        const lease = await store.lease();
        if (!lease) break;
        drained.push(lease.message.id);
        await store.ack(lease);
      }
      expect(new Set(drained).size).toBe(drained.length);
      for (const id of accepted) expect(drained).toContain(id);
      expect(await store.size()).toBe(0);
    } finally {
      await store.close();
      await releaseGuard();
    }
  }, 180_000);
});
