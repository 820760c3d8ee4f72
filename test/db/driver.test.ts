// The optional driver packages (issue #13 item 2): a backend whose package is not installed fails
// with ERR_DB_DRIVER_MISSING naming the package to install; any other load failure is rethrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DbDriverMissingError, loadDriver } from '../../src/db/driver.js';

const HIDE_DRIVERS = fileURLToPath(new URL('./hide-drivers.mjs', import.meta.url));

/** A failure shaped like Node's for a package that cannot be found. */
function notFound(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND' });
}

const rows = [
  { name: 'better-sqlite3 missing (ESM wording)', input: { dialect: 'sqlite' as const, err: notFound("Cannot find package 'better-sqlite3' imported from /app/x.js") }, want: 'better-sqlite3' },
  { name: 'pg missing (CJS wording)', input: { dialect: 'postgres' as const, err: Object.assign(new Error("Cannot find module 'pg'"), { code: 'MODULE_NOT_FOUND' }) }, want: 'pg' },
  { name: "a dependency of the driver missing: rethrown as is", input: { dialect: 'postgres' as const, err: notFound("Cannot find package 'pg-pool' imported from /app/node_modules/pg/lib/index.js") }, want: undefined },
  { name: 'another failure (native binding): rethrown as is', input: { dialect: 'sqlite' as const, err: new Error('Could not locate the bindings file') }, want: undefined },
];
for (const { name, input, want } of rows) {
  test(`loadDriver: ${name}`, async () => {
    const err = await loadDriver(input.dialect, () => Promise.reject(input.err)).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    if (want === undefined) {
      assert.equal(err, input.err);
      return;
    }
    assert.ok(err instanceof DbDriverMissingError);
    assert.equal(err.code, 'ERR_DB_DRIVER_MISSING');
    assert.equal(err.packageName, want);
    assert.match(err.message, new RegExp(`npm install ${want}\``));
    assert.equal(err.cause, input.err);
  });
}

test('loadDriver: returns the module when it loads', async () => {
  const mod = { default: 1 };
  assert.equal(await loadDriver('sqlite', () => Promise.resolve(mod)), mod);
});

test('openDatabase through keel/db, with the driver packages uninstalled, names the package to install', async () => {
  const script = `
    const { openDatabase } = await import('keel/db');
    for (const url of ['', 'postgres://127.0.0.1:1/x']) {
      try { await openDatabase({ url, file: ':memory:' }); console.log('opened'); }
      catch (err) { console.log(err.code + ' ' + err.packageName + ' ' + err.message); }
    }`;
  const child = spawn(process.execPath, ['--import', HIDE_DRIVERS, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.equal(
    out,
    'ERR_DB_DRIVER_MISSING better-sqlite3 SQLite needs the package better-sqlite3, which is not installed: run `npm install better-sqlite3`\n' +
      'ERR_DB_DRIVER_MISSING pg PostgreSQL needs the package pg, which is not installed: run `npm install pg`\n',
  );
});
