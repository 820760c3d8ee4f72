/**
 * The demo site's schema, as an ordered list of migrations run at every start.
 *
 * Owns the demo's tables: `entries` (the guestbook) and `settings` (shared
 * key/value data such as the CSRF secret, so every instance of a cluster or
 * of several machines agrees on it: nothing stateful lives in process memory,
 * issue #8). Must not be reordered or edited once released: add a migration.
 */
import type { Migration } from '../db/migrations.js';

/** Every migration of the demo, in order. */
export const DEMO_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-guestbook-entries',
    up: {
      sqlite: `CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        message TEXT NOT NULL,
        created_ms BIGINT NOT NULL
      )`,
      postgres: `CREATE TABLE entries (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL,
        message TEXT NOT NULL,
        created_ms BIGINT NOT NULL
      )`,
    },
  },
  { id: '002-settings', up: 'CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)' },
];
