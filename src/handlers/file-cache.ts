/**
 * A bounded, time-limited LRU map: the static handler's open-file cache (issue #5).
 *
 * Owns eviction (entry count, byte budget, age) and nothing else: it never touches
 * the file system and knows nothing about HTTP. The static handler keeps two of
 * them, like nginx's `open_file_cache`: resolved paths (realpath + stat, reused for
 * `cacheTtlMs`) and small-file contents (keyed by the file's identity, so a changed
 * file can never be answered with its old bytes, and bounded by a byte budget).
 * Values are usually promises, so concurrent misses for one key share one load.
 */

/** Options of a `LruCache`. */
export interface LruCacheOptions {
  /** Entries older than this are dropped on access. `Infinity`: no age limit. */
  readonly ttlMs: number;
  /** Most entries kept; the least recently used go first. */
  readonly maxEntries: number;
  /** Most bytes kept (as declared to `set()`). Default: no byte limit. */
  readonly maxBytes?: number;
  /** The clock in ms (injected by tests). Default `performance.now`. */
  readonly clock?: () => number;
}

interface Slot<V> {
  readonly value: V;
  readonly bytes: number;
  readonly expiresAtMs: number;
}

/** A Map with LRU order, an entry cap, a byte budget and a time-to-live. */
export class LruCache<V> {
  readonly #map = new Map<string, Slot<V>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #clock: () => number;
  #bytes = 0;

  constructor(options: LruCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Entries currently held (expired ones included until touched). */
  get size(): number {
    return this.#map.size;
  }

  /** Bytes currently held, as declared to `set()`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The value of a live entry (and marks it recently used), or undefined. */
  get(key: string): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAtMs <= this.#clock()) {
      this.delete(key);
      return undefined;
    }
    // Re-insert: a Map iterates in insertion order, so the front is the LRU end.
    this.#map.delete(key);
    this.#map.set(key, slot);
    return slot.value;
  }

  /** Stores a value; `bytes` counts against `maxBytes`. Values larger than the budget are not kept. */
  set(key: string, value: V, bytes = 0): void {
    this.delete(key);
    if (bytes > this.#maxBytes || this.#maxEntries <= 0) return;
    this.#map.set(key, { value, bytes, expiresAtMs: this.#clock() + this.#ttlMs });
    this.#bytes += bytes;
    for (const [k] of this.#map) {
      if (this.#map.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.delete(k);
    }
  }

  /** Drops one entry. */
  delete(key: string): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#map.delete(key);
    this.#bytes -= slot.bytes;
    return true;
  }

  /** Drops everything. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
