/**
 * Case-insensitive message headers. Names are stored lower-cased; values are strings: a repeated header is
 * kept as its values joined with `, `, the way HTTP allows for list-valued fields. (`set-cookie` is not such
 * a field; a transport that must keep several cookies apart has to carry them itself.)
 *
 * @module
 */

/** Header values as they come from transports. */
export type HeaderInit =
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * A case-insensitive header map. Cheap to copy: a copy shares its source's map until either of them writes
 * (every dispatched message is copied once for `ctx.original`, and most are never changed).
 */
export class Headers implements Iterable<[string, string]> {
  #map: Map<string, string>;
  /** False while the map may be shared with a copy: the next write copies it first. */
  #owned: boolean;

  constructor(init?: HeaderInit | Headers) {
    if (init instanceof Headers) {
      this.#map = init.#map;
      this.#owned = false;
      init.#owned = false;
      return;
    }
    this.#map = new Map();
    this.#owned = true;
    if (!init) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.#add(name, value);
      return;
    }
    // A record (node's request headers, every message's): walked in place, no entries array per message.
    const record = init as Readonly<Record<string, string | readonly string[] | undefined>>;
    for (const name in record) {
      if (Object.hasOwn(record, name)) this.#add(name, record[name]);
    }
  }

  #add(name: string, value: string | readonly string[] | undefined): void {
    if (value === undefined) return;
    this.#map.set(name.toLowerCase(), typeof value === 'string' ? value : value.join(', '));
  }

  get(name: string): string | undefined {
    return this.#map.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  set(name: string, value: string): this {
    this.#writable().set(name.toLowerCase(), value);
    return this;
  }

  delete(name: string): boolean {
    const lower = name.toLowerCase();
    return this.#map.has(lower) && this.#writable().delete(lower);
  }

  #writable(): Map<string, string> {
    if (!this.#owned) {
      this.#map = new Map(this.#map);
      this.#owned = true;
    }
    return this.#map;
  }

  get size(): number {
    return this.#map.size;
  }

  /** A plain object view (lower-case names), e.g. for expressions and logs. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.#map);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#map.entries();
  }
}
