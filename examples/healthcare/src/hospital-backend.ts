/**
 * A mock of the WSO2 tutorial "hospital" backend (SCENARIOS.md section 1) on plain `node:http`, so the
 * healthcare example, its tests and manual runs have something real to call. It does not use Mediary: it
 * stands in for a third-party service. Its reserve endpoint honours `Idempotency-Key` (see
 * `hospital-service.ts`).
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHospitalService, type HospitalReply } from './hospital-service.js';

export type { Doctor, HospitalId } from './hospital-data.js';
export { CATEGORIES, DOCTORS, HOSPITALS } from './hospital-data.js';
export { discountPercent } from './hospital-service.js';

/** Request bodies are small JSON documents; anything bigger is a client bug, not a reservation. */
const MAX_BODY_BYTES = 1024 * 1024;

/** How many recent calls {@link HospitalBackend.calls} keeps, so a long manual run does not grow forever. */
const MAX_RECORDED_CALLS = 1000;

export interface HospitalBackendOptions {
  /** TCP port; `0` (the default) picks a free one. */
  readonly port?: number;
  /** Interface to bind; defaults to loopback. */
  readonly host?: string;
  /** Delay before every reply, to exercise callers' timeouts. */
  readonly delayMs?: number;
  /** The current date, for the age-based payment discount. */
  readonly today?: () => Date;
}

/** A request the backend received. */
export interface RecordedCall {
  readonly method: string;
  readonly path: string;
}

/** A running backend. */
export interface HospitalBackend {
  /** Base URL, e.g. `http://127.0.0.1:9090` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Reservations made so far; also the last appointment number handed out. */
  readonly reservations: number;
  /** Payments settled so far. */
  readonly payments: number;
  /** Reservations repeated under an `Idempotency-Key` already reserved for, answered without reserving. */
  readonly duplicatesSuppressed: number;
  /** The most recent requests (up to 1000), oldest first: lets a test assert that a route made no call. */
  readonly calls: readonly RecordedCall[];
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function send(res: ServerResponse, reply: HospitalReply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Starts the mock hospital backend.
 *
 * @example
 * const hospital = await startHospitalBackend({ port: 0 });
 * const res = await request(`${hospital.url}/healthcare/surgery`);
 * // … later
 * await hospital.close();
 */
export async function startHospitalBackend(options: HospitalBackendOptions = {}): Promise<HospitalBackend> {
  const service = createHospitalService(options.today ? { today: options.today } : {});
  const delayMs = options.delayMs ?? 0;
  const host = options.host ?? '127.0.0.1';
  const calls: RecordedCall[] = [];

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://hospital').pathname;
    calls.push({ method, path });
    if (calls.length > MAX_RECORDED_CALLS) calls.shift();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (cause) {
      if (!(cause instanceof BodyTooLargeError)) throw cause;
      // The rest of the body is never read, so this connection cannot carry another request.
      res.shouldKeepAlive = false;
      send(res, {
        status: 413,
        body: {
          error: {
            code: 'HOSPITAL_BODY_TOO_LARGE',
            message: `bodies are limited to ${MAX_BODY_BYTES} bytes`,
          },
        },
      });
      return;
    }
    const key = req.headers['idempotency-key'];
    const reply = service.handle(method, path, body, {
      idempotencyKey: Array.isArray(key) ? key[0] : key,
    });
    if (delayMs > 0) await sleep(delayMs);
    if (!res.destroyed) send(res, reply);
  }

  const server = createServer((req, res) => {
    respond(req, res).catch(() => {
      // Only a socket failure mid-body gets here (the service itself never throws); nothing is left to answer.
      res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: formatUrl(host, port),
    port,
    get reservations() {
      return service.reservations;
    },
    get payments() {
      return service.payments;
    },
    get duplicatesSuppressed() {
      return service.duplicatesSuppressed;
    },
    calls,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for keep-alive sockets to time out; callers want the port back now.
        server.closeAllConnections();
      });
    },
  };
}
