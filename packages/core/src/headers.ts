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

/** A case-insensitive header map. Cheap to copy: fan-out copies headers, never bodies. */
export class Headers implements Iterable<[string, string]> {
  readonly #map: Map<string, string>;

  constructor(init?: HeaderInit | Headers) {
    if (init instanceof Headers) {
      this.#map = new Map(init.#map);
      return;
    }
    this.#map = new Map();
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
    this.#map.set(name.toLowerCase(), value);
    return this;
  }

  delete(name: string): boolean {
    return this.#map.delete(name.toLowerCase());
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
