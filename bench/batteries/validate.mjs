#!/usr/bin/env node
/**
 * The batteries validator: checks that a server answers the benchmark's routes
 * the way the benchmark assumes, before anything is measured; run.mjs refuses to
 * measure a pair of servers when either fails.
 *
 * Owns the rules (one table, ROUTES): per route the status, the Content-Encoding
 * for `Accept-Encoding: br, gzip` (br above the 1 KiB threshold, none under it),
 * the Vary tokens the response must carry (Origin always, Accept-Encoding when it
 * was compressed), CORS fields for the allowed origin (Allow-Origin echoed,
 * Allow-Credentials true; on the preflight also methods, headers and max age) and
 * no Access-Control-Allow-Origin for another origin, and, when sessions are on, a
 * session cookie set on the first visit whose counter goes up by one on every
 * request that sends it back. The decoded bodies must match content.mjs.
 * Differences between two servers that the rules allow (an extra Vary token, other
 * Access-Control-* fields for a refused origin) are reported as notes, not
 * failures. Must only talk to the 127.0.0.1 servers it is given.
 *
 * Usage: node bench/batteries/validate.mjs [--no-session]   (starts both servers)
 * Exit status 0 when both pass, 1 otherwise. keel needs `npm run build`.
 */
import { deepStrictEqual } from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import {
  ALLOWED_ORIGIN, CORS_MAX_AGE_SECONDS, ITEMS, OTHER_ORIGIN, PATHS, page, small,
} from './content.mjs';

/** What the client sends on every measured request (and run.mjs's wrk too). */
export const ACCEPT_ENCODING = 'br, gzip';

/**
 * The routes: request, and the answer wanted. `body(visits)` is the decoded body
 * for a visit count; `encoding` the Content-Encoding for ACCEPT_ENCODING.
 */
export const ROUTES = {
  json: {
    title: 'JSON ~2 KiB (br)',
    method: 'GET', path: PATHS.json, status: 200, encoding: 'br',
    body: (visits) => ({ visits, items: ITEMS }), isJson: true,
  },
  html: {
    title: 'HTML ~8 KiB (br)',
    method: 'GET', path: PATHS.html, status: 200, encoding: 'br',
    body: (visits) => page(visits),
  },
  small: {
    title: 'text 10 B (under threshold)',
    method: 'GET', path: PATHS.small, status: 200, encoding: undefined,
    body: (visits) => small(visits),
  },
  preflight: {
    title: 'CORS preflight (OPTIONS)',
    method: 'OPTIONS', path: PATHS.prefs, status: 204, encoding: undefined, isPreflight: true,
    headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
  },
};

/** One request over a fresh connection; resolves with status, headers and the decoded body. */
export function request(port, { method = 'GET', path, headers = {} }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const coding = res.headers['content-encoding'];
        let body;
        try {
          body = coding === 'br' ? zlib.brotliDecompressSync(raw) : coding === 'gzip' ? zlib.gunzipSync(raw) : raw;
        } catch (e) {
          return reject(new Error(`${method} ${path}: body does not decode as ${coding}: ${e.message}`));
        }
        resolve({ status: res.statusCode, headers: res.headers, body: body.toString('utf8') });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** The `name=value` of a response's first Set-Cookie, or undefined. */
export function sessionCookie(res) {
  const set = res.headers['set-cookie'];
  return set?.[0]?.split(';')[0].trim() || undefined;
}

/** Obtains a session cookie: one visit without a cookie (run.mjs sends it back with every wrk request). */
export async function obtainCookie(port) {
  const res = await request(port, { path: PATHS.small, headers: { origin: ALLOWED_ORIGIN } });
  return sessionCookie(res);
}

const tokens = (v) => (Array.isArray(v) ? v.join(',') : v ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);

/**
 * Checks one server. Returns `{ failures, observed }`: failures are strings, and
 * observed maps each check to what came back (compared across servers by compare()).
 */
export async function validateServer(port, { session }) {
  const failures = [];
  const observed = {};
  const fail = (what) => failures.push(what);
  const eq = (what, got, want) => {
    observed[what] = got;
    if (got !== want) fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };

  // Session: the first visit gets a cookie; each visit with it counts one more.
  let cookie;
  let visits = 0;
  if (session) {
    cookie = await obtainCookie(port);
    if (cookie === undefined) fail('session: the first visit set no cookie');
    else visits = 1;
  }
  const base = { 'accept-encoding': ACCEPT_ENCODING, ...(cookie ? { cookie } : {}) };

  for (const [name, route] of Object.entries(ROUTES)) {
    // A browser sends no cookie with a preflight (Fetch §4.8, CORS-preflight fetch: never with credentials).
    const headers = route.isPreflight
      ? { origin: ALLOWED_ORIGIN, 'accept-encoding': ACCEPT_ENCODING, ...route.headers }
      : { ...base, origin: ALLOWED_ORIGIN };
    const res = await request(port, { method: route.method, path: route.path, headers });
    eq(`${name}: status`, res.status, route.status);
    eq(`${name}: content-encoding`, res.headers['content-encoding'], route.encoding);
    eq(`${name}: access-control-allow-origin`, res.headers['access-control-allow-origin'], ALLOWED_ORIGIN);
    eq(`${name}: access-control-allow-credentials`, res.headers['access-control-allow-credentials'], 'true');
    const vary = tokens(res.headers.vary);
    observed[`${name}: vary`] = vary.join(', ');
    if (!vary.includes('origin')) fail(`${name}: Vary lacks Origin (got "${vary.join(', ')}")`);
    if (route.encoding && !vary.includes('accept-encoding')) fail(`${name}: compressed but Vary lacks Accept-Encoding`);
    if (route.isPreflight) {
      const methods = tokens(res.headers['access-control-allow-methods']);
      if (!methods.includes('put')) fail(`${name}: Access-Control-Allow-Methods lacks PUT (got "${methods.join(', ')}")`);
      const allowed = tokens(res.headers['access-control-allow-headers']);
      if (!allowed.includes('content-type')) fail(`${name}: Access-Control-Allow-Headers lacks Content-Type`);
      eq(`${name}: access-control-max-age`, res.headers['access-control-max-age'], String(CORS_MAX_AGE_SECONDS));
      if (res.body !== '') fail(`${name}: a preflight answer has a body`);
      if (res.headers['set-cookie']) fail(`${name}: a preflight answer sets a cookie`);
    } else {
      // Allowed to differ: a rolling cookie is re-sent on every response, another only when the id is new.
      observed[`${name}: Set-Cookie on a visit with the session cookie`] = res.headers['set-cookie'] !== undefined;
      if (session) visits++;
      const want = route.body(session ? visits : 0);
      let got = res.body;
      if (route.isJson) {
        try { got = JSON.parse(res.body); } catch { fail(`${name}: body is not JSON`); }
      }
      try {
        deepStrictEqual(got, want);
      } catch {
        fail(`${name}: body differs from content.mjs for visits=${session ? visits : 0} (got ${res.body.slice(0, 80)}...)`);
      }
    }
    // Another origin: no Access-Control-Allow-Origin (the field that grants access, Fetch §3.2.5).
    const other = await request(port, { method: route.method, path: route.path, headers: { ...headers, origin: OTHER_ORIGIN } });
    if (session && !route.isPreflight) visits++;
    eq(`${name} from another origin: status`, other.status, route.status);
    eq(`${name} from another origin: access-control-allow-origin`, other.headers['access-control-allow-origin'], undefined);
    observed[`${name} from another origin: other Access-Control-* fields`] =
      Object.keys(other.headers).filter((h) => h.startsWith('access-control-')).sort().join(', ') || '(none)';
  }
  return { failures, observed };
}

/** Lines describing where two servers' observations differ (allowed by the rules, since both passed them). */
export function compare(a, b, labels = ['keel', 'Fastify']) {
  const notes = [];
  for (const key of Object.keys(a.observed)) {
    const x = a.observed[key];
    const y = b.observed[key];
    if (x !== y) notes.push(`${key}: ${labels[0]} ${JSON.stringify(x)}, ${labels[1]} ${JSON.stringify(y)}`);
  }
  return notes;
}

async function main() {
  const { startServers, stopAll } = await import('./servers.mjs');
  const session = process.argv.includes('--no-session') ? false : undefined;
  const servers = await startServers({ session });
  let ok = true;
  try {
    const results = {};
    for (const s of servers) {
      results[s.name] = await validateServer(s.port, { session: s.session });
      const { failures } = results[s.name];
      process.stdout.write(`${s.label}: ${failures.length ? `FAIL\n  ${failures.join('\n  ')}` : 'pass'}\n`);
      ok &&= failures.length === 0;
    }
    for (const n of compare(results.keel, results.fastify)) process.stdout.write(`note: ${n}\n`);
  } finally {
    await stopAll(servers);
  }
  process.exitCode = ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
