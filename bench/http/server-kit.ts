/**
 * What the benchmark's servers (the upstream and the hand-written baselines) share: listening, closing, and
 * running as a script that the runner can start as a child process.
 *
 * A server started as a script prints one line `mediary-bench ready {"url":…,"pid":…}` once it listens;
 * the runner waits for that line, and uses `pid` (the process that really serves, not a `tsx` or `taskset`
 * wrapper) to read its peak memory.
 *
 * @module
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The prefix of the line a server prints once it listens. */
export const READY_PREFIX = 'mediary-bench ready ';

/** A listening server. */
export interface RunningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, drops every connection (idle keep-alive ones too) and releases what `onClose` holds. */
  close(): Promise<void>;
}

export interface ListenOptions {
  readonly port?: number;
  readonly host?: string;
  /** Runs after the server has closed, e.g. to close an upstream connection pool. */
  readonly onClose?: () => Promise<void>;
}

/**
 * Listens on loopback (port 0 = any free port) and returns the server's URL and a `close()`.
 *
 * @example
 * const running = await listen(createServer(handler), { port: 0 });
 * console.log(running.url);
 * await running.close();
 */
export async function listen(server: Server, options: ListenOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  // Load generators keep connections busy; a long idle timeout only matters between runs, where a reused
  // connection that the server has just dropped would show up as a spurious error.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      await new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections();
      });
      await options.onClose?.();
    },
  };
}

/** True when the module with this `import.meta.url` is the script node (or tsx) was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(resolve(entry)).href === moduleUrl;
}

/** Reads `PORT` (default 0, any free port). */
export function portFromEnv(): number {
  const port = Number(process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a TCP port number, got ${process.env.PORT}`);
  }
  return port;
}

/** Reads `UPSTREAM`, the upstream's base URL, which every proxy needs. */
export function upstreamFromEnv(): string {
  const upstream = process.env.UPSTREAM;
  if (!upstream) throw new Error('UPSTREAM must be set to the upstream base URL, e.g. http://127.0.0.1:9100');
  return upstream;
}

/**
 * Starts a server as the process's main job: prints the ready line, and closes the server and exits on
 * SIGTERM or SIGINT.
 *
 * @example
 * if (isMainModule(import.meta.url)) await serveAsMain(() => startUpstream({ port: portFromEnv() }));
 */
export async function serveAsMain(start: () => Promise<RunningServer>): Promise<void> {
  const running = await start();
  console.log(READY_PREFIX + JSON.stringify({ url: running.url, pid: process.pid }));
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
