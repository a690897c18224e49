/**
 * Shared pieces of the PostgreSQL integration tests: a restart guard, table cleanup, and a child process
 * that enqueues until it is killed.
 *
 * The restart test restarts the whole PostgreSQL cluster. Vitest runs test files in parallel, so every
 * other test file of this package holds a shared advisory lock while it runs and the restart test takes
 * the exclusive one first: the restart waits for running files to finish, and files that start meanwhile
 * wait for the restart (their waiting session dies with it, so they reconnect and ask again).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const RESTART_LOCK = 74_210_001;
const GUARD_APPLICATION = 'mediary-restart-guard';
/** How long a test file may wait for a restart in progress (use it as the `beforeAll` timeout too). */
export const GUARD_WAIT_MS = 150_000;

/** The URL with an application name that marks the session as part of the guard, not as another user. */
export function guardUrl(url: string): string {
  const tagged = new URL(url);
  tagged.searchParams.set('application_name', GUARD_APPLICATION);
  return tagged.toString();
}

/** Holds the shared (or, for the restart, exclusive) side of the restart guard until the returned function runs. */
export async function holdRestartGuard(url: string, exclusive = false): Promise<() => Promise<void>> {
  const deadline = Date.now() + GUARD_WAIT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: guardUrl(url) });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query(`SELECT ${exclusive ? 'pg_advisory_lock' : 'pg_advisory_lock_shared'}($1)`, [
        RESTART_LOCK,
      ]);
      return async () => {
        await client.end().catch(() => {});
      };
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Waits until no session outside the guard is connected (other test projects on this machine, such as the
 * examples', use the same server and know nothing of the guard), up to `timeoutMs`.
 */
export async function waitForOtherSessions(admin: pg.Pool, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND application_name <> $1`,
      [GUARD_APPLICATION],
    );
    const others = rows[0]?.n ?? 0;
    if (others === 0 || Date.now() > deadline) return others;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Drops the tables a test created. */
export async function dropTables(pool: pg.Pool, ...tables: string[]): Promise<void> {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(table)}`);
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/enqueue-until-killed.ts', import.meta.url));

/**
 * Starts a separate Node process that enqueues into the store as fast as it can and prints each id once
 * `enqueue` resolved; kills it with SIGKILL after `count` ids; resolves to the ids it reported.
 */
export function enqueueThenKill(args: readonly string[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@mediary/source', CHILD, ...args],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ids: string[] = [];
    let pending = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      ids.push(...lines.filter(Boolean));
      if (ids.length >= count) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && ids.length >= count) resolve(ids);
      else reject(new Error(`the child ended (${signal ?? _code}) after ${ids.length} ids: ${stderr}`));
    });
  });
}
