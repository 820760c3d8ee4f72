/**
 * memorySessionStore(): a SessionStore in process memory, bounded in count.
 *
 * Owns an LRU map of session records: at most `maxSessions` records, the least
 * recently used one dropped when a new one would pass the bound, expired ones
 * dropped when read. Records are kept as JSON text, so what works here works with
 * the SQL stores (no Dates or Maps surviving by accident) and a caller cannot
 * change a stored record through a reference.
 * Must not: grow without bound (a client that never sends its cookie back creates a
 * record per request that sets something), or serve several processes (each has its
 * own map: use the SQL store, keel/db `sqlSessionStore`, for a cluster).
 */
import type { SessionStore, StoredSession } from './session.js';

/** Default most records in a memory store: 10 000 (a few MB at typical sizes); the least recently used goes first. */
export const DEFAULT_MAX_SESSIONS = 10_000;

/** Options of {@link memorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most records held; past it the least recently used is dropped (its visitor starts a new session). Default 10 000. */
  readonly maxSessions?: number;
  /** The clock (ms since the epoch), for dropping expired records. Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  json: string;
  createdMs: number;
  expiresMs: number;
}

/** A memory SessionStore, with `size` for tests and metrics. */
export interface MemorySessionStore extends SessionStore {
  /** Records held now (expired ones not yet dropped included). */
  readonly size: number;
}

/**
 * A SessionStore in memory for one process: development, tests, single-instance apps.
 *
 * @example
 * app.use(session({ store: memorySessionStore({ maxSessions: 50_000 }) }));
 */
export function memorySessionStore(options: MemorySessionStoreOptions = {}): MemorySessionStore {
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) throw new RangeError(`memorySessionStore: maxSessions must be a positive integer: ${maxSessions}`);
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const map = new Map<string, Entry>();
  return {
    get size() {
      return map.size;
    },
    async get(key) {
      const e = map.get(key);
      if (e === undefined) return undefined;
      map.delete(key);
      if (e.expiresMs <= now()) return undefined;
      map.set(key, e);
      return { data: JSON.parse(e.json) as Record<string, unknown>, createdMs: e.createdMs, expiresMs: e.expiresMs };
    },
    async set(key, s: StoredSession) {
      const entry = { json: JSON.stringify(s.data), createdMs: s.createdMs, expiresMs: s.expiresMs };
      map.delete(key);
      while (map.size >= maxSessions) map.delete(map.keys().next().value!);
      map.set(key, entry);
    },
    async touch(key, expiresMs) {
      const e = map.get(key);
      if (e === undefined) return;
      map.delete(key);
      map.set(key, { ...e, expiresMs });
    },
    async destroy(key) {
      map.delete(key);
    },
  };
}
