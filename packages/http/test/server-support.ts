/**
 * Test support for the HTTP server tests: start an engine with one server on 127.0.0.1:0, talk to it over
 * raw TCP, and close everything afterwards.
 */
import { connect } from 'node:net';
import { createEngine, type Engine, silentLogger } from '@mediary/core';
import { type HttpServer, type HttpServerOptions, httpServer } from '../src/index.js';

export interface Running {
  readonly engine: Engine;
  readonly server: HttpServer;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts an engine with one HTTP server on an ephemeral loopback port. */
export async function startServer(options: Omit<HttpServerOptions, 'port'>): Promise<Running> {
  const server = httpServer({ port: 0, ...options });
  const engine = createEngine({ logger: silentLogger, plugins: [server] });
  await engine.start();
  const url = server.url;
  return {
    engine,
    server,
    url,
    port: Number(new URL(url).port),
    close: () => engine.stop({ timeoutMs: 1000 }),
  };
}

export interface RawReply {
  /** Everything received before the server closed the connection (or the wait ended). */
  readonly text: string;
  /** The status of the first final (non-1xx) response, if any. */
  readonly status: number | undefined;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

/**
 * Writes raw bytes to the server and collects what comes back until the server closes the connection or
 * `waitMs` passes.
 */
export function rawRequest(
  port: number,
  payload: string | Buffer,
  options: { readonly waitMs?: number } = {},
): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, status: finalStatus(text), closed });
    };
    const timer = setTimeout(finish, options.waitMs ?? 3000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(payload);
  });
}

function finalStatus(text: string): number | undefined {
  for (const match of text.matchAll(/HTTP\/1\.[01] (\d{3})/g)) {
    const status = Number(match[1]);
    if (status >= 200) return status;
  }
  return undefined;
}

/** A promise with its resolve function outside (Node 20 has no Promise.withResolvers). */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
