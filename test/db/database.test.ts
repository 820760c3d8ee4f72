// The Database contract, run unchanged against SQLite and (when KEEL_TEST_PG_URL is set) PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { isPostgresUrl, isUniqueViolation, openDatabase, type Database } from '../../src/db/database.js';
import { backends, blobType, idColumn, type Fresh, withFresh } from './backends.js';

describe('isPostgresUrl', () => {
  const rows = [
    { name: 'postgres scheme', input: 'postgres://u@h/db', want: true },
    { name: 'postgresql scheme', input: 'postgresql://u@h:5432/db', want: true },
    { name: 'upper case', input: 'POSTGRES://h/db', want: true },
    { name: 'sqlite url', input: 'sqlite:data/x.db', want: false },
    { name: 'empty', input: '', want: false },
    { name: 'undefined', input: undefined, want: false },
    { name: 'mysql', input: 'mysql://h/db', want: false },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(isPostgresUrl(input), want));
});

test('openDatabase rejects an unknown URL scheme without echoing the URL', async () => {
  await assert.rejects(openDatabase({ url: 'mysql://user:secret@h/db' }), (err: Error) => {
    assert.doesNotMatch(err.message, /secret/);
    return true;
  });
});

for (const backend of backends) {
  describe(`Database on ${backend.dialect}`, { skip: backend.skip }, () => {

    async function makeItems(f: Fresh): Promise<void> {
      await f.db.exec(`CREATE TABLE items (${idColumn(f.db.dialect)}, name TEXT NOT NULL UNIQUE, qty INTEGER NOT NULL, at BIGINT)`);
    }

    test('dialect names the engine', () =>
      withFresh(backend, async ({ db }) => {
        assert.equal(db.dialect, backend.dialect);
      }));

    test('run, all and get with ? placeholders', () =>
      withFresh(backend, async (f) => {
        const { db } = f;
        await makeItems(f);
        const r1 = await db.run('INSERT INTO items (name, qty, at) VALUES (?, ?, ?)', ['apple', 3, 1_700_000_000_123]);
        assert.deepEqual(r1, { changes: 1 });
        const inserted = await db.get<{ id: number }>('INSERT INTO items (name, qty) VALUES (?, ?) RETURNING id', ['pear', 5]);
        assert.equal(typeof inserted?.id, 'number');
        const rows = await db.all('SELECT name, qty, at FROM items WHERE qty > ? ORDER BY name', [0]);
        // BIGINT millisecond times come back as numbers on both engines.
        assert.deepEqual(rows, [
          { name: 'apple', qty: 3, at: 1_700_000_000_123 },
          { name: 'pear', qty: 5, at: null },
        ]);
        assert.deepEqual(await db.get('SELECT COUNT(*) AS n FROM items'), { n: 2 });
        assert.equal(await db.get('SELECT name FROM items WHERE name = ?', ['none']), undefined);
        const upd = await db.run('UPDATE items SET qty = qty + ? WHERE qty < ?', [1, 100]);
        assert.equal(upd.changes, 2);
        assert.deepEqual(await db.all('INSERT INTO items (name, qty) VALUES (?, ?)', ['fig', 1]), []);
      }));

    test('a ? inside a string literal is not a placeholder', () =>
      withFresh(backend, async ({ db }) => {
        assert.deepEqual(await db.get("SELECT 'why?' AS q, ? AS p", ['x']), { q: 'why?', p: 'x' });
      }));

    test('user input is bound, never spliced into SQL', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        const hostile = "x'); DROP TABLE items; --";
        await f.db.run('INSERT INTO items (name, qty) VALUES (?, ?)', [hostile, 1]);
        assert.deepEqual(await f.db.all('SELECT name FROM items'), [{ name: hostile }]);
      }));

    test('booleans, bytes and unicode round-trip', () =>
      withFresh(backend, async ({ db }) => {
        await db.exec(`CREATE TABLE v (flag INTEGER, data ${blobType(db.dialect)}, txt TEXT)`);
        const bytes = new Uint8Array([0, 1, 2, 255]);
        await db.run('INSERT INTO v (flag, data, txt) VALUES (?, ?, ?)', [db.dialect === 'sqlite' ? true : 1, bytes, 'Grüße ⛵']);
        const row = await db.get<{ flag: number; data: Buffer; txt: string }>('SELECT flag, data, txt FROM v');
        assert.equal(row?.flag, 1);
        assert.deepEqual([...row!.data], [0, 1, 2, 255]);
        assert.equal(row?.txt, 'Grüße ⛵');
      }));

    test('isUniqueViolation recognises the engine error', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        await f.db.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
        await assert.rejects(f.db.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 2]), (err) => isUniqueViolation(err));
        assert.equal(isUniqueViolation(new Error('other')), false);
      }));

    test('transaction commits when fn resolves', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        const result = await f.db.transaction(async (tx) => {
          await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
          await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['b', 2]);
          return (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM items'))?.n;
        });
        assert.equal(result, 2);
        const other = await f.openAnother();
        assert.deepEqual(await other.get('SELECT COUNT(*) AS n FROM items'), { n: 2 });
      }));

    test('transaction rolls back and rethrows when fn rejects', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        const boom = new Error('boom');
        await assert.rejects(
          f.db.transaction(async (tx) => {
            await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
            throw boom;
          }),
          (err) => err === boom,
        );
        assert.deepEqual(await f.db.get('SELECT COUNT(*) AS n FROM items'), { n: 0 });
      }));

    test('a failing statement inside a transaction rolls the whole transaction back', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        await assert.rejects(
          f.db.transaction(async (tx) => {
            await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
            await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
          }),
          (err) => isUniqueViolation(err),
        );
        assert.deepEqual(await f.db.get('SELECT COUNT(*) AS n FROM items'), { n: 0 });
        // The database is still usable afterwards.
        await f.db.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
      }));

    test('statements issued during a transaction never see its uncommitted writes', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        let markInserted!: () => void;
        const inserted = new Promise<void>((resolve) => (markInserted = resolve));
        let openGate!: () => void;
        const gate = new Promise<void>((resolve) => (openGate = resolve));
        const txDone = f.db.transaction(async (tx) => {
          await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['ghost', 1]);
          markInserted();
          await gate;
          throw new Error('roll back');
        });
        await inserted;
        // Another request of the same process asks while the transaction is open:
        // SQLite queues it behind the transaction, PostgreSQL runs it on another connection.
        const outside = f.db.get('SELECT COUNT(*) AS n FROM items');
        openGate();
        await assert.rejects(txDone, /roll back/);
        assert.deepEqual(await outside, { n: 0 });
      }));

    test('using the database instead of the tx handle inside a transaction fails fast', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        await assert.rejects(
          f.db.transaction(async () => {
            await f.db.get('SELECT 1 AS one');
          }),
          /use the tx handle/,
        );
      }));

    // Issue #18 item 2: the misuse check needs no async context. What it catches: a call on
    // the database, or a nested transaction(), made while the callback runs synchronously
    // (before its first await), whatever the statement method.
    const misuses: Array<{ name: string; input: (db: Database) => Promise<unknown>; want: RegExp }> = [
      { name: 'db.get', input: (db) => db.get('SELECT 1 AS one'), want: /use the tx handle/ },
      { name: 'db.all', input: (db) => db.all('SELECT 1 AS one'), want: /use the tx handle/ },
      { name: 'db.run', input: (db) => db.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['x', 1]), want: /use the tx handle/ },
      { name: 'db.exec', input: (db) => db.exec('SELECT 1'), want: /use the tx handle/ },
      { name: 'a nested transaction()', input: (db) => db.transaction(async () => undefined), want: /nested transaction|use the tx handle/ },
    ];
    for (const { name, input, want } of misuses) {
      test(`${name} inside a transaction's callback fails fast and rolls back`, () =>
        withFresh(backend, async (f) => {
          await makeItems(f);
          await assert.rejects(
            f.db.transaction(async (tx) => {
              await input(f.db);
              await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['never', 1]);
            }),
            want,
          );
          assert.deepEqual(await f.db.get('SELECT COUNT(*) AS n FROM items'), { n: 0 });
        }));
    }

    test('a non-async callback using the database fails fast too', () =>
      withFresh(backend, async (f) => {
        await assert.rejects(
          f.db.transaction(() => f.db.get('SELECT 1 AS one')),
          /use the tx handle/,
        );
      }));

    test('the check ends with the callback: after a sync throw, the database works', () =>
      withFresh(backend, async (f) => {
        await assert.rejects(
          f.db.transaction(() => {
            throw new Error('sync');
          }),
          /sync/,
        );
        assert.deepEqual(await f.db.get('SELECT 1 AS one'), { one: 1 });
      }));

    test('a transaction leaves promise hooks off (no AsyncLocalStorage)', async () => {
      // In a fresh process: executionAsyncId() after an await is 0 while async_hooks'
      // promise hooks are off; AsyncLocalStorage.run() turns them on for good (Node 20).
      const script = `
        const { openDatabase } = await import(${JSON.stringify(new URL('../../src/db/database.ts', import.meta.url).href)});
        const probe = async () => { await null; return executionAsyncId(); };
        const before = await probe();
        const db = await openDatabase(process.argv[1] ? { url: process.argv[1] } : { file: ':memory:' });
        await db.transaction(async (tx) => { await tx.get('SELECT 1 AS one'); });
        const after = await probe();
        await db.close();
        console.log(before + ' ' + after);`;
      const args = ['--import', 'tsx', '--input-type=module', '-e', `import { executionAsyncId } from 'node:async_hooks';${script}`];
      if (backend.dialect === 'postgres') args.push(process.env.KEEL_TEST_PG_URL ?? '');
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
      assert.equal(out, '0 0\n');
    });

    // Issue #18 item 3: statements are prepared once per connection, by name.
    test('a statement is prepared by name and reused', { skip: backend.dialect !== 'postgres' && 'PostgreSQL only' }, () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        const names = await f.db.transaction(async (tx) => {
          for (const qty of [1, 2, 3]) await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', [`n${qty}`, qty]);
          return tx.all<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO items%'");
        });
        assert.equal(names.length, 1, 'one prepared statement for three inserts');
        assert.match(names[0]!.name, /^keel_\d+$/);
        assert.equal(names[0]!.statement, 'INSERT INTO items (name, qty) VALUES ($1, $2)');
        assert.deepEqual(await f.db.get('SELECT COUNT(*) AS n FROM items'), { n: 3 });
      }));

    test('a named SELECT * still works after ALTER TABLE changes its columns', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        // One connection, so the second SELECT meets the statement prepared by the first.
        const db = f.url === undefined ? f.db : await openDatabase({ url: f.url, poolSize: 1 });
        try {
          await db.run('INSERT INTO items (name, qty) VALUES (?, ?)', ['a', 1]);
          assert.deepEqual(await db.all('SELECT * FROM items WHERE qty = ?', [1]), [{ id: 1, name: 'a', qty: 1, at: null }]);
          await db.exec('ALTER TABLE items ADD COLUMN note TEXT');
          assert.deepEqual(await db.all('SELECT * FROM items WHERE qty = ?', [1]), [{ id: 1, name: 'a', qty: 1, at: null, note: null }]);
          assert.deepEqual(await db.all('SELECT * FROM items WHERE qty = ?', [1]), [{ id: 1, name: 'a', qty: 1, at: null, note: null }], 'and again, renamed');
        } finally {
          if (db !== f.db) await db.close();
        }
      }));

    test('a tx handle used after its transaction ends fails', () =>
      withFresh(backend, async (f) => {
        let saved: { get: (s: string) => Promise<unknown> } | undefined;
        await f.db.transaction(async (tx) => {
          saved = tx;
        });
        await assert.rejects(saved!.get('SELECT 1 AS one'), /after its transaction ended/);
      }));

    test('concurrent transactions from two connections both commit', () =>
      withFresh(backend, async (f) => {
        await makeItems(f);
        const other = await f.openAnother();
        const work = (db: typeof other, prefix: string) =>
          Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              db.transaction(async (tx) => {
                await tx.run('INSERT INTO items (name, qty) VALUES (?, ?)', [`${prefix}${i}`, i]);
              }),
            ),
          );
        await Promise.all([work(f.db, 'a'), work(other, 'b')]);
        assert.deepEqual(await f.db.get('SELECT COUNT(*) AS n FROM items'), { n: 20 });
      }));

    test('close() makes further statements reject', () =>
      withFresh(backend, async (f) => {
        const db = await f.openAnother();
        await db.close();
        await assert.rejects(db.get('SELECT 1 AS one'));
        await db.close(); // idempotent
      }));
  });
}
