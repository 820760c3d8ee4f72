#!/usr/bin/env node
/**
 * The TechEmpower validator: checks a server's answers to the six tests before
 * anything is measured. The runner refuses to measure a server that fails.
 *
 * Owns the rules a response must meet, after the TechEmpower toolset's
 * verifications: status 200; Server, Date (an IMF-fixdate that changes from
 * one second to the next) and Content-Length or Transfer-Encoding on every
 * response; the content types; exact JSON shapes; World rows that match the
 * database; the `queries` clamp (missing, empty, 0, abc, -5 -> 1; 501 -> 500);
 * the fortunes page (all rows plus the request-time one, sorted, escaped,
 * UTF-8 intact, the TFB table shape); updates that are really persisted.
 * Must not change the database except through the server's own /updates, and
 * must only talk to the URL it is given (the runner's 127.0.0.1 server).
 *
 * Usage:
 *   node bench/tfb/validate.mjs --url http://127.0.0.1:PORT --db FILE
 *   node bench/tfb/validate.mjs --url http://127.0.0.1:PORT --database-url postgres://...
 *   node bench/tfb/validate.mjs --servers keel,fastify      # starts each on a fresh SQLite file
 * Exit status 0 when every server passes, 1 otherwise.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDED_FORTUNE, FORTUNES, MAX_RANDOM_NUMBER, WORLD_ROWS } from './make-db.mjs';

/** The clamp cases: query string -> rows expected (TFB verify_query_cases, plus -5 and a missing parameter). */
export const QUERY_CASES = Object.freeze([
  { query: '', want: 1 },
  { query: '?queries=', want: 1 },
  { query: '?queries=2', want: 2 },
  { query: '?queries=0', want: 1 },
  { query: '?queries=abc', want: 1 },
  { query: '?queries=-5', want: 1 },
  { query: '?queries=20', want: 20 },
  { query: '?queries=501', want: 500 },
]);

const CONTENT_TYPES = {
  json: /^application\/json(; ?charset=utf-8)?$/i,
  plaintext: /^text\/plain(; ?charset=utf-8)?$/i,
  html: /^text\/html; ?charset=utf-8$/i,
};

/** RFC 9110 §5.6.7 IMF-fixdate, the only form a server may send. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** How long a single validation request may take before it counts as a failure. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Reads World rows straight from the database, to check what the server
 * returned and what /updates wrote. `{ file }` for SQLite (read-only), `{ url }`
 * for PostgreSQL.
 */
export async function openWorldReader({ file, url }) {
  if (url) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      async all() {
        const { rows } = await client.query('SELECT id, randomnumber AS "randomNumber" FROM world');
        return new Map(rows.map((r) => [r.id, r.randomNumber]));
      },
      close: () => client.end(),
    };
  }
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  const stmt = db.prepare('SELECT id, randomNumber FROM World');
  return {
    async all() {
      return new Map(stmt.all().map((r) => [r.id, r.randomNumber]));
    },
    async close() { db.close(); },
  };
}

/** The expected fortunes in page order: the 12 rows plus the added one, sorted by message. */
export function expectedFortunes() {
  const rows = FORTUNES.map(([id, message]) => ({ id, message }));
  rows.push({ id: 0, message: ADDED_FORTUNE });
  return rows.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

const NAMED_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", mdash: '—' };

/** Decodes the character references a fortunes page may use. */
function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, ref) => {
    if (ref[0] === '#') return String.fromCodePoint(ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
    return NAMED_ENTITIES[ref.toLowerCase()] ?? m;
  });
}

/** GET `url`; returns status, lower-cased headers and the body bytes. */
async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { accept: '*/*' } });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}

/** Checks every response must pass: 200, Server, Date, framing, content type. */
function checkCommon(res, kind) {
  assert.equal(res.status, 200, `status ${res.status}`);
  assert.ok(res.headers.get('server'), 'no Server field');
  const date = res.headers.get('date');
  assert.ok(date, 'no Date field');
  assert.match(date, IMF_FIXDATE, `Date is not an IMF-fixdate: ${date}`);
  const length = res.headers.get('content-length');
  assert.ok(length !== null || res.headers.get('transfer-encoding') !== null, 'neither Content-Length nor Transfer-Encoding');
  if (length !== null) assert.equal(Number(length), res.body.length, 'Content-Length differs from the body');
  const type = res.headers.get('content-type') ?? '';
  assert.match(type, CONTENT_TYPES[kind], `Content-Type ${JSON.stringify(type)}`);
}

function parseJson(res) {
  try {
    return JSON.parse(res.text);
  } catch {
    throw new assert.AssertionError({ message: `body is not JSON: ${res.text.slice(0, 80)}` });
  }
}

/** A World object: exactly {id, randomNumber}, integers in range, equal to the row in `table` when given. */
function checkWorld(w, table) {
  assert.equal(typeof w, 'object', `not an object: ${JSON.stringify(w)}`);
  assert.ok(w !== null && !Array.isArray(w), `not an object: ${JSON.stringify(w)}`);
  assert.deepEqual(Object.keys(w).sort(), ['id', 'randomNumber'], `keys ${JSON.stringify(Object.keys(w))}`);
  assert.ok(Number.isInteger(w.id) && w.id >= 1 && w.id <= WORLD_ROWS, `id ${w.id}`);
  assert.ok(Number.isInteger(w.randomNumber) && w.randomNumber >= 1 && w.randomNumber <= MAX_RANDOM_NUMBER, `randomNumber ${w.randomNumber}`);
  if (table) assert.equal(w.randomNumber, table.get(w.id), `row ${w.id} has randomNumber ${table.get(w.id)} in the database, not ${w.randomNumber}`);
}

function checkWorldList(res, want, table) {
  checkCommon(res, 'json');
  const list = parseJson(res);
  assert.ok(Array.isArray(list), 'top level is not an array');
  assert.equal(list.length, want, `${list.length} rows, want ${want}`);
  for (const w of list) checkWorld(w, table);
  return list;
}

function checkFortunes(res) {
  checkCommon(res, 'html');
  const page = res.text;
  assert.ok(!page.includes('<script>'), 'the <script> fortune is not escaped');
  assert.match(page, /^\s*<!doctype html>/i, 'no doctype');
  assert.match(page, /<title>Fortunes<\/title>/, 'no <title>Fortunes</title>');
  assert.match(page, /<table>\s*<tr>\s*<th>id<\/th>\s*<th>message<\/th>\s*<\/tr>/, 'no header row <tr><th>id</th><th>message</th></tr>');
  assert.match(page, /<\/table>\s*<\/body>\s*<\/html>\s*$/, 'does not end with </table></body></html>');
  const rows = [...page.matchAll(/<tr>\s*<td>([^<]*)<\/td>\s*<td>([^<]*)<\/td>\s*<\/tr>/g)].map((m) => ({
    id: Number(decodeEntities(m[1]).trim()),
    message: decodeEntities(m[2]),
  }));
  assert.deepEqual(rows, expectedFortunes(), 'rows differ from the 12 fortunes plus the added one, sorted by message');
}

/**
 * Validates the server at `baseUrl` against the database the `reader`
 * (openWorldReader) reads. Resolves with a list of problems, one string each;
 * empty means the server passes.
 */
export async function validateServer(baseUrl, reader) {
  const problems = [];
  const check = async (name, fn) => {
    try {
      await fn();
    } catch (e) {
      problems.push(`${name}: ${e instanceof assert.AssertionError ? e.message.split('\n')[0] : e.message}`);
    }
  };
  await check('/json', async () => {
    const res = await get(`${baseUrl}/json`);
    checkCommon(res, 'json');
    assert.deepEqual(parseJson(res), { message: 'Hello, World!' }, `body ${res.text}`);
  });
  await check('/plaintext', async () => {
    const res = await get(`${baseUrl}/plaintext`);
    checkCommon(res, 'plaintext');
    assert.equal(res.text, 'Hello, World!', `body ${JSON.stringify(res.text)}`);
  });
  await check('Date changes', async () => {
    // TFB: a Date cached for longer than a second fails. Wait until the second has turned twice.
    const first = (await get(`${baseUrl}/plaintext`)).headers.get('date');
    await new Promise((r) => setTimeout(r, 1100));
    const second = (await get(`${baseUrl}/plaintext`)).headers.get('date');
    assert.notEqual(second, first, `Date did not change after 1.1 s: ${first}`);
  });
  const table = await reader.all();
  await check('/db', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await get(`${baseUrl}/db`);
      checkCommon(res, 'json');
      checkWorld(parseJson(res), table);
    }
  });
  for (const c of QUERY_CASES) {
    await check(`/queries${c.query}`, async () => checkWorldList(await get(`${baseUrl}/queries${c.query}`), c.want, table));
  }
  await check('/fortunes', async () => checkFortunes(await get(`${baseUrl}/fortunes`)));
  for (const c of QUERY_CASES) {
    await check(`/updates${c.query}`, async () => {
      const before = await reader.all();
      const list = checkWorldList(await get(`${baseUrl}/updates${c.query}`), c.want, null);
      const after = await reader.all();
      // Each returned id must hold one of the values returned for it (an id drawn twice
      // in one request is written twice; either write may be the last).
      const returned = new Map();
      for (const w of list) returned.set(w.id, [...(returned.get(w.id) ?? []), w.randomNumber]);
      let changed = 0;
      for (const [id, values] of returned) {
        assert.ok(values.includes(after.get(id)), `row ${id} holds ${after.get(id)} after /updates, which returned ${values.join(' or ')}`);
        if (after.get(id) !== before.get(id)) changed += 1;
      }
      // A new random value equals the old one 1 time in 10,000: TFB fails below 90% changed.
      if (returned.size >= 20) assert.ok(changed >= returned.size * 0.9, `only ${changed} of ${returned.size} rows changed`);
    });
  }
  return problems;
}

async function main() {
  const { parseArgs } = await import('../peers/args.mjs');
  const a = parseArgs();
  if (a.url) {
    const reader = await openWorldReader({ file: a.db, url: a['database-url'] });
    try {
      const problems = await validateServer(a.url.replace(/\/$/, ''), reader);
      for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
      process.stdout.write(problems.length ? `${a.url}: ${problems.length} problem(s)\n` : `${a.url}: valid\n`);
      process.exitCode = problems.length ? 1 : 0;
    } finally {
      await reader.close();
    }
    return;
  }
  // --servers: start each server of the suite on a fresh database and validate it.
  const { SERVERS, startTfbServer, stopServer, freshDatabase } = await import('./harness.mjs');
  const names = (a.servers ?? Object.keys(SERVERS).join(',')).split(',').map((s) => s.trim());
  const database = await freshDatabase({ url: a['database-url'] ?? process.env.DATABASE_URL });
  let failed = 0;
  try {
    for (const name of names) {
      const srv = await startTfbServer(name, database, { cpus: undefined });
      try {
        const reader = await openWorldReader(database);
        try {
          const problems = await validateServer(`http://127.0.0.1:${srv.port}`, reader);
          for (const p of problems) process.stdout.write(`FAIL ${name} ${p}\n`);
          process.stdout.write(`${name}: ${problems.length ? `${problems.length} problem(s)` : 'valid'}\n`);
          if (problems.length) failed += 1;
        } finally {
          await reader.close();
        }
      } finally {
        await stopServer(srv.child);
      }
    }
  } finally {
    await database.remove();
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { process.stderr.write(`validate: ${e.stack ?? e}\n`); process.exit(1); });
}
