/**
 * What the four peer servers share: their settings, the TechEmpower rules,
 * and the database access a user of each framework would write with the raw
 * driver (better-sqlite3 for SQLite, pg for PostgreSQL).
 *
 * Owns the environment contract (PORT, HOST, DB, DATABASE_URL), the `queries`
 * clamp, random ids, the prepared statements and the fortunes page for peers
 * without a template engine. Must not be imported by keel.mjs: keel's entry
 * uses keel's public API only, and these helpers are the peers' side of the
 * comparison. The framework code (routing, headers, serialisation) stays in
 * each peer's own file, written per its docs.
 *
 * SQLite is opened with the pragmas keel/db sets on its connections (WAL,
 * synchronous=NORMAL), so both sides run the same storage configuration.
 * Statements are prepared once; the SQLite store answers synchronously (as
 * better-sqlite3 does), the PostgreSQL store with promises: handlers `await`
 * either.
 */

/** The settings every server of the suite reads from its environment. */
export function settings(env = process.env) {
  return {
    port: Number(env.PORT ?? 8080),
    host: env.HOST ?? '127.0.0.1',
    file: env.DB,
    url: env.DATABASE_URL,
  };
}

/** Most rows one /queries or /updates request may ask for (TFB rules). */
export const MAX_QUERIES = 500;
/** World ids lie in 1..WORLD_IDS. */
const WORLD_IDS = 10_000;

/** A random World id (also used as the new randomNumber by /updates). */
export const randomId = () => 1 + Math.floor(Math.random() * WORLD_IDS);

/** The `queries` parameter: an integer clamped to 1..500; missing or not a number means 1. */
export function queryCount(raw) {
  const n = Number.parseInt(raw ?? '', 10);
  return Number.isNaN(n) || n < 1 ? 1 : Math.min(n, MAX_QUERIES);
}

/** Adds the request-time fortune and sorts by message (TFB fortunes rules). */
export function withAddedFortune(rows) {
  rows.push({ id: 0, message: 'Additional fortune added at request time.' });
  rows.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return rows;
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const ESCAPE = /[&<>"']/g;

/** Escapes text for HTML element content. */
export const escapeHtml = (s) => String(s).replace(ESCAPE, (c) => ESCAPES[c]);

/** The fortunes page, for peers that have no template engine of their own. */
export function fortunesHtml(fortunes) {
  let rows = '';
  for (const f of fortunes) rows += `<tr><td>${f.id}</td><td>${escapeHtml(f.message)}</td></tr>`;
  return `<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${rows}</table></body></html>`;
}

/**
 * Opens the World/Fortune store: PostgreSQL when `url` is set, else the
 * SQLite file. Methods: `world()`, `worlds(n)`, `fortunes()`,
 * `updateWorlds(n)` (reads n rows, gives each a new randomNumber, writes them in
 * one transaction and returns them), `close()`.
 */
export async function openStore({ file, url }) {
  if (url) return openPostgresStore(url);
  if (!file) throw new Error('set DB (an SQLite file from bench/tfb/make-db.mjs) or DATABASE_URL');
  return openSqliteStore(file);
}

async function openSqliteStore(file) {
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(file, { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const selectWorld = db.prepare('SELECT id, randomNumber FROM World WHERE id = ?');
  const selectFortunes = db.prepare('SELECT id, message FROM Fortune');
  const updateWorld = db.prepare('UPDATE World SET randomNumber = ? WHERE id = ?');
  const updateAll = db.transaction((worlds) => {
    for (const w of worlds) updateWorld.run(w.randomNumber, w.id);
  });
  const worlds = (n) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(selectWorld.get(randomId()));
    return out;
  };
  return {
    world: () => selectWorld.get(randomId()),
    worlds,
    fortunes: () => selectFortunes.all(),
    updateWorlds(n) {
      const rows = worlds(n);
      for (const w of rows) w.randomNumber = randomId();
      updateAll(rows);
      return rows;
    },
    close: () => db.close(),
  };
}

async function openPostgresStore(url) {
  const { default: pg } = await import('pg');
  // pg's default pool size (10), as keel/db's DEFAULT_PG_POOL_SIZE.
  const pool = new pg.Pool({ connectionString: url });
  // Named statements: pg prepares each once per connection.
  const selectWorld = { name: 'world', text: 'SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = $1' };
  const selectFortunes = { name: 'fortunes', text: 'SELECT id, message FROM fortune' };
  const world = async () => (await pool.query({ ...selectWorld, values: [randomId()] })).rows[0];
  const worlds = (n) => Promise.all(Array.from({ length: n }, world));
  return {
    world,
    worlds,
    fortunes: async () => (await pool.query(selectFortunes)).rows,
    async updateWorlds(n) {
      const rows = await worlds(n);
      for (const w of rows) w.randomNumber = randomId();
      // Rows in id order so that concurrent transactions lock them in the same order (no deadlocks).
      const byId = [...rows].sort((a, b) => a.id - b.id);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const w of byId) await client.query({ name: 'update', text: 'UPDATE world SET randomnumber = $1 WHERE id = $2', values: [w.randomNumber, w.id] });
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
      return rows;
    },
    close: () => pool.end(),
  };
}

/** Exits cleanly on SIGTERM (the runner stops servers with it). */
export function exitOnSigterm(close) {
  process.on('SIGTERM', async () => {
    try { await close(); } finally { process.exit(0); }
  });
}
