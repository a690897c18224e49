/**
 * Runs `src/main.ts` as a child process the way the README does (`tsx --conditions=@mediary/source`), for the
 * tests that treat the example as a black box: start-up banner, signals, a kill -9.
 *
 * It runs `node --import tsx` rather than the `tsx` command: that command starts a second node process
 * for the script and relays signals to it, and a SIGKILL cannot be relayed — the wrapper would die and
 * the example would live on as an orphan, still delivering. With the loader there is one process, and a
 * kill -9 kills the example itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

export interface MainProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the output contains `text`; fails early when the process exits first. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** SIGKILLs the process unless it already ended, and waits for it. */
  kill(): Promise<void>;
}

/**
 * Starts `src/main.ts` with `env` on top of this process's environment (logs at `warn` unless `env` says).
 *
 * @example
 * const main = startMain({ HTTP_PORT: '8290' });
 * await main.waitFor('healthcare: ready');
 */
export function startMain(env: Record<string, string>): MainProcess {
  // `tsx` resolves from the example's folder up to the workspace's node_modules.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@mediary/source', 'src/main.ts'], {
    cwd: exampleDir,
    env: { ...process.env, MEDIARY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    output: () => output,
    exit,
    async waitFor(text, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `main exited (${child.exitCode ?? child.signalCode}) before printing ${text}:\n${output}`,
          );
        }
        if (Date.now() > deadline) throw new Error(`main did not print ${text} in time:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}
