/**
 * Measures how deep a JSON text nests, in one pass over the bytes, before `JSON.parse` sees it. V8 parses
 * very deep JSON fine, but `JSON.stringify` and every recursive walker after it overflow the stack; rejecting
 * early gives a clear error instead of a crash later in the route.
 */

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Returns true when the text nests no deeper than `maxDepth`. Strings are skipped, escapes respected. */
export function jsonDepthWithin(bytes: Uint8Array, maxDepth: number): boolean {
  // Every level opens with a byte of its own: a text no longer than the limit cannot nest deeper than it.
  // Small messages, the common case on queues, skip the scan.
  if (bytes.length <= maxDepth) return true;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > maxDepth) return false;
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth--;
    }
  }
  return true;
}

/** The same check over a value already in memory (a body set by code), iteratively so it cannot overflow. */
export function valueDepthWithin(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) return false;
    for (const child of Object.values(node as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return true;
}
