/**
 * Shared fixtures for the healthcare tests: the WSO2 tutorial's requests, checks for Mediary's error replies,
 * and misbehaving backends (garbage, a connection cut mid-reply) that the bundled mock cannot imitate.
 */
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { expect } from 'vitest';

export const patient = {
  name: 'John Doe',
  dob: '1940-03-19',
  ssn: '234-23-525',
  address: 'California',
  phone: '8770586755',
  email: 'johndoe@gmail.com',
};

/** The nested form (T2, and what the backend receives from T3). */
export const reservation = {
  patient,
  doctor: 'thomas collins',
  hospital_id: 'grandoaks',
  hospital: 'grand oak community hospital',
  appointment_date: '2025-04-02',
};

/** T3's flat form. */
export const flatReservation = {
  ...patient,
  doctor: 'thomas collins',
  hospital_id: 'grandoaks',
  hospital: 'grand oak community hospital',
  cardNo: '7844481124110331',
  appointment_date: '2025-04-02',
};

/** T4's form: nested plus the card. */
export const paidReservation = { ...reservation, cardNo: '7844481124110331' };

/** A JSON request: method, path, headers and body as `server.inject` and undici take them. */
export function jsonRequest(method: string, path: string, body: unknown) {
  return {
    method,
    path,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/**
 * Checks a Mediary error reply: the status, the JSON shape `{"error":{"code","message"}}`, the code when
 * given, and that nothing in it looks like a stack trace.
 */
export function expectErrorReply(
  reply: { readonly status: number; readonly text: string },
  status: number,
  code?: string | RegExp,
): { code: string; message: string } {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.text).not.toMatch(/\bat .+\(.*:\d+:\d+\)|node:internal|\.ts:\d+/);
  const body = JSON.parse(reply.text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toMatch(/^MEDIARY_[A-Z_]+$/);
  expect(typeof body.error.message).toBe('string');
  if (code !== undefined) expect(body.error.code).toMatch(code);
  return body.error;
}

/**
 * A loopback port that was free a moment ago: for a process that binds it itself, or for a backend that is
 * down now and comes up on it later.
 */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A fake backend that answers every request with `handle`, for faults the bundled mock does not make. */
export async function startFakeBackend(
  handle: RequestListener,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A backend that promises a 1000-byte JSON reply, sends 10 bytes and then drops the connection. */
export function cutMidReply(): Promise<{ url: string; close(): Promise<void> }> {
  return startFakeBackend((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{"name":"');
      setImmediate(() => res.socket?.destroy());
    });
  });
}

/** A backend that answers `200` with a body that is not JSON. */
export function garbageBackend(): Promise<{ url: string; close(): Promise<void> }> {
  return startFakeBackend((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>surprise</html>');
    });
  });
}
