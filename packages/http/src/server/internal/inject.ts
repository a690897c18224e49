/**
 * `inject()`: an in-memory request and reply around the very handler sockets use — no socket, no port —
 * so tests see the same routing, checks, statuses and bodies a client would.
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { httpErrors } from '../../errors.js';
import type { InjectRequest, InjectResponse } from '../http-server.js';
import type { InboundRequest } from './handler.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Builds the handler's view of an in-memory request. */
export function injectRequest(request: InjectRequest): InboundRequest {
  const headers: Record<string, string> = Object.create(null);
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!TOKEN.test(name))
      throw httpErrors.BAD_REQUEST({ reason: `${JSON.stringify(name)} is not a header name` });
    headers[name.toLowerCase()] = String(value);
    rawHeaders.push(name, String(value));
  }
  let bytes: Buffer | undefined;
  const { body } = request;
  if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else if (body !== undefined && body !== null) {
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
    if (headers['content-type'] === undefined) {
      headers['content-type'] = 'application/json';
      rawHeaders.push('content-type', 'application/json');
    }
  }
  if (headers.host === undefined) {
    headers.host = 'inject';
    rawHeaders.push('host', 'inject');
  }
  if (bytes && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    headers['content-length'] = String(bytes.byteLength);
    rawHeaders.push('content-length', headers['content-length']);
  }
  const chunks = bytes && bytes.byteLength > 0 ? [bytes] : [];
  return {
    method: request.method.toUpperCase(),
    url: request.path,
    headers,
    rawHeaders,
    httpVersion: '1.1',
    remoteAddress: undefined,
    body: Readable.from(chunks, { objectMode: false }),
    complete: true,
    parsedByNode: false,
  };
}

/** Bytes of a request's headers as a socket would carry them (for the header size limit). */
export function headerBytes(request: InboundRequest): number {
  let size = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    size += request.rawHeaders[i]!.length + 2 + (request.rawHeaders[i + 1]?.length ?? 0) + 2;
  }
  return size;
}

/** An in-memory reply: what the handler writes, collected. */
export class InjectReply extends Writable {
  headersSent = false;
  #status = 200;
  #headers: Record<string, string> = {};
  readonly #chunks: Buffer[] = [];
  readonly #head: boolean;

  constructor(head: boolean) {
    super();
    this.#head = head;
    // A reply cut mid-stream is reported by result(); an 'error' event nobody awaits yet must not crash.
    this.on('error', () => undefined);
  }

  writeHead(status: number, headers: Record<string, string>): this {
    if (this.headersSent) throw new Error('headers already sent');
    const lower: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = String(value);
    this.#status = status;
    this.#headers = lower;
    this.headersSent = true;
    return this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.headersSent) this.writeHead(200, {});
    // A HEAD reply has the headers of a GET and no body, as on a socket.
    if (!this.#head) this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    callback();
  }

  /** Waits for the reply to finish; rejects when it was cut off mid-stream. */
  async result(): Promise<InjectResponse> {
    try {
      await finished(this);
    } catch (error) {
      throw httpErrors.REPLY_INTERRUPTED({ reason: (error as Error).message }, { cause: error });
    }
    const body = Buffer.concat(this.#chunks);
    return {
      status: this.#status,
      headers: this.#headers,
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  }
}
