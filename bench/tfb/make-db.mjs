#!/usr/bin/env node
/**
 * Creates the TechEmpower test database: an SQLite file, or the same tables in
 * a PostgreSQL database.
 *
 * Owns the schema and the data of the six tests: `World(id INTEGER PRIMARY KEY,
 * randomNumber INTEGER)` with 10,000 rows (randomNumber 1..10,000) and
 * `Fortune(id INTEGER PRIMARY KEY, message TEXT)` with the 12 standard rows of
 * the TechEmpower toolset (one holds a <script> element, one is Japanese text:
 * the fortunes test checks escaping and UTF-8). Must not start or stop a
 * database server: with `--url` it writes into the one it is given, replacing
 * the two tables.
 *
 * The random numbers come from a seeded generator, so every run starts from the
 * same table (TFB uses random(); nothing in the tests depends on the values).
 *
 * Usage:
 *   node bench/tfb/make-db.mjs FILE                    # SQLite file (replaced if it exists)
 *   node bench/tfb/make-db.mjs --url postgres://...    # PostgreSQL (tables dropped and recreated)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Rows in World (TFB: 10,000; ids 1..10,000). */
export const WORLD_ROWS = 10_000;
/** randomNumber lies in 1..MAX_RANDOM_NUMBER, as TFB's create scripts do. */
export const MAX_RANDOM_NUMBER = 10_000;

/**
 * The 12 standard fortunes of the TechEmpower toolset (its create-postgres.sql),
 * by id. The fortunes test adds a 13th at request time.
 */
export const FORTUNES = Object.freeze([
  [1, 'fortune: No such file or directory'],
  [2, "A computer scientist is someone who fixes things that aren't broken."],
  [3, 'After enough decimal places, nobody gives a damn.'],
  [4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'],
  [5, 'A computer program does what you tell it to do, not what you want it to do.'],
  [6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'],
  [7, 'Any program that runs right is obsolete.'],
  [8, 'A list is only as strong as its weakest link. — Donald Knuth'],
  [9, 'Feature: A bug with seniority.'],
  [10, 'Computers make very fast, very accurate mistakes.'],
  [11, '<script>alert("This should not be displayed in a browser alert box.");</script>'],
  [12, 'フレームワークのベンチマーク'],
]);

/** The fortune every server adds before sorting (TFB fortunes test, id 0). */
export const ADDED_FORTUNE = 'Additional fortune added at request time.';

/** Seed of the generator that fills World. */
const WORLD_SEED = 0x2545f491;

/** World rows as [id, randomNumber], from a seeded xorshift32 (reproducible runs). */
export function worldRows() {
  const rows = [];
  let x = WORLD_SEED;
  for (let id = 1; id <= WORLD_ROWS; id++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    rows.push([id, ((x >>> 0) % MAX_RANDOM_NUMBER) + 1]);
  }
  return rows;
}

/** Writes a fresh SQLite file at `file` (an existing one is replaced). */
export async function makeSqlite(file) {
  const { default: Sqlite } = await import('better-sqlite3');
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const db = new Sqlite(file);
  try {
    db.exec(`CREATE TABLE World (id INTEGER PRIMARY KEY, randomNumber INTEGER NOT NULL);
             CREATE TABLE Fortune (id INTEGER PRIMARY KEY, message TEXT NOT NULL);`);
    const world = db.prepare('INSERT INTO World (id, randomNumber) VALUES (?, ?)');
    const fortune = db.prepare('INSERT INTO Fortune (id, message) VALUES (?, ?)');
    db.transaction(() => {
      for (const [id, n] of worldRows()) world.run(id, n);
      for (const [id, m] of FORTUNES) fortune.run(id, m);
    })();
  } finally {
    db.close();
  }
}

/**
 * Creates the tables in the PostgreSQL database at `url`, dropping them first.
 * Unquoted names, so PostgreSQL folds them to `world(id, randomnumber)` and
 * `fortune(id, message)`; queries alias `randomnumber AS "randomNumber"`.
 */
export async function makePostgres(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`DROP TABLE IF EXISTS World; DROP TABLE IF EXISTS Fortune;
      CREATE TABLE World (id integer PRIMARY KEY, randomNumber integer NOT NULL);
      CREATE TABLE Fortune (id integer PRIMARY KEY, message varchar(2048) NOT NULL);`);
    const rows = worldRows();
    // One multi-row INSERT per 1,000 rows: 2,000 parameters, far below PostgreSQL's 65,535.
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const values = chunk.map((_, j) => `($${2 * j + 1}, $${2 * j + 2})`).join(', ');
      await client.query(`INSERT INTO World (id, randomNumber) VALUES ${values}`, chunk.flat());
    }
    for (const [id, m] of FORTUNES) await client.query('INSERT INTO Fortune (id, message) VALUES ($1, $2)', [id, m]);
    await client.query('COMMIT');
    await client.query('ANALYZE World; ANALYZE Fortune;');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const urlAt = argv.indexOf('--url');
  if (urlAt >= 0) {
    const url = argv[urlAt + 1];
    if (!url) throw new Error('--url needs a postgres:// URL');
    await makePostgres(url);
    process.stderr.write('make-db: World and Fortune created in the PostgreSQL database\n');
    return;
  }
  const file = argv[0];
  if (!file) throw new Error('usage: node bench/tfb/make-db.mjs FILE | --url postgres://...');
  await makeSqlite(file);
  process.stderr.write(`make-db: wrote ${file}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { process.stderr.write(`make-db: ${e.message}\n`); process.exit(1); });
}
