#!/usr/bin/env node
/**
 * The batteries runner: an App with compress + cors + session on keel against
 * Fastify with @fastify/compress, @fastify/cors and @fastify/session in one run,
 * on loopback, with keel's ratios to Fastify.
 *
 * Owns the order of runs and the report: one markdown table of medians (req/s,
 * keel/Fastify, server CPU per request), the samples of every round, and the
 * validator's notes. Must only target 127.0.0.1, must bound every run (the
 * harness bounds start-up and wrk), and must never measure a pair in which a
 * server failed validation.
 *
 * Method: both servers start once, pinned to cpu 0 (`taskset -c 0`), and are
 * validated (validate.mjs); each gets a session cookie of its own, then every
 * route is warmed up on each. Rounds are interleaved: in each round every route
 * is measured on both servers back to back, the order of the two rotated per
 * round, with wrk pinned to cpu 1 sending `Accept-Encoding: br, gzip`, the
 * allowed Origin and the session cookie (a preflight carries no cookie, as from
 * a browser). The figure is the median over rounds; server CPU time per request
 * is read from /proc around each measured run (harness.mjs cpuTimesMs), since
 * it is steadier than req/s when the machine is shared.
 *
 * Sessions are measured when 'keel' exports session() (servers.mjs); until then
 * both apps run without them (SESSION=off), and the report says so.
 *
 * Usage: node bench/batteries/run.mjs [--rounds 3] [--duration 2s] [--warmup 1s]
 *          [--connections 64] [--routes json,html,small,preflight] [--no-session]
 *          [--out bench/results/batteries.md]
 * The default run takes about 60 s. keel needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../peers/args.mjs';
import { BENCH_DIR, ROOT, cpuTimesMs, durationMs, machineInfo, median, runWrk, wrkArgs } from '../tfb/harness.mjs';
import { ALLOWED_ORIGIN } from './content.mjs';
import { SERVERS, batteriesText, keelHasSession, startServer, stopAll } from './servers.mjs';
import { ACCEPT_ENCODING, ROUTES, compare, obtainCookie, validateServer } from './validate.mjs';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const CPU_SERVER = '0';
const CPU_WRK = '1';

/** Defaults; each is a flag. 3 rounds x 4 routes x 2 servers x 2 s plus 8 s of warm-up: about a minute. */
const DEFAULTS = { rounds: 3, duration: '2s', warmup: '1s', connections: 64 };

const log = (m) => process.stderr.write(`${m}\n`);
const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtNum = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function options() {
  const a = parseArgs();
  const o = {
    rounds: Number(a.rounds ?? DEFAULTS.rounds),
    duration: a.duration ?? DEFAULTS.duration,
    warmup: a.warmup ?? DEFAULTS.warmup,
    connections: Number(a.connections ?? DEFAULTS.connections),
    routes: a.routes ? a.routes.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(ROUTES),
    noSession: a['no-session'] === 'true',
    out: a.out ?? path.join(BENCH_DIR, 'results', 'batteries.md'),
  };
  for (const r of o.routes) if (!ROUTES[r]) throw new Error(`unknown route ${r}; known: ${Object.keys(ROUTES).join(', ')}`);
  if (!(o.rounds >= 1)) throw new Error('--rounds must be at least 1');
  o.argvText = `--rounds ${o.rounds} --duration ${o.duration} --warmup ${o.warmup} --connections ${o.connections} --routes ${o.routes.join(',')}${o.noSession ? ' --no-session' : ''}`;
  return o;
}

/** wrk's request fields for a route on a server: a preflight's, or the browser's with the session cookie. */
export function wrkRequest(route, cookie) {
  const r = ROUTES[route];
  const headers = [`Accept-Encoding: ${ACCEPT_ENCODING}`, `Origin: ${ALLOWED_ORIGIN}`];
  if (r.isPreflight) {
    for (const [k, v] of Object.entries(r.headers)) headers.push(`${k}: ${v}`);
    return { reqPath: r.path, headers, script: path.join(DIR, 'preflight.lua') };
  }
  if (cookie) headers.push(`Cookie: ${cookie}`);
  return { reqPath: r.path, headers };
}

/** One measured wrk run on `srv` with its server CPU time per request. */
async function measure(o, srv, route, duration) {
  const t0 = cpuTimesMs(srv.child.pid);
  const sample = await runWrk({ port: srv.port, connections: o.connections, cpus: CPU_WRK, duration, ...wrkRequest(route, srv.cookie) });
  const t1 = cpuTimesMs(srv.child.pid);
  sample.cpuUsPerRequest = ((t1.userMs + t1.systemMs - t0.userMs - t0.systemMs) * 1000) / sample.requests;
  sample.systemUsPerRequest = ((t1.systemMs - t0.systemMs) * 1000) / sample.requests;
  return sample;
}

async function main() {
  const o = options();
  for (const tool of ['wrk', 'taskset']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found: apt-get install -y wrk util-linux`);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build first (keel.mjs imports the built package)');
  const session = !o.noSession && (await keelHasSession());
  log(`batteries: ${batteriesText(session)}${!o.noSession && !session ? ' — keel does not export session() yet' : ''}`);
  const info = machineInfo();
  const names = Object.keys(SERVERS);
  const servers = [];
  const results = Object.fromEntries(o.routes.map((r) => [r, Object.fromEntries(names.map((n) => [n, []]))]));
  let verdicts;
  let notes;
  try {
    for (const name of names) servers.push(await startServer(name, { session, cpus: CPU_SERVER }));
    for (const s of servers) log(`  ${s.stderr().trim()}`);
    verdicts = {};
    for (const s of servers) {
      verdicts[s.name] = await validateServer(s.port, { session });
      const { failures } = verdicts[s.name];
      log(`validate ${s.label}: ${failures.length ? `FAILED (${failures.length} problems)` : 'valid'}`);
      for (const f of failures) log(`  ${f}`);
    }
    notes = compare(verdicts.keel, verdicts.fastify);
    for (const n of notes) log(`  note: ${n}`);
    if (Object.values(verdicts).some((v) => v.failures.length)) throw new Error('a server failed validation: nothing measured');
    for (const s of servers) {
      s.cookie = session ? await obtainCookie(s.port) : undefined;
      if (session && !s.cookie) throw new Error(`${s.label} set no session cookie`);
      if (durationMs(o.warmup) > 0) for (const route of o.routes) await measure(o, s, route, o.warmup);
    }
    log(`warmed up (${o.warmup} per route and server)`);
    for (let round = 0; round < o.rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round) % servers.length]);
      for (const route of o.routes) {
        for (const s of order) {
          const at = `[round ${round + 1}/${o.rounds}] ${route} ${s.label}`;
          let sample;
          try {
            sample = await measure(o, s, route, o.duration);
          } catch (e) {
            log(`${at}: run failed: ${e.message.slice(0, 300)}`);
            continue;
          }
          results[route][s.name].push(sample);
          const bad = sample.errors + sample.non2xx;
          log(`${at}: ${fmtInt(sample.rps)} req/s, ${fmtNum(sample.cpuUsPerRequest)} us CPU/req` +
            `${bad ? ` (${sample.errors} socket errors, ${sample.non2xx} non-2xx)` : ''}`);
        }
      }
    }
  } finally {
    await stopAll(servers);
  }
  const md = report(o, info, session, results, notes);
  process.stdout.write(`${md}\n`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${md}\n`);
  fs.writeFileSync(o.out.replace(/\.md$/, '') + '.json', `${JSON.stringify({ info, options: o, session, notes, results }, null, 2)}\n`);
  log(`written ${path.relative(process.cwd(), o.out)} and its .json`);
}

/** The report: one table of medians and ratios, then every round's figures and the validator's notes. */
function report(o, info, session, results, notes) {
  const pkgVersion = (p) => {
    try { return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return '?'; }
  };
  const peers = ['fastify', '@fastify/compress', '@fastify/cors', '@fastify/session', '@fastify/cookie'].map((p) => `${p} ${pkgVersion(p)}`).join(', ');
  const lines = [
    `# Batteries: keel against Fastify (${batteriesText(session)})`, '',
    `- date: ${info.date}`,
    `- machine: ${info.cpu}, ${info.kernel}`,
    `- Node ${info.node}; ${info.wrk}; keel ${info.packages.keel} git ${info.git}; ${peers}`,
    `- command: \`node bench/batteries/run.mjs ${o.argvText}\``,
    `- servers on cpu ${CPU_SERVER}, wrk on cpu ${CPU_WRK}: \`${wrkArgs({ port: 'PORT', reqPath: '/PATH', duration: o.duration, connections: o.connections, headers: [`Accept-Encoding: ${ACCEPT_ENCODING}`, `Origin: ${ALLOWED_ORIGIN}`, ...(session ? ['Cookie: <session>'] : [])] }).map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}\`;` +
      ` ${o.rounds} interleaved rounds after ${o.warmup} of warm-up per route`,
    '',
    'Median over rounds. keel/Fastify: req/s ratio (above 1: keel serves more). CPU us/req: server user + system time',
    'per request from /proc (lower is better); its ratio is Fastify\'s / keel\'s (above 1: keel is cheaper). A `!` marks',
    'a figure with wrk socket errors or non-2xx responses in some round.', '',
    '| route | keel req/s | Fastify req/s | keel/Fastify | keel CPU us/req | Fastify CPU us/req | CPU Fastify/keel | p99 ms keel / Fastify |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const med = (route, name, field) => median(results[route][name].map((s) => s[field]));
  const bad = (route, name) => (results[route][name].some((s) => s.errors + s.non2xx > 0) ? ' !' : '');
  for (const route of o.routes) {
    const k = med(route, 'keel', 'rps');
    const f = med(route, 'fastify', 'rps');
    const kc = med(route, 'keel', 'cpuUsPerRequest');
    const fc = med(route, 'fastify', 'cpuUsPerRequest');
    lines.push(`| ${ROUTES[route].title} \`${ROUTES[route].method} ${ROUTES[route].path}\` | ${fmtInt(k)}${bad(route, 'keel')} | ${fmtInt(f)}${bad(route, 'fastify')} | **${fmtNum(k / f, 2)}** | ` +
      `${fmtNum(kc)} | ${fmtNum(fc)} | **${fmtNum(fc / kc, 2)}** | ${fmtNum(med(route, 'keel', 'latencyP99Ms'), 2)} / ${fmtNum(med(route, 'fastify', 'latencyP99Ms'), 2)} |`);
  }
  lines.push('', 'Every round: req/s (server CPU us/req, of which system time):', '', '| route | server | rounds |', '|---|---|---|');
  for (const route of o.routes) {
    for (const name of Object.keys(SERVERS)) {
      lines.push(`| ${route} | ${SERVERS[name].label} | ${results[route][name].map((s) => `${fmtInt(s.rps)} (${fmtNum(s.cpuUsPerRequest)}, ${fmtNum(s.systemUsPerRequest)} sys)`).join(' / ')} |`);
    }
  }
  if (notes?.length) lines.push('', 'Validator notes (differences both servers are allowed):', '', ...notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
