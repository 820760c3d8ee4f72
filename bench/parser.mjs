#!/usr/bin/env node
/**
 * Parser micro-benchmark: requests parsed per second, keel's RequestParser
 * beside Node's llhttp, measured in the same run and the same process.
 *
 * Owns the request corpus, the three parser drivers and the report. It must
 * not open sockets; it only calls parsers on in-memory buffers.
 *
 * What is measured, per request, by each driver:
 *  - `keel`: `RequestParser#receive(buf)`, then `nextEvent()` until
 *    NEED_DATA, calling `startNextRequest()` on PAUSED. One parser lives
 *    across all requests, as on a keep-alive connection. The parser builds
 *    the request event (method, target, version, rawHeaders, framing) and a
 *    data event per body piece; the driver reads their fields.
 *  - `llhttp`: Node's own binding (`process.binding('http_parser')`, the one
 *    node:http uses), one parser initialised once as Node does per
 *    connection, `execute(buf)` per request. Its callbacks build the same
 *    objects keel returns: `{ type: 'request', method, target, version,
 *    rawHeaders, keepAlive }`, `{ type: 'data', data }`, `{ type: 'end' }`,
 *    pushed into an array the driver reads, so both sides allocate alike.
 *    llhttp does not validate as much as keel (Host syntax, field values,
 *    framing conflicts are partly left to node:http's JS): the row shows raw
 *    parsing speed, not equal work.
 *  - `node:http stage` (informative): the same binding driven through
 *    node:http's own callbacks (`_http_common` parsers), which create an
 *    IncomingMessage per request, as node:http does before calling a handler.
 * Every driver is checked to produce the same method, target, field count and
 * body length on every case before timing starts.
 *
 * The same buffer is fed again and again, so in the single-request cases every
 * request repeats the previous one byte for byte, as a load generator's do. keel
 * remembers the previous request's field section per connection and skips
 * parsing it again when it repeats; llhttp has no such shortcut. The
 * "x16 different" browser case changes path, Sec-Fetch-Dest and cookie on every
 * request, which is the figure for a browser's page load.
 *
 * Usage: node bench/parser.mjs [--time-ms 300] [--rounds 5] [--out bench/results/parser.md]
 * keel's parser comes from dist/wire/parser.js (after `npm run build`), else
 * from src/wire/parser.ts when run as `node --import tsx bench/parser.mjs`.
 * For steadier figures pin it: `taskset -c 0 node bench/parser.mjs`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './peers/args.mjs';
import { browserGet } from './requests.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Default time each driver runs per case and round. */
const DEFAULT_TIME_MS = 300;
/** Default measured rounds; the first, extra round is a warm-up. */
const DEFAULT_ROUNDS = 5;
/** Requests parsed between two clock reads (the clock is not free). */
const BATCH = 1000;
/** Requests per buffer in the pipelined case (as in the x16 load test). */
const PIPELINE_DEPTH = 16;

// ---------------------------------------------------------------------------
// Corpus.

const SMALL_GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n'; // what wrk sends

/** A Chrome 131 navigation request (about 700 bytes), the realistic case (bench/requests.mjs). */
const BROWSER_GET = browserGet();

const POST_BODY = '{"name":"keel","message":"Hello, World!"}';
const SMALL_POST = `POST /api/guestbook HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: ${POST_BODY.length}\r\n\r\n${POST_BODY}`;

/**
 * 16 browser requests that differ from one another, as a page's requests on one connection do:
 * path, Sec-Fetch-Dest and the cookie change each time, so a parser gains nothing from
 * remembering the previous request's field section (keel does; the repeated cases above show it).
 */
const BROWSER_VARIED = Array.from({ length: PIPELINE_DEPTH }, (_, i) =>
  BROWSER_GET.replace('/articles/http-servers-from-scratch?ref=home', `/assets/file-${i}.js`)
    .replace('Sec-Fetch-Dest: document', i % 2 === 0 ? 'Sec-Fetch-Dest: script' : 'Sec-Fetch-Dest: image')
    .replace('sid=8f14e45fceea167a5a36dedd4bea2543', `sid=${String(i).padStart(2, '0')}14e45fceea167a5a36dedd4bea2543`),
).join('');

/** Each case: one buffer fed per iteration, and how many requests it holds. */
const CASES = [
  { name: 'small GET, repeated', bytes: Buffer.from(SMALL_GET), requests: 1 },
  { name: 'browser GET (Chrome, 20 fields), repeated', bytes: Buffer.from(BROWSER_GET), requests: 1 },
  { name: `browser GETs, x${PIPELINE_DEPTH} different`, bytes: Buffer.from(BROWSER_VARIED), requests: PIPELINE_DEPTH },
  { name: 'small POST (JSON body), repeated', bytes: Buffer.from(SMALL_POST), requests: 1 },
  { name: `small GET pipelined x${PIPELINE_DEPTH}`, bytes: Buffer.from(SMALL_GET.repeat(PIPELINE_DEPTH)), requests: PIPELINE_DEPTH },
];

// ---------------------------------------------------------------------------
// Drivers. Each returns { name, feed(buf) }: feed parses every request in buf
// and returns a checksum of what it read (so nothing is optimised away).

async function loadKeel() {
  const dist = path.join(BENCH_DIR, '..', 'dist', 'wire', 'parser.js');
  if (fs.existsSync(dist)) return { mod: await import(dist), from: 'dist/wire/parser.js' };
  try {
    return { mod: await import('../src/wire/parser.ts'), from: 'src/wire/parser.ts (tsx)' };
  } catch {
    throw new Error('keel parser not found: run `npm run build`, or `node --import tsx bench/parser.mjs`');
  }
}

function keelDriver({ RequestParser, NEED_DATA, PAUSED }) {
  const p = new RequestParser();
  return {
    name: 'keel',
    feed(buf, sink) {
      p.receive(buf);
      let sum = 0;
      for (;;) {
        const ev = p.nextEvent();
        if (ev === NEED_DATA) return sum;
        if (ev === PAUSED) { p.startNextRequest(); continue; }
        if (ev.type === 'request') {
          sum += ev.method.length + ev.target.length + ev.rawHeaders.length;
          if (sink) sink.push({ method: ev.method, target: ev.target, fields: ev.rawHeaders.length / 2, body: 0 });
        } else if (ev.type === 'data') {
          sum += ev.data.length;
          if (sink) sink[sink.length - 1].body += ev.data.length;
        } else {
          sum += 1;
        }
      }
    },
  };
}

function llhttpDriver() {
  const { HTTPParser, methods } = process.binding('http_parser');
  const p = new HTTPParser();
  const events = [];
  let pendingHeaders = [];
  let pendingUrl = '';
  // More than 32 fields arrive in kOnHeaders batches before kOnHeadersComplete (as _http_common handles).
  p[HTTPParser.kOnHeaders] = (headers, url) => { pendingHeaders.push(...headers); pendingUrl += url; };
  p[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, _status, _message, _upgrade, keepAlive) => {
    if (headers === undefined) { headers = pendingHeaders; pendingHeaders = []; }
    if (url === undefined) { url = pendingUrl; pendingUrl = ''; }
    events.push({ type: 'request', method: methods[method], target: url, version: `${major}.${minor}`, rawHeaders: headers, keepAlive });
    return 0;
  };
  p[HTTPParser.kOnBody] = (data) => { events.push({ type: 'data', data }); };
  p[HTTPParser.kOnMessageComplete] = () => { events.push({ type: 'end' }); };
  p.initialize(HTTPParser.REQUEST, {}, 0, 0);
  return {
    name: 'llhttp',
    feed(buf, sink) {
      const r = p.execute(buf);
      if (typeof r !== 'number') throw r;
      let sum = 0;
      for (let i = 0; i < events.length; i++) {
        const ev = events[i];
        if (ev.type === 'request') {
          sum += ev.method.length + ev.target.length + ev.rawHeaders.length;
          if (sink) sink.push({ method: ev.method, target: ev.target, fields: ev.rawHeaders.length / 2, body: 0 });
        } else if (ev.type === 'data') {
          sum += ev.data.length;
          if (sink) sink[sink.length - 1].body += ev.data.length;
        } else {
          sum += 1;
        }
      }
      events.length = 0;
      return sum;
    },
  };
}

function nodeHttpStageDriver() {
  const { parsers, HTTPParser } = require('_http_common');
  const p = parsers.alloc();
  p.initialize(HTTPParser.REQUEST, {}, 0, 0);
  // node:http reads only these fields of its socket while parsing (IncomingMessage's constructor, readStart).
  p.socket = { readableHighWaterMark: 16384, readable: false };
  const incoming = [];
  p.onIncoming = (req) => { incoming.push(req); return 0; };
  return {
    name: 'node:http stage',
    feed(buf, sink) {
      const r = p.execute(buf);
      if (typeof r !== 'number') throw r;
      let sum = 0;
      for (let i = 0; i < incoming.length; i++) {
        const req = incoming[i];
        sum += req.method.length + req.url.length + req.rawHeaders.length;
        let body = 0;
        for (const chunk of req.readableBuffer) body += chunk.length;
        sum += body;
        if (sink) sink.push({ method: req.method, target: req.url, fields: req.rawHeaders.length / 2, body });
      }
      incoming.length = 0;
      return sum;
    },
  };
}

// ---------------------------------------------------------------------------
// Measurement.

/** Runs `feed` on `bytes` for about `timeMs`; returns requests per second. */
function timeDriver(driver, c, timeMs) {
  const budget = BigInt(Math.round(timeMs * 1e6));
  let sum = 0;
  let iterations = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let i = 0; i < BATCH; i++) sum += driver.feed(c.bytes);
    iterations += BATCH;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < budget);
  if (sum === 0) throw new Error('checksum 0: the driver parsed nothing');
  return (iterations * c.requests) / (Number(elapsed) / 1e9);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Fails before any timing if two drivers disagree on what a case contains. */
function checkAgreement(drivers) {
  for (const c of CASES) {
    const seen = drivers.map((d) => { const sink = []; d.make().feed(c.bytes, sink); return JSON.stringify(sink); });
    for (let i = 1; i < seen.length; i++) {
      if (seen[i] !== seen[0]) throw new Error(`drivers disagree on "${c.name}": ${drivers[0].name} ${seen[0]} vs ${drivers[i].name} ${seen[i]}`);
    }
    const n = JSON.parse(seen[0]).length;
    if (n !== c.requests) throw new Error(`"${c.name}": parsed ${n} requests, expected ${c.requests}`);
  }
}

async function main() {
  const a = parseArgs();
  const timeMs = Number(a['time-ms'] ?? process.env.BENCH_PARSER_TIME_MS ?? DEFAULT_TIME_MS);
  const rounds = Number(a.rounds ?? process.env.BENCH_PARSER_ROUNDS ?? DEFAULT_ROUNDS);
  const out = a.out ?? path.join(BENCH_DIR, 'results', 'parser.md');
  const keel = await loadKeel();
  process.removeAllListeners('warning'); // DEP0111 for process.binding: known, documented above
  process.on('warning', (w) => { if (w.code !== 'DEP0111') process.stderr.write(`${w.name}: ${w.message}\n`); });
  const drivers = [
    { name: 'keel', make: () => keelDriver(keel.mod) },
    { name: 'llhttp', make: llhttpDriver },
    { name: 'node:http stage', make: nodeHttpStageDriver },
  ];
  checkAgreement(drivers);

  const results = CASES.map(() => drivers.map(() => []));
  for (let round = 0; round <= rounds; round++) {
    for (let ci = 0; ci < CASES.length; ci++) {
      // Interleave drivers and rotate their order per round; fresh parser objects every round.
      for (let k = 0; k < drivers.length; k++) {
        const di = (k + round) % drivers.length;
        const rate = timeDriver(drivers[di].make(), CASES[ci], timeMs);
        if (round > 0) results[ci][di].push(rate); // round 0 warms the JIT up
      }
    }
    if (round > 0) process.stderr.write(`  round ${round}/${rounds} done\n`);
  }

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const lines = [
    '# Parser micro-benchmark', '',
    `- date: ${new Date().toISOString()}; Node ${process.version}; ${os.cpus()[0]?.model} x${os.cpus().length}`,
    `- keel parser: ${keel.from}; llhttp ${process.versions.llhttp}`,
    `- command: \`node bench/parser.mjs --time-ms ${timeMs} --rounds ${rounds}\` (median of ${rounds} rounds after one warm-up round)`,
    '- see the header of bench/parser.mjs for exactly what each row does per request', '',
    '| case | bytes/request | keel req/s | llhttp req/s | keel vs llhttp | node:http stage req/s | keel vs node:http stage |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (let ci = 0; ci < CASES.length; ci++) {
    const [k, l, n] = results[ci].map(median);
    const c = CASES[ci];
    lines.push(`| ${c.name} | ${Math.round(c.bytes.length / c.requests)} | ${fmt(k)} | ${fmt(l)} | ${(k / l).toFixed(2)}x | ${fmt(n)} | ${(k / n).toFixed(2)}x |`);
  }
  const md = lines.join('\n') + '\n';
  process.stdout.write(md);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, md);
}

main().catch((e) => { process.stderr.write(`parser bench: ${e.stack ?? e}\n`); process.exit(1); });
