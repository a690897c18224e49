/**
 * Test support for the HTTP endpoint tests: small real backends on 127.0.0.1 (ephemeral ports) that close
 * every connection they hold when the test is over, and a registry of things to close after each test.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** A backend that a test started. */
export interface Backend {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const open: Array<{ close(): Promise<void> }> = [];

/** Registers something to close in {@link closeAll} (afterEach). */
export function track<T extends { close(): Promise<void> }>(resource: T): T {
  open.push(resource);
  return resource;
}

/** Closes everything {@link track} registered, newest first. */
export async function closeAll(): Promise<void> {
  for (const resource of open.splice(0).reverse()) await resource.close();
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** Starts a node:http backend. */
export async function startBackend(handler: RequestListener): Promise<Backend> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return track({ url: `http://127.0.0.1:${port}`, port, close: closer(server, sockets) });
}

/** Starts a raw TCP backend (for replies that are not HTTP). */
export async function startRawBackend(onSocket: (socket: Socket) => void): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  const port = await listen(server);
  return track({ url: `http://127.0.0.1:${port}`, port, close: closer(server, sockets) });
}

/** A port nothing listens on: bound once, then released. */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reads a request body to a string. */
export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends a JSON reply. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A promise with its resolver, for "the backend saw X" signals (Node 20 lacks Promise.withResolvers). */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Collects a body source to text. */
export async function collectText(source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
