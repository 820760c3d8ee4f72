#!/usr/bin/env node
/**
 * Profiles one server of the TechEmpower suite on one test: runs it under
 * `node --cpu-prof` (pinned to cpu 0) while wrk loads it (cpu 1), then prints
 * where the server's CPU time went, by area and by function.
 *
 * Owns the summary of a .cpuprofile: self time per function, and per area
 * (keel's router, context, views, db layer, server, wire; the SQLite driver;
 * Node internals; GC; idle). Must not be used for req/s figures (the profiler
 * slows the server down); it answers "where does the time go", nothing else.
 *
 * Usage: node bench/tfb/profile.mjs --server keel --test fortunes [--duration 5s]
 *          [--warmup 2s] [--connections 64] [--queries 20] [--top 25] [--keep DIR]
 * The .cpuprofile is kept in DIR when --keep is given (open it in Chrome DevTools).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../peers/args.mjs';
import { DEFAULT_PIPELINE_DEPTH, TESTS, freshDatabase, runWrk, startTfbServer, stopServer } from './harness.mjs';

/** Areas a profile node is charged to, first match wins (url substrings, then function names). */
const AREAS = [
  ['keel app: router', (u) => u.includes('/dist/app/router/')],
  ['keel app: context', (u) => u.includes('/dist/app/context.')],
  ['keel app: views (html)', (u) => u.includes('/dist/app/views.')],
  ['keel app: compose/app', (u) => u.includes('/dist/app/')],
  ['keel db layer', (u) => u.includes('/dist/db/')],
  ['keel server', (u) => u.includes('/dist/server/')],
  ['keel wire', (u) => u.includes('/dist/wire/')],
  ['the app file', (u) => u.includes('/bench/tfb/')],
  ['better-sqlite3', (u) => u.includes('better-sqlite3')],
  ['pg', (u) => u.includes('/node_modules/pg')],
  ['framework (node_modules)', (u) => u.includes('/node_modules/')],
  ['node internals', (u) => u.startsWith('node:')],
];
const SPECIAL = { '(garbage collector)': 'GC', '(idle)': 'idle', '(program)': 'native (program)', '(root)': 'native (program)' };

function area(frame) {
  if (SPECIAL[frame.functionName] && !frame.url) return SPECIAL[frame.functionName];
  for (const [name, test] of AREAS) if (test(frame.url)) return name;
  return frame.url ? 'other JS' : 'native / builtins';
}

/** Self time (ms) per function and per area from a .cpuprofile. */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map();
  const areas = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^file:\/\/.*?\/(dist|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : ''}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(f);
    areas.set(a, (areas.get(a) ?? 0) + us);
    total += us;
  }
  const sorted = (m) => [...m].sort((x, y) => y[1] - x[1]).map(([k, us]) => ({ name: k, ms: us / 1000, share: us / total }));
  return { totalMs: total / 1000, areas: sorted(areas), functions: sorted(fns) };
}

async function main() {
  const a = parseArgs();
  const server = a.server ?? 'keel';
  const test = a.test ?? 'fortunes';
  const queries = Number(a.queries ?? 20);
  if (!TESTS[test]) throw new Error(`unknown test ${test}; known: ${Object.keys(TESTS).join(', ')}`);
  const dir = a.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'keel-tfb-prof-'));
  fs.mkdirSync(dir, { recursive: true });
  const database = await freshDatabase({ url: a['database-url'] ?? process.env.DATABASE_URL });
  let file;
  try {
    const srv = await startTfbServer(server, database, { cpus: '0', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    try {
      const wrk = { port: srv.port, reqPath: TESTS[test].path(queries), connections: Number(a.connections ?? 64), pipelineDepth: TESTS[test].pipeline ? DEFAULT_PIPELINE_DEPTH : 0, cpus: '1' };
      if (a.warmup !== '0s') await runWrk({ ...wrk, duration: a.warmup ?? '2s' });
      const r = await runWrk({ ...wrk, duration: a.duration ?? '5s' });
      process.stdout.write(`${server} ${test}: ${Math.round(r.rps).toLocaleString('en-US')} req/s under the profiler\n`);
    } finally {
      await stopServer(srv.child);
    }
    // The main thread's profile is the largest (a loader hook's worker thread writes its own).
    file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f))
      .sort((x, y) => fs.statSync(x).size - fs.statSync(y).size).pop();
  } finally {
    await database.remove();
  }
  if (!file) throw new Error('no .cpuprofile written (did the server exit through its SIGTERM handler?)');
  const s = summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')));
  const pct = (x) => `${(x * 100).toFixed(1)}%`.padStart(6);
  process.stdout.write(`\nself time by area (${s.totalMs.toFixed(0)} ms sampled):\n`);
  for (const r of s.areas) process.stdout.write(`${pct(r.share)}  ${r.name}\n`);
  process.stdout.write(`\ntop functions by self time:\n`);
  for (const r of s.functions.slice(0, Number(a.top ?? 25))) process.stdout.write(`${pct(r.share)}  ${r.name}\n`);
  if (a.keep) process.stdout.write(`\nprofile: ${file}\n`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { process.stderr.write(`profile: ${e.stack ?? e}\n`); process.exit(1); });
}
