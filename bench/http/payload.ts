/**
 * Request bodies for the throughput runs: JSON documents of an exact byte size, shaped like an order (an
 * array of small objects) rather than one long string, so parsing and XML conversion do per-field work.
 *
 * The `route` field comes FIRST. A streaming parser could stop reading once it has seen it; the baselines
 * parse the whole body anyway, and a server that takes the short cut gains from it — keep that in mind
 * when comparing `cbr` numbers.
 *
 * @module
 */

interface Item {
  readonly id: number;
  readonly name: string;
  readonly price: number;
  readonly tags: readonly string[];
}

function item(id: number): Item {
  return { id, name: `item-${id}`, price: Math.round(id * 125) / 100, tags: ['alpha', 'beta'] };
}

/**
 * A JSON document of exactly `size` bytes (UTF-8), `{"route":…,"items":[…],"pad":"…"}`.
 *
 * @example
 * jsonPayload(1024, 'a').length; // 1024
 */
export function jsonPayload(size: number, route: 'a' | 'b' = 'a'): Buffer {
  const items: Item[] = [];
  const frame = (pad: string) => JSON.stringify({ route, items, pad });
  // Lengths are added up item by item: re-serialising the whole document per item would be quadratic.
  let length = frame('').length;
  for (let id = 0; ; id++) {
    const next = JSON.stringify(item(id)).length + (items.length > 0 ? 1 : 0);
    if (length + next > size) break;
    items.push(item(id));
    length += next;
  }
  if (length > size) throw new Error(`a JSON payload cannot be as small as ${size} bytes`);
  const body = Buffer.from(frame('x'.repeat(size - length)));
  if (body.length !== size) throw new Error(`payload is ${body.length} bytes, wanted ${size}`);
  return body;
}

/** `1KB`, `100KB`, `1MB` for table headings. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KB`;
  return `${bytes}B`;
}
