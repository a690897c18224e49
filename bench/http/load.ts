/**
 * Drives a target with autocannon, run as its own process (pinned to the load CPU) so that generating load
 * never competes with the runner's bookkeeping or the server under test for an event loop.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pinned } from './child-process.js';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** CPU the load generator (and the shared upstream) is pinned to. */
export const LOAD_CPU = Number(process.env.BENCH_LOAD_CPU ?? 0);

export interface LoadOptions {
  /** Full URL, e.g. `http://127.0.0.1:41234/pass`. */
  readonly url: string;
  /** File holding the request body (a 100 KB body does not fit safely on a command line). */
  readonly bodyFile: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

/** One autocannon run, reduced to what the report uses. */
export interface Measurement {
  /** Completed requests per second over the whole run. */
  readonly requestsPerSecond: number;
  /** Latency percentiles in milliseconds (autocannon's resolution is 1 ms). */
  readonly p50: number;
  readonly p99: number;
  /** Connection errors + timeouts + non-2xx replies: anything but 0 means the numbers are suspect. */
  readonly failures: number;
}

interface AutocannonJson {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number };
  requests: { total: number };
}

/**
 * Runs autocannon once (`POST`, JSON body) and parses its JSON summary.
 *
 * @example
 * const m = await runLoad({ url: `${proxy.url}/pass`, bodyFile, connections: 50, durationSeconds: 10 });
 * console.log(m.requestsPerSecond);
 */
export function runLoad(options: LoadOptions): Promise<Measurement> {
  const [command, args] = pinned(LOAD_CPU, process.execPath, [
    AUTOCANNON,
    '--json',
    '--connections',
    String(options.connections),
    '--duration',
    String(options.durationSeconds),
    '--method',
    'POST',
    '--headers',
    'content-type=application/json',
    '--input',
    options.bodyFile,
    options.url,
  ]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`autocannon exited with ${code}: ${stderr.trim() || stdout.trim()}`));
        return;
      }
      const result = JSON.parse(line) as AutocannonJson;
      resolve({
        requestsPerSecond: result.requests.total / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        failures: result.errors + result.timeouts + result.non2xx,
      });
    });
  });
}
