// SQLite specifics: the file, its directory, WAL and the busy timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { withTempDir } from '../helpers/tmp.js';

test('creates the missing directory and the file, in WAL mode with the busy timeout', async () => {
  await withTempDir('sqlite', async (dir) => {
    const file = join(dir, 'a', 'b', 'x.db');
    const db = await openDatabase({ file, busyTimeoutMs: 1234 });
    try {
      assert.equal(existsSync(file), true);
      assert.deepEqual(await db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
      assert.deepEqual(await db.get('PRAGMA busy_timeout'), { timeout: 1234 });
      assert.deepEqual(await db.get('PRAGMA foreign_keys'), { foreign_keys: 1 });
    } finally {
      await db.close();
    }
  });
});

test('sqlite:PATH URLs select SQLite at PATH', async () => {
  await withTempDir('sqlite', async (dir) => {
    const file = join(dir, 'u.db');
    const db = await openDatabase({ url: `sqlite:${file}`, file: join(dir, 'ignored.db') });
    await db.close();
    assert.equal(existsSync(file), true);
    assert.equal(existsSync(join(dir, 'ignored.db')), false);
  });
});

test('data survives closing and reopening the file', async () => {
  await withTempDir('sqlite', async (dir) => {
    const file = join(dir, 'p.db');
    const a = await openDatabase({ file });
    await a.exec('CREATE TABLE t (v TEXT)');
    await a.run('INSERT INTO t (v) VALUES (?)', ['kept']);
    await a.close();
    const b = await openDatabase({ file });
    assert.deepEqual(await b.all('SELECT v FROM t'), [{ v: 'kept' }]);
    await b.close();
  });
});

test(':memory: databases are private to their connection', async () => {
  const a = await openDatabase({ file: ':memory:' });
  const b = await openDatabase({ file: ':memory:' });
  await a.exec('CREATE TABLE t (v TEXT)');
  await assert.rejects(b.get('SELECT v FROM t'), /no such table/);
  await a.close();
  await b.close();
});

test('a write from another process waits for the lock instead of failing', async () => {
  // A child process holds the write lock briefly; our insert must wait (busy_timeout) and succeed.
  const { spawn } = await import('node:child_process');
  await withTempDir('sqlite', async (dir) => {
    const file = join(dir, 'w.db');
    const db = await openDatabase({ file });
    await db.exec('CREATE TABLE t (v TEXT)');
    const script = `
      const D = require('better-sqlite3'); const d = new D(process.argv[1]);
      d.exec('BEGIN IMMEDIATE'); d.prepare('INSERT INTO t (v) VALUES (?)').run('child');
      process.stdout.write('locked\\n');
      setTimeout(() => { d.exec('COMMIT'); d.close(); }, 200);`;
    const child = spawn(process.execPath, ['-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await db.run('INSERT INTO t (v) VALUES (?)', ['parent']);
    assert.equal(await exited, 0);
    assert.deepEqual(await db.all('SELECT v FROM t ORDER BY rowid'), [{ v: 'child' }, { v: 'parent' }]);
    await db.close();
  });
});

// Issue #18 item 4: values bind without a copy unless one needs converting; a value that
// does, in any position, still converts (booleans to 0/1, a Uint8Array view to its bytes).
test('bind values: converted wherever they are, passed as is otherwise', async () => {
  await withTempDir('db-bind', async (dir) => {
    const db = await openDatabase({ file: join(dir, 'bind.db') });
    try {
      const view = new Uint8Array([9, 0, 1, 2, 255, 9]).subarray(1, 5);
      const rows: Array<{ name: string; input: unknown[]; want: unknown }> = [
        { name: 'no values', input: [], want: { a: null, b: null, c: null } },
        { name: 'numbers, strings, null, bigint', input: [1, 'x', null], want: { a: 1, b: 'x', c: null } },
        { name: 'a boolean last', input: [2, 'y', false], want: { a: 2, b: 'y', c: 0 } },
        { name: 'a boolean first', input: [true, 'z', 3n], want: { a: 1, b: 'z', c: 3 } },
        { name: 'a Uint8Array view in the middle', input: [4, view, true], want: { a: 4, b: Buffer.from([0, 1, 2, 255]), c: 1 } },
        { name: 'a Buffer', input: [5, Buffer.from('hi'), null], want: { a: 5, b: Buffer.from('hi'), c: null } },
      ];
      for (const { name, input, want } of rows) {
        const sql = input.length === 0 ? 'SELECT NULL AS a, NULL AS b, NULL AS c' : 'SELECT ? AS a, ? AS b, ? AS c';
        assert.deepEqual(await db.get(sql, input as never), want, name);
        assert.deepEqual(await db.all(sql, input as never), [want], name);
      }
      // The caller's array is never changed by the conversion.
      const params = [true, view];
      await db.get('SELECT ? AS a, ? AS b', params);
      assert.deepEqual(params, [true, view]);
    } finally {
      await db.close();
    }
  });
});
