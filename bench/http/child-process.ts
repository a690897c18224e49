/**
 * Starts a benchmark server script as a child process, pinned to one CPU when `taskset` exists, and waits
 * for its ready line (see `server-kit.ts`). Separate processes keep the server under test, the upstream and
 * the load generator from sharing an event loop, and let each be pinned to its own core.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { compileServer } from '../compile.mjs';
import { READY_PREFIX } from './server-kit.js';

/** How long a server may take to print its ready line. */
const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 5_000;

let tasksetAvailable: boolean | undefined;

/**
 * Whether pinning is possible and worthwhile: `taskset` is installed, there are at least two cores, and
 * `BENCH_PIN` is not `0`.
 */
export function canPin(): boolean {
  if (process.env.BENCH_PIN === '0' || availableParallelism() < 2) return false;
  tasksetAvailable ??= spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  return tasksetAvailable;
}

/** The command line for `command args…`, prefixed with `taskset -c cpu` when pinning is possible. */
export function pinned(
  cpu: number | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpu !== undefined && canPin()
    ? ['taskset', ['-c', String(cpu), command, ...args]]
    : [command, [...args]];
}

/** A server running in a child process. */
export interface ServerProcess {
  readonly url: string;
  /** The process that serves (below any `taskset` wrapper): the one whose memory counts. */
  readonly pid: number;
  close(): Promise<void>;
}

export interface SpawnServerOptions {
  /** Shown in error messages and before the child's stderr lines. */
  readonly name: string;
  /** Environment added to the runner's (`PORT` defaults to `0`). */
  readonly env?: Readonly<Record<string, string>>;
  /** CPU to pin the server to. */
  readonly cpu?: number;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Scripts compiled in this run: each is compiled once, however often it is started. */
const compiled = new Map<string, Promise<string>>();

/**
 * Compiles a TypeScript server script (see `bench/compile.mjs`), runs it with node and resolves once it
 * prints its ready line.
 *
 * @example
 * const proxy = await spawnServer(new URL('./baseline-pass.ts', import.meta.url), {
 *   name: 'baseline-pass',
 *   env: { UPSTREAM: upstream.url },
 *   cpu: 1,
 * });
 * await proxy.close();
 */
export async function spawnServer(script: URL | string, options: SpawnServerOptions): Promise<ServerProcess> {
  const key = String(script);
  let file = compiled.get(key);
  if (!file) {
    file = compileServer(script);
    compiled.set(key, file);
  }
  const [command, args] = pinned(options.cpu, process.execPath, [await file]);
  const child = spawn(command, args, {
    env: { ...process.env, NODE_ENV: 'production', PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(`[${options.name}] ${chunk.toString()}`);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} printed no ready line within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with code ${code} before it was ready`));
    };
    child.once('exit', onExit);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // Every line is consumed (ready or not) so a chatty server never blocks on a full pipe.
    lines.on('line', (line) => {
      if (!line.startsWith(READY_PREFIX)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      const ready = JSON.parse(line.slice(READY_PREFIX.length)) as { url: string; pid: number };
      resolve({
        url: ready.url,
        pid: ready.pid,
        async close() {
          // The serving process closes its server and exits on SIGTERM.
          kill(ready.pid, 'SIGTERM');
          if (await waitForExit(child, EXIT_TIMEOUT_MS)) return;
          kill(ready.pid, 'SIGKILL');
          child.kill('SIGKILL');
          await waitForExit(child, EXIT_TIMEOUT_MS);
        },
      });
    });
  });
}
