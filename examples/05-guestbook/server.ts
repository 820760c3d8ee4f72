/**
 * Step 5 of the tutorial: the "LAMP" step, a guestbook on a database, as MVC.
 *
 * Owns a complete small web application in one file, in three parts:
 * - Model: a table, a migration run at start, two queries (src/db: SQLite by
 *   default, PostgreSQL when DATABASE_URL is set; the same SQL for both).
 * - Views: functions from data to HTML with the `html` template, which
 *   escapes every value, so a visitor's `<script>` is shown, never run.
 * - Controllers: the routes. POST validates, checks a CSRF token
 *   (double-submit cookie), stores, and redirects (Post/Redirect/Get);
 *   bad input re-renders the form with its errors.
 * The full version, with pagination and shared secrets, is `keel demo`.
 *
 * Run:  node --import tsx examples/05-guestbook/server.ts --port 8080 [--db data/example-guestbook.db]
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { App, html, type Context, type SafeHtml } from 'keel';
import { openDatabase, migrate } from 'keel/db';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string', default: 'data/example-guestbook.db' },
  },
});

/** Limits of a post, in characters. */
const MAX_NAME_CHARS = 60;
const MAX_MESSAGE_CHARS = 500;
/** Entries shown on the page. */
const SHOWN_ENTRIES = 20;

// ------------------------------------------------------------------ model
const db = await openDatabase({ url: process.env.DATABASE_URL, file: values.db });
await migrate(db, [
  {
    id: '001-posts',
    up: {
      sqlite: 'CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, message TEXT NOT NULL, created_ms BIGINT NOT NULL)',
      postgres: 'CREATE TABLE posts (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, message TEXT NOT NULL, created_ms BIGINT NOT NULL)',
    },
  },
]);
interface Post {
  name: string;
  message: string;
  created_ms: number;
}
const latestPosts = () => db.all<Post>('SELECT name, message, created_ms FROM posts ORDER BY id DESC LIMIT ?', [SHOWN_ENTRIES]);
const addPost = (name: string, message: string) =>
  db.run('INSERT INTO posts (name, message, created_ms) VALUES (?, ?, ?)', [name, message, Date.now()]);

// ------------------------------------------------------------------ views
interface FormView {
  name: string;
  message: string;
  errors: string[];
  csrf: string;
}
function guestbookPage(posts: Post[], form: FormView): SafeHtml {
  return html`<!doctype html><html><head><meta charset="utf-8"><title>Guestbook</title></head><body>
<h1>Guestbook</h1>
${form.errors.length > 0 ? html`<ul class="errors">${form.errors.map((e) => html`<li>${e}</li>`)}</ul>` : ''}
<form method="post" action="/">
<input type="hidden" name="csrf" value="${form.csrf}">
<p><label>Name <input name="name" value="${form.name}"></label></p>
<p><label>Message <textarea name="message">${form.message}</textarea></label></p>
<p><button>Sign</button></p>
</form>
<ul class="posts">${posts.map((p) => html`<li><b>${p.name}</b> (${new Date(Number(p.created_ms)).toISOString()}): ${p.message}</li>`)}</ul>
</body></html>`;
}

// ------------------------------------------------------------------ controllers
/** The visitor's CSRF token, from its cookie or freshly made (RFC 6265 cookie, SameSite=Lax). */
function csrfOf(ctx: Context): string {
  const existing = ctx.cookie('csrf');
  if (existing !== undefined && /^[A-Za-z0-9_-]{22}$/.test(existing)) return existing;
  const token = randomBytes(16).toString('base64url');
  ctx.setCookie('csrf', token, { httpOnly: true, sameSite: 'Lax' });
  return token;
}
const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();

const app = new App();
app.use((ctx, next) => {
  console.log(`${ctx.req.method} ${ctx.req.target} HTTP/${ctx.req.version}`);
  return next();
});
app.get('/', async (ctx) => {
  ctx.html(guestbookPage(await latestPosts(), { name: '', message: '', errors: [], csrf: csrfOf(ctx) }));
});
app.post('/', async (ctx) => {
  const fields = await ctx.readForm();
  const csrf = csrfOf(ctx);
  const name = one(fields.name);
  const message = one(fields.message);
  const errors: string[] = [];
  if (!sameToken(one(fields.csrf), ctx.cookie('csrf') ?? '')) errors.push('The form expired; please send it again.');
  if (name === '' || [...name].length > MAX_NAME_CHARS) errors.push(`A name has 1 to ${MAX_NAME_CHARS} characters.`);
  if (message === '' || [...message].length > MAX_MESSAGE_CHARS) errors.push(`A message has 1 to ${MAX_MESSAGE_CHARS} characters.`);
  if (errors.length > 0) {
    ctx.html(guestbookPage(await latestPosts(), { name, message, errors, csrf }), 422);
    return;
  }
  await addPost(name, message);
  ctx.redirect('/', 303); // Post/Redirect/Get: a reload does not post twice
});

const server = await app.listen(Number(values.port), values.host);
console.log(`listening on http://${values.host}:${server.port}/`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void server.close().then(() => db.close()).then(() => process.exit(0)));
}
