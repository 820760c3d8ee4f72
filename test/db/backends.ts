/**
 * Test helper: the database engines a shared suite runs against.
 *
 * SQLite always (a temp file per test). PostgreSQL only when KEEL_TEST_PG_URL
 * is set (scripts/with-postgres.sh sets it); each test gets its own schema,
 * dropped afterwards, so tests never see each other's tables.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database, type Dialect } from '../../src/db/database.js';
import { tempDir } from '../helpers/tmp.js';

/** A fresh, empty database namespace for one test. */
export interface Fresh {
  /** A connection to it (closed by cleanup). */
  db: Database;
  /** Opens another, independent connection to the same data (another process's view). */
  openAnother(): Promise<Database>;
  /** What openDatabase() needs to reach the same data: for CLI-level tests. */
  url: string | undefined;
  file: string | undefined;
  /** Closes every connection opened here and removes the data. */
  cleanup(): Promise<void>;
}

export interface Backend {
  dialect: Dialect;
  /** Why the backend is skipped, or undefined when it runs. */
  skip: string | undefined;
  fresh(): Promise<Fresh>;
}

const pgUrl = process.env.KEEL_TEST_PG_URL;

function withSearchPath(url: string, schema: string): string {
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/**
 * A Fresh whose `db` and every `openAnother()` connect with `options`; its cleanup closes
 * them all, then runs `removeData` (the backend's own part: a temp dir, a schema).
 */
async function connections(
  options: Parameters<typeof openDatabase>[0],
  where: Pick<Fresh, 'url' | 'file'>,
  removeData: () => void | Promise<void>,
): Promise<Fresh> {
  const opened: Database[] = [];
  const open = async (): Promise<Database> => {
    const db = await openDatabase(options);
    opened.push(db);
    return db;
  };
  const db = await open();
  return {
    db,
    openAnother: open,
    ...where,
    async cleanup() {
      for (const d of opened) await d.close();
      await removeData();
    },
  };
}

/** SQLite on a temp file, and PostgreSQL when KEEL_TEST_PG_URL is set. */
export const backends: Backend[] = [
  {
    dialect: 'sqlite',
    skip: undefined,
    async fresh() {
      const dir = tempDir('db');
      const file = join(dir, 'sub', 'test.db');
      return connections({ file }, { url: undefined, file }, () => rmSync(dir, { recursive: true, force: true }));
    },
  },
  {
    dialect: 'postgres',
    skip: pgUrl ? undefined : 'KEEL_TEST_PG_URL is not set (run under scripts/with-postgres.sh to test PostgreSQL)',
    async fresh() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = await openDatabase({ url: pgUrl });
      await admin.exec(`CREATE SCHEMA ${schema}`);
      const url = withSearchPath(pgUrl!, schema);
      return connections({ url }, { url, file: undefined }, async () => {
        await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      });
    },
  },
];

/** Portable DDL for an autoincrement primary key. */
export function idColumn(dialect: Dialect): string {
  return dialect === 'sqlite' ? 'id INTEGER PRIMARY KEY AUTOINCREMENT' : 'id BIGSERIAL PRIMARY KEY';
}

/** Portable DDL for a bytes column. */
export function blobType(dialect: Dialect): string {
  return dialect === 'sqlite' ? 'BLOB' : 'BYTEA';
}

/** Runs `fn` with a fresh database of `backend` and always cleans it up: the one `withFresh` (issue #14 item 9). */
export async function withFresh(backend: Backend, fn: (f: Fresh) => Promise<void>): Promise<void> {
  const f = await backend.fresh();
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}
