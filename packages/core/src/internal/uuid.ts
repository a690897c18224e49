/**
 * Random (version 4) UUIDs for correlation ids, one per dispatched message.
 *
 * `crypto.randomUUID()` joins twenty short strings, which V8 keeps as a chain of about seventeen cons
 * strings (≈ 600 bytes a call) until something flattens it — every message's id is flattened when it is
 * written into a header. This writes the 36 characters into one reused buffer and reads them out as one flat
 * string. The randomness is the same: bytes from the operating system's CSPRNG (`randomFillSync`), fetched
 * 256 UUIDs at a time as node does, with the version and variant bits of RFC 9562 §5.4.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto';

const PER_BATCH = 256;
const random = Buffer.alloc(16 * PER_BATCH);
let used = PER_BATCH;
const text = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where each of the 16 bytes goes in the text; dashes sit at 8, 13, 18 and 23. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text.fill('-');

/**
 * A new random UUID, e.g. `2f1c9a4e-8b3d-4c7a-9e21-5d0b6f3a7c18`.
 *
 * @example
 * const correlationId = randomId();
 */
export function randomId(): string {
  if (used === PER_BATCH) {
    randomFillSync(random);
    used = 0;
  }
  const start = used++ * 16;
  for (let i = 0; i < 16; i++) {
    let byte = random[start + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    const at = AT[i]!;
    text[at] = HEX[byte >> 4]!;
    text[at + 1] = HEX[byte & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
