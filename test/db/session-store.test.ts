/**
 * sqlSessionStore() (issue #16 item 4) on SQLite, and on PostgreSQL when KEEL_TEST_PG_URL is
 * set: the migration, get/set/touch/destroy, expiry, the bounded cleanup, two connections
 * sharing one table, a whole session() round trip through an App; and, at type level, that
 * the db store fits the app's SessionStore without db/ importing app/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../../src/db/migrations.js';
import { sqlSessionStore, sessionStoreMigration, type SqlSessionStore } from '../../src/db/session-store.js';
import { App, session, type SessionStore } from '../../src/app/index.js';
import { backends, withFresh } from './backends.js';

// Type-level proof: the structural fit both ways the app needs (a compile error here is a test failure).
const fits: (s: SqlSessionStore) => SessionStore = (s) => s;
void fits;

const rec = (expiresMs: number, data: Record<string, unknown> = { name: 'ada' }) => ({ data, createdMs: 1_000, expiresMs });

describe('sessionStoreMigration()', () => {
  const rows: Array<{ name: string; input: string; want: RegExp }> = [
    { name: 'a table name with a space', input: 'a b', want: /invalid table name/ },
    { name: 'a table name with a quote', input: 'x";DROP', want: /invalid table name/ },
    { name: 'a table name starting with a digit', input: '1t', want: /invalid table name/ },
  ];
  for (const row of rows) test(`rejects ${row.name}`, () => assert.throws(() => sessionStoreMigration({ table: row.input }), row.want));
  test('sqlSessionStore rejects a bad table and a maxCleanupRows below 1 at setup', () => {
    assert.throws(() => sqlSessionStore({} as never, { table: 'a-b' }), /invalid table name/);
    assert.throws(() => sqlSessionStore({} as never, { maxCleanupRows: 0 }), RangeError);
  });
});

for (const backend of backends) {
  describe(`sqlSessionStore on ${backend.dialect}`, { skip: backend.skip }, () => {
    test('set, get, touch, destroy; an expired record is not returned', () =>
      withFresh(backend, async ({ db }) => {
        assert.deepEqual(await migrate(db, [sessionStoreMigration()]), ['keel-sessions-001-keel_sessions']);
        const clock = { ms: 5_000 };
        const store = sqlSessionStore(db, { now: () => clock.ms });
        assert.equal(await store.get('k'), undefined);
        await store.set('k', rec(10_000, { name: 'ada', n: [1, 2] }));
        assert.deepEqual(await store.get('k'), { data: { name: 'ada', n: [1, 2] }, createdMs: 1_000, expiresMs: 10_000 });
        await store.set('k', rec(10_000, { name: 'grace' })); // upsert
        assert.deepEqual((await store.get('k'))?.data, { name: 'grace' });
        clock.ms = 10_000;
        assert.equal(await store.get('k'), undefined, 'expired at expiresMs');
        await store.touch('k', 20_000);
        assert.equal((await store.get('k'))?.expiresMs, 20_000);
        await store.destroy('k');
        assert.equal(await store.get('k'), undefined);
        await store.destroy('k'); // absent: no error
      }));

    test('cleanup deletes at most maxCleanupRows expired rows per call, never a live one', () =>
      withFresh(backend, async ({ db }) => {
        await migrate(db, [sessionStoreMigration({ table: 'sess' })]);
        const clock = { ms: 0 };
        // A huge interval: set() never cleans up by itself here; cleanup() is called directly.
        const store = sqlSessionStore(db, { table: 'sess', now: () => clock.ms, maxCleanupRows: 2, cleanupIntervalMs: 1e12 });
        await store.set('live', rec(100_000));
        clock.ms = 1; // the first set() ran the first cleanup at 0; later ones wait for the interval
        for (const k of ['e1', 'e2', 'e3', 'e4', 'e5']) await store.set(k, rec(50));
        clock.ms = 1_000;
        assert.equal(await store.cleanup(), 2);
        assert.equal(await store.cleanup(), 2);
        assert.equal(await store.cleanup(), 1);
        assert.equal(await store.cleanup(), 0);
        assert.deepEqual(await db.all('SELECT key FROM sess'), [{ key: 'live' }]);
      }));

    test('set() runs a cleanup once per cleanupIntervalMs', () =>
      withFresh(backend, async ({ db }) => {
        await migrate(db, [sessionStoreMigration()]);
        const clock = { ms: 0 };
        const store = sqlSessionStore(db, { now: () => clock.ms, cleanupIntervalMs: 1_000 });
        await store.set('old', rec(10));
        clock.ms = 500;
        await store.set('a', rec(100_000));
        assert.equal((await db.all('SELECT key FROM keel_sessions')).length, 2, 'within the interval: no cleanup');
        clock.ms = 1_000;
        await store.set('b', rec(100_000));
        assert.deepEqual((await db.all<{ key: string }>('SELECT key FROM keel_sessions ORDER BY key')).map((r) => r.key), ['a', 'b']);
      }));

    test('another connection (another process) sees the same sessions', () =>
      withFresh(backend, async ({ db, openAnother }) => {
        await migrate(db, [sessionStoreMigration()]);
        const other = await openAnother();
        await sqlSessionStore(db).set('k', rec(Date.now() + 60_000));
        assert.deepEqual((await sqlSessionStore(other).get('k'))?.data, { name: 'ada' });
      }));

    test('a session() App round trip on the SQL store', () =>
      withFresh(backend, async ({ db }) => {
        await migrate(db, [sessionStoreMigration()]);
        const app = new App({ keys: ['k'], onError: () => undefined });
        app.use(session({ store: sqlSessionStore(db) }));
        app.get('/set', async (ctx) => {
          await ctx.session.set('name', 'ada');
          ctx.text('ok');
        });
        app.get('/get', async (ctx) => ctx.text((await ctx.session.get<string>('name')) ?? '-'));
        const cookie = (await app.request('/set')).headers.getSetCookie()[0]!.split(';')[0]!;
        assert.equal(await (await app.request('/get', { headers: { cookie } })).text(), 'ada');
      }));
  });
}
