// The migrations runner, run unchanged against SQLite and (when KEEL_TEST_PG_URL is set) PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, MIGRATIONS_TABLE, type Migration } from '../../src/db/migrations.js';
import { backends, idColumn, withFresh } from './backends.js';

for (const backend of backends) {
  describe(`migrate on ${backend.dialect}`, { skip: backend.skip }, () => {

    const base: Migration[] = [
      {
        id: '001-notes',
        up: {
          sqlite: `CREATE TABLE notes (${idColumn('sqlite')}, body TEXT NOT NULL)`,
          postgres: `CREATE TABLE notes (${idColumn('postgres')}, body TEXT NOT NULL)`,
        },
      },
      { id: '002-notes-author', up: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'anon'" },
      {
        id: '003-seed',
        up: async (tx) => {
          await tx.run('INSERT INTO notes (body) VALUES (?)', ['hello']);
        },
      },
    ];

    test('applies pending migrations in order and records them', () =>
      withFresh(backend, async ({ db }) => {
        const applied = await migrate(db, base, { now: () => 42 });
        assert.deepEqual(applied, ['001-notes', '002-notes-author', '003-seed']);
        assert.deepEqual(await db.all(`SELECT id, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY id`), [
          { id: '001-notes', applied_at: 42 },
          { id: '002-notes-author', applied_at: 42 },
          { id: '003-seed', applied_at: 42 },
        ]);
        assert.deepEqual(await db.all('SELECT body, author FROM notes'), [{ body: 'hello', author: 'anon' }]);
      }));

    test('is idempotent: a second run applies nothing and does not re-seed', () =>
      withFresh(backend, async ({ db }) => {
        await migrate(db, base);
        assert.deepEqual(await migrate(db, base), []);
        assert.deepEqual(await db.get('SELECT COUNT(*) AS n FROM notes'), { n: 1 });
      }));

    test('applies only the new migrations of a longer list', () =>
      withFresh(backend, async ({ db }) => {
        await migrate(db, base.slice(0, 1));
        assert.deepEqual(await migrate(db, base), ['002-notes-author', '003-seed']);
      }));

    test('a failing migration rolls back every migration of the run', () =>
      withFresh(backend, async ({ db }) => {
        await migrate(db, base.slice(0, 1));
        const broken: Migration[] = [...base, { id: '004-broken', up: 'CREATE TABLE oops (' }];
        await assert.rejects(migrate(db, broken));
        // 002 and 003 ran before 004 failed, in the same transaction: none of them stuck.
        assert.deepEqual(await db.all(`SELECT id FROM ${MIGRATIONS_TABLE}`), [{ id: '001-notes' }]);
        assert.deepEqual(await db.get('SELECT COUNT(*) AS n FROM notes'), { n: 0 });
        await assert.rejects(db.get('SELECT author FROM notes'));
        // Fixing the list lets the next start finish the job.
        assert.deepEqual(await migrate(db, base), ['002-notes-author', '003-seed']);
      }));

    test('rejects duplicate and empty ids before touching the database', () =>
      withFresh(backend, async ({ db }) => {
        await assert.rejects(migrate(db, [base[0]!, base[0]!]), /duplicate migration id: 001-notes/);
        await assert.rejects(migrate(db, [{ id: '', up: 'SELECT 1' }]), /must not be empty/);
        // Nothing ran: not even the bookkeeping table was created.
        await assert.rejects(db.get(`SELECT id FROM ${MIGRATIONS_TABLE}`));
      }));

    test('two processes migrating at once apply each migration exactly once', () =>
      withFresh(backend, async (f) => {
        const other = await f.openAnother();
        const [a, b] = await Promise.all([migrate(f.db, base), migrate(other, base)]);
        assert.deepEqual([...a, ...b].sort(), ['001-notes', '002-notes-author', '003-seed']);
        assert.deepEqual(await f.db.get('SELECT COUNT(*) AS n FROM notes'), { n: 1 });
      }));
  });
}
