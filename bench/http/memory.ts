/**
 * The streaming memory mode: pushes a large body (1 GiB by default) through each pass-through target and
 * reports the serving process's peak resident set (Linux `VmHWM`). A proxy that streams stays near its idle
 * size; one that buffers grows by the body size. Three cases, each on a freshly started target so the
 * high-water mark belongs to that case alone:
 *
 * - `upload`: a 1 GiB request body; the target's upstream is `…/sink`, which answers `{"bytes":N}`;
 * - `download`: a tiny request; the target's upstream is `…/bytes/N`, which answers N bytes;
 * - `duplex`: a 1 GiB request echoed back by `/echo`, so 1 GiB flows each way at once.
 *
 * The upload and download cases rely on the target appending its route to the upstream base URL's path
 * (`UPSTREAM=http://h/bytes/N` → `http://h/bytes/N/echo`), as the baselines do.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { BenchTarget } from './targets.js';

export type MemoryCase = 'upload' | 'download' | 'duplex';

export const MEMORY_CASES: readonly MemoryCase[] = ['upload', 'download', 'duplex'];

export interface MemoryRow {
  readonly target: string;
  readonly case: MemoryCase;
  readonly bytes: number;
  readonly seconds: number;
  /** MiB per second of payload in the case's main direction. */
  readonly mibPerSecond: number;
  /** Resident set right after start (MiB). */
  readonly idleRssMiB: number | undefined;
  /** Peak resident set over the process's life (MiB). */
  readonly peakRssMiB: number | undefined;
  /** Peak resident set ÷ the pass-through baseline's in the same case and run. */
  readonly peakRatio?: number;
  /** Set when the transfer failed or delivered the wrong number of bytes. */
  readonly error?: string;
}

const CHUNK = Buffer.alloc(64 * 1024, 'y');

/** Reads a `kB` field of `/proc/<pid>/status` as MiB; `undefined` where there is no `/proc`. */
export function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** `n` bytes generated on the fly, 64 KiB at a time: the client must not hold the body either. */
async function* generate(n: number): AsyncGenerator<Buffer> {
  for (let left = n; left > 0; left -= CHUNK.length) {
    yield left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
  }
}

interface Transfer {
  readonly upstreamPath: string;
  readonly body: Readable | string;
  readonly headers: Record<string, string>;
  readonly expect: (reply: Buffer | number) => string | undefined;
}

function transferFor(kind: MemoryCase, n: number): Transfer {
  const octets = { 'content-type': 'application/octet-stream', 'content-length': String(n) };
  switch (kind) {
    case 'upload':
      return {
        upstreamPath: '/sink',
        body: Readable.from(generate(n), { objectMode: false }),
        headers: octets,
        expect: (reply) => {
          const text = typeof reply === 'number' ? '' : reply.toString('utf8');
          return text === JSON.stringify({ bytes: n }) ? undefined : `the upstream saw ${text}`;
        },
      };
    case 'download':
      return {
        upstreamPath: `/bytes/${n}`,
        body: '{}',
        headers: { 'content-type': 'application/json' },
        expect: (reply) => (reply === n ? undefined : `received ${String(reply)} bytes`),
      };
    case 'duplex':
      return {
        upstreamPath: '',
        body: Readable.from(generate(n), { objectMode: false }),
        headers: octets,
        expect: (reply) => (reply === n ? undefined : `received ${String(reply)} bytes`),
      };
  }
}

async function runCase(
  target: BenchTarget,
  upstreamUrl: string,
  kind: MemoryCase,
  n: number,
): Promise<MemoryRow> {
  const transfer = transferFor(kind, n);
  const started = await target.start(upstreamUrl + transfer.upstreamPath);
  const agent = new Agent({ headersTimeout: 600_000, bodyTimeout: 600_000 });
  try {
    const idleRssMiB = started.pid === undefined ? undefined : procStatusMiB(started.pid, 'VmRSS');
    const began = performance.now();
    const res = await request(started.url + target.path, {
      method: 'POST',
      body: transfer.body,
      headers: transfer.headers,
      dispatcher: agent,
    });
    // Small replies are kept to check them; large ones are only counted.
    let count = 0;
    const kept: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      count += chunk.length;
      if (kind === 'upload') kept.push(chunk);
    }
    const seconds = (performance.now() - began) / 1000;
    const problem =
      res.statusCode === 200
        ? transfer.expect(kind === 'upload' ? Buffer.concat(kept) : count)
        : `status ${res.statusCode}`;
    return {
      target: target.name,
      case: kind,
      bytes: n,
      seconds,
      mibPerSecond: n / (1024 * 1024) / seconds,
      idleRssMiB,
      peakRssMiB: started.pid === undefined ? undefined : procStatusMiB(started.pid, 'VmHWM'),
      ...(problem ? { error: problem } : {}),
    };
  } finally {
    await agent.close();
    await started.close();
  }
}

/**
 * Runs every memory case against every pass-through target (reference targets such as `direct` excluded).
 *
 * @example
 * const rows = await runMemory(defaultTargets, upstream.url, 1024 ** 3);
 */
export async function runMemory(
  targets: readonly BenchTarget[],
  upstreamUrl: string,
  bytes: number,
  log: (line: string) => void = console.log,
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const target of targets) {
    if (target.scenario !== 'pass' || target.reference) continue;
    for (const kind of MEMORY_CASES) {
      let row: MemoryRow;
      try {
        row = await runCase(target, upstreamUrl, kind, bytes);
      } catch (error) {
        row = {
          target: target.name,
          case: kind,
          bytes,
          seconds: Number.NaN,
          mibPerSecond: Number.NaN,
          idleRssMiB: undefined,
          peakRssMiB: undefined,
          error: error instanceof Error ? error.message : String(error),
        };
      }
      log(
        `memory ${target.name} ${kind}: ${row.error ?? `${row.mibPerSecond.toFixed(0)} MiB/s`}, ` +
          `idle ${row.idleRssMiB?.toFixed(1) ?? 'n/a'} MiB, peak ${row.peakRssMiB?.toFixed(1) ?? 'n/a'} MiB`,
      );
      rows.push(row);
    }
  }
  const baseline = targets.find((target) => target.baseline && target.scenario === 'pass')?.name;
  return rows.map((row) => {
    const base = rows.find((other) => other.target === baseline && other.case === row.case)?.peakRssMiB;
    return base === undefined || row.peakRssMiB === undefined
      ? row
      : { ...row, peakRatio: row.peakRssMiB / base };
  });
}
