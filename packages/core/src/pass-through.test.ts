// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Mediary templates are plain strings with ${…} placeholders.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import type { Logger } from './logger.js';
import { log, setHeader, setVar } from './mediators/basic.js';
import { createMessage } from './message.js';

const CHUNK = 64 * 1024;
const TOTAL = 100 * 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * A full collection on demand, so the test measures what is still *held* (a buffered body would be), not
 * garbage that the collector has not reached yet: on a busy machine that lag alone can exceed 40 MiB.
 */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A 100 MB body made on demand, one fresh 64 KiB chunk at a time; nothing keeps a chunk once it is yielded. */
async function* lazyBody(stats: { chunks: number }): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < TOTAL; sent += CHUNK) {
    stats.chunks++;
    yield Buffer.alloc(CHUNK, 0x61);
  }
}

function captureLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
    child: () => logger,
  };
  return logger;
}

describe('pass-through', () => {
  it('passes a 100 MB stream body through a header-and-variable sequence unread, in bounded memory', async () => {
    const lines: string[] = [];
    const engine = createEngine({ name: 'pass-through', logger: captureLogger(lines) });
    engine.addRoute({
      id: 'pass',
      steps: [
        setHeader('x-seen', 'yes'),
        setVar('who', 'mediary'),
        log({ message: 'passing for ${vars.who}' }),
      ],
    });
    const stats = { chunks: 0 };
    const source = lazyBody(stats);
    const gc = collectGarbage();
    gc();
    const before = process.memoryUsage();

    const exchange = await engine.dispatch(
      'pass',
      createMessage({ body: source, contentType: 'text/plain' }),
    );

    expect(exchange.ok).toBe(true);
    expect(exchange.message.headers.get('x-seen')).toBe('yes');
    expect(exchange.context.vars.who).toBe('mediary');
    expect(lines).toContain('passing for mediary');
    // Nobody read the body: it is still the unread stream, and not one chunk was produced yet.
    expect(exchange.message.bodyState).toBe('stream');
    expect(stats.chunks).toBe(0);

    const body = exchange.message.stream();
    expect(body).toBe(source);
    let bytes = 0;
    let peakRss = 0;
    let peakArrayBuffers = 0;
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      if (stats.chunks % 64 === 0) {
        gc();
        const now = process.memoryUsage();
        peakRss = Math.max(peakRss, now.rss - before.rss);
        peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers - before.arrayBuffers);
      }
    }

    expect(bytes).toBe(TOTAL);
    expect(stats.chunks).toBe(TOTAL / CHUNK);
    // Buffered, the body would hold 100 MiB (and break the 10 MiB body limit first); streamed, next to nothing.
    expect(peakArrayBuffers).toBeLessThan(40 * MiB);
    expect(peakRss).toBeLessThan(40 * MiB);
  });
});
