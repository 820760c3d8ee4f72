#!/usr/bin/env node
/**
 * Checks the validator itself: a correct in-process server must pass, and each
 * of a table of broken variants must fail on the check that names its fault.
 *
 * Owns the table of faults (one per rule validate.mjs enforces) and the small
 * node:http server that can inject them. Must not be used for measurement; it
 * binds 127.0.0.1 port 0, uses a temporary SQLite file, and closes both.
 *
 * Usage: node bench/tfb/validate-selftest.mjs    (exit 0 when every case behaves)
 */
import http from 'node:http';
import { freshDatabase } from './harness.mjs';
import { fortunesHtml, openStore, queryCount, withAddedFortune } from './peer-common.mjs';
import { openWorldReader, validateServer } from './validate.mjs';

/** Each fault and the check whose problem must mention it (`want` is a prefix of a problem line). */
const CASES = [
  { name: 'correct server', fault: null, want: null },
  { name: 'no Server field', fault: 'no-server', want: '/json: no Server field' },
  { name: 'Date frozen at start-up', fault: 'frozen-date', want: 'Date changes' },
  { name: 'JSON sent as text/plain', fault: 'json-type', want: '/json: Content-Type' },
  { name: 'extra key in /db', fault: 'extra-key', want: '/db: keys' },
  { name: 'row not from the database', fault: 'fake-row', want: '/db: row' },
  { name: 'no clamp above 500', fault: 'no-max', want: '/queries?queries=501' },
  { name: 'abc answered with an error', fault: 'abc-500', want: '/queries?queries=abc' },
  { name: 'negative count not clamped', fault: 'negative', want: '/queries?queries=-5' },
  { name: 'fortunes unescaped', fault: 'unescaped', want: '/fortunes: the <script> fortune is not escaped' },
  { name: 'fortunes without the added row', fault: 'no-added', want: '/fortunes: rows differ' },
  { name: 'fortunes unsorted', fault: 'unsorted', want: '/fortunes: rows differ' },
  { name: 'fortunes without charset', fault: 'html-type', want: '/fortunes: Content-Type' },
  { name: 'updates not written', fault: 'no-write', want: '/updates?queries=20' },
  { name: 'Content-Length one short', fault: 'bad-length', want: '/plaintext: body' },
];

/** A node:http TFB server with at most one fault switched on. */
function faultyServer(store, fault) {
  const frozenDate = new Date().toUTCString();
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.searchParams.get('queries');
    let count = queryCount(p);
    if (fault === 'no-max' && Number(p) > 500) count = Number(p);
    if (fault === 'negative' && Number(p) < 0) count = 0;
    const headers = {};
    if (fault !== 'no-server') headers.Server = 'selftest';
    if (fault === 'frozen-date') headers.Date = frozenDate;
    const send = (type, body, status = 200) => {
      const length = Buffer.byteLength(body) - (fault === 'bad-length' && type === 'text/plain' ? 1 : 0);
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': length });
      res.end(body);
    };
    const json = (v) => send(fault === 'json-type' ? 'text/plain' : 'application/json', JSON.stringify(v));
    if (fault === 'abc-500' && p === 'abc') return send('text/plain', 'bad', 500);
    switch (url.pathname) {
      case '/json': return json({ message: 'Hello, World!' });
      case '/plaintext': return send('text/plain', 'Hello, World!');
      case '/db': {
        const w = store.world();
        if (fault === 'extra-key') w.extra = 1;
        if (fault === 'fake-row') w.randomNumber = (w.randomNumber % 10000) + 1;
        return json(w);
      }
      case '/queries': return json(store.worlds(count));
      case '/fortunes': {
        let rows = store.fortunes();
        if (fault !== 'no-added') rows = withAddedFortune(rows);
        if (fault === 'unsorted') rows.reverse();
        let page = fortunesHtml(rows);
        if (fault === 'unescaped') page = page.replace('&lt;script&gt;', '<script>');
        return send(fault === 'html-type' ? 'text/html' : 'text/html; charset=utf-8', page);
      }
      case '/updates': {
        if (fault !== 'no-write') return json(store.updateWorlds(count));
        const rows = store.worlds(count);
        for (const w of rows) w.randomNumber = (w.randomNumber % 10000) + 1;
        return json(rows);
      }
      default: return send('text/plain', 'Not Found', 404);
    }
  });
}

async function main() {
  const database = await freshDatabase();
  const store = await openStore(database);
  const reader = await openWorldReader(database);
  let failures = 0;
  try {
    for (const c of CASES) {
      const server = faultyServer(store, c.fault);
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      try {
        const problems = await validateServer(`http://127.0.0.1:${server.address().port}`, reader);
        const ok = c.want === null ? problems.length === 0 : problems.some((p) => p.startsWith(c.want));
        if (!ok) failures += 1;
        process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${c.name}: ${problems.length ? problems.join(' | ') : 'no problems'}\n`);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }
  } finally {
    await reader.close();
    store.close();
    await database.remove();
  }
  process.stdout.write(failures ? `${failures} case(s) wrong\n` : `all ${CASES.length} cases behave\n`);
  process.exitCode = failures ? 1 : 0;
}

main().catch((e) => { process.stderr.write(`validate-selftest: ${e.stack ?? e}\n`); process.exit(1); });
