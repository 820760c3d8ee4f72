// The `keel/db` entry point (issue #13 item 1): what it exports, pinned, and that the package
// name resolves to it through package.json "exports" (self-reference; needs `npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as source from '../../src/db/index.js';

/** Every value `keel/db` exports. Adding to it is adding to the API forever: change this list on purpose. */
const WANT = [
  'DEFAULT_BUSY_TIMEOUT_MS',
  'DEFAULT_PG_CONNECT_TIMEOUT_MS',
  'DEFAULT_PG_IDLE_TIMEOUT_MS',
  'DEFAULT_PG_POOL_SIZE',
  'DEFAULT_SESSION_CLEANUP_INTERVAL_MS',
  'DEFAULT_SESSION_CLEANUP_ROWS',
  'DEFAULT_SESSION_TABLE',
  'DEFAULT_SQLITE_FILE',
  'DbDriverMissingError',
  'MIGRATIONS_TABLE',
  'isPostgresUrl',
  'isUniqueViolation',
  'migrate',
  'openDatabase',
  'sessionStoreMigration',
  'sqlSessionStore',
];

test('keel/db: src/db/index.ts exports exactly the public list', () => {
  assert.deepEqual(Object.keys(source).sort(), WANT);
});

test("keel/db: import('keel/db') resolves through package.json exports to the built entry", async () => {
  const built = (await import('keel/db')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(built).sort(), WANT);
  assert.equal(typeof built.openDatabase, 'function');
  assert.equal(typeof built.migrate, 'function');
});

test("keel/db: an SQLite database opened through the package name migrates and answers", async () => {
  const { openDatabase, migrate } = await import('keel/db');
  const db = await openDatabase({ file: ':memory:' });
  try {
    assert.deepEqual(await migrate(db, [{ id: '001', up: 'CREATE TABLE t (v INTEGER NOT NULL)' }]), ['001']);
    await db.run('INSERT INTO t (v) VALUES (?)', [7]);
    assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 7 }]);
  } finally {
    await db.close();
  }
});
