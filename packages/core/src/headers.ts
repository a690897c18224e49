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

type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The record {@link Headers.adopt} hands its constructor call (set and cleared synchronously around it). */
let adopting: HeaderRecord | undefined;

/**
 * A case-insensitive header map. Cheap to copy: a copy shares its source's map until either of them writes
 * (every dispatched message is copied once for `ctx.original`, and most are never changed). Headers a
 * transport hands over with {@link Headers.adopt} are read from its record in place until the first write.
 */
export class Headers implements Iterable<[string, string]> {
  /** The headers, once built; `undefined` while they are read from {@link #record}. */
  #map: Map<string, string> | undefined;
  /** An adopted record with lower-case names, read in place until the first write. */
  #record: HeaderRecord | undefined;
  /** False while the map may be shared with a copy: the next write copies it first. */
  #owned: boolean;

  constructor(init?: HeaderInit | Headers) {
    this.#owned = true;
    if (adopting !== undefined) {
      // Made by adopt(): no map until the first write.
      this.#record = adopting;
      adopting = undefined;
      return;
    }
    if (init instanceof Headers) {
      this.#record = init.#record;
      this.#map = init.#map;
      this.#owned = false;
      init.#owned = false;
      return;
    }
    this.#map = new Map();
    if (!init) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.#add(name, value);
      return;
    }
    // A record: walked in place, no entries array per message.
    const record = init as HeaderRecord;
    for (const name in record) {
      if (Object.hasOwn(record, name)) this.#add(name, record[name]);
    }
  }

  /**
   * Headers read from `record` in place, without copying it: for a transport's own header object (node's
   * `req.headers`, undici's reply headers), which nothing changes afterwards. A record with a name that is
   * not lower-case is copied instead.
   *
   * @example
   * const message = createMessage({ headers: Headers.adopt(req.headers), body: req });
   */
  static adopt(record: HeaderRecord): Headers {
    for (const name in record) {
      if (name !== name.toLowerCase()) return new Headers(record);
    }
    adopting = record;
    return new Headers();
  }

  #add(name: string, value: string | readonly string[] | undefined): void {
    if (value === undefined) return;
    this.#map!.set(name.toLowerCase(), typeof value === 'string' ? value : value.join(', '));
  }

  get(name: string): string | undefined {
    const record = this.#record;
    if (record) return recordValue(record, name.toLowerCase());
    return this.#map!.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, value: string): this {
    this.#writable().set(name.toLowerCase(), value);
    return this;
  }

  delete(name: string): boolean {
    const lower = name.toLowerCase();
    return this.get(lower) !== undefined && this.#writable().delete(lower);
  }

  get size(): number {
    if (!this.#record) return this.#map!.size;
    let size = 0;
    this.forEach(() => {
      size++;
    });
    return size;
  }

  /** Calls `callback` with each value and name, as `Map.prototype.forEach` does, without an iterator. */
  forEach(callback: (value: string, name: string) => void): void {
    const record = this.#record;
    if (!record) {
      this.#map!.forEach(callback);
      return;
    }
    for (const name in record) {
      const value = recordValue(record, name);
      if (value !== undefined) callback(value, name);
    }
  }

  /** A plain object view (lower-case names), e.g. for expressions and logs. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    this.forEach((value, name) => {
      // Assigning `__proto__` would set the prototype: that one name is defined, as a property like any other.
      if (name === '__proto__') {
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[name] = value;
      }
    });
    return out;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#built().entries();
  }

  /** The map, built from the adopted record on first need. */
  #built(): Map<string, string> {
    const record = this.#record;
    if (record) {
      const map = new Map<string, string>();
      this.forEach((value, name) => {
        map.set(name, value);
      });
      this.#map = map;
      this.#record = undefined;
      // Copies made while the record was shared still read the record: this map is this object's own.
      this.#owned = true;
    }
    return this.#map!;
  }

  #writable(): Map<string, string> {
    if (this.#record) return this.#built();
    if (!this.#owned) {
      this.#map = new Map(this.#map);
      this.#owned = true;
    }
    return this.#map!;
  }
}

/** A record's value for a lower-case name: own string or list values only, never the prototype's. */
function recordValue(record: HeaderRecord, name: string): string | undefined {
  if (!Object.hasOwn(record, name)) return undefined;
  const value = record[name];
  if (typeof value === 'string') return value;
  return Array.isArray(value) ? value.join(', ') : undefined;
}
