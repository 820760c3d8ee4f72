/**
 * The six TechEmpower tests as a keel app: one file, written the way a keel
 * user writes an app, on the public API only (`keel` and `keel/db`).
 *
 * Owns the routes /json, /plaintext, /db, /queries, /fortunes and /updates.
 * Must not use keel internals or tricks a user's app would not use (no cached
 * responses, no raw SQL driver, no hand-written HTTP); every gain measured here
 * has to be one a user gets.
 *
 * Environment: PORT (default 8080), HOST (default 127.0.0.1), DB (the SQLite
 * file made by make-db.mjs) or DATABASE_URL (postgres://..., the same tables).
 * The SQL is portable: `?` placeholders, and `randomNumber` aliased in double
 * quotes because PostgreSQL folds unquoted names to lower case.
 */
import { App, html } from 'keel';
import { openDatabase } from 'keel/db';

const db = await openDatabase({ url: process.env.DATABASE_URL, file: process.env.DB });
const app = new App();

// TFB requires a Server field on every response; keel's server adds Date itself.
app.use((ctx, next) => {
  ctx.header('server', 'keel');
  return next();
});

const randomId = () => 1 + Math.floor(Math.random() * 10000);

/** The `queries` parameter: an integer clamped to 1..500; missing or not a number means 1. */
function queryCount(ctx) {
  const n = Number.parseInt(ctx.query.get('queries') ?? '', 10);
  return Number.isNaN(n) || n < 1 ? 1 : Math.min(n, 500);
}

const findWorld = (id) => db.get('SELECT id, randomNumber AS "randomNumber" FROM World WHERE id = ?', [id]);

app.get('/json', (ctx) => ctx.json({ message: 'Hello, World!' }));

app.get('/plaintext', (ctx) => ctx.text('Hello, World!'));

app.get('/db', async (ctx) => {
  ctx.json(await findWorld(randomId()));
});

app.get('/queries', async (ctx) => {
  const ids = Array.from({ length: queryCount(ctx) }, randomId);
  ctx.json(await Promise.all(ids.map(findWorld)));
});

const fortunesPage = (fortunes) => html`<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${fortunes.map(
  (f) => html`<tr><td>${f.id}</td><td>${f.message}</td></tr>`,
)}</table></body></html>`;

app.get('/fortunes', async (ctx) => {
  const fortunes = await db.all('SELECT id, message FROM Fortune');
  fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
  fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  ctx.html(fortunesPage(fortunes));
});

app.get('/updates', async (ctx) => {
  const ids = Array.from({ length: queryCount(ctx) }, randomId);
  const worlds = await Promise.all(ids.map(findWorld));
  for (const w of worlds) w.randomNumber = randomId();
  // One transaction; rows in id order so that concurrent transactions on
  // PostgreSQL take their row locks in the same order and cannot deadlock.
  const byId = [...worlds].sort((a, b) => a.id - b.id);
  await db.transaction(async (tx) => {
    for (const w of byId) await tx.run('UPDATE World SET randomNumber = ? WHERE id = ?', [w.randomNumber, w.id]);
  });
  ctx.json(worlds);
});

const server = await app.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
process.stderr.write(`keel tfb listening on ${process.env.HOST ?? '127.0.0.1'}:${server.port}\n`);

process.on('SIGTERM', async () => {
  await server.close();
  await db.close();
  process.exit(0);
});
