/**
 * Process and wrk plumbing for the TechEmpower suite: the servers it knows,
 * a fresh database per run, starting a server pinned to a CPU and stopping its
 * whole process group, and running wrk pinned to the other CPU.
 *
 * Owns the server table (name -> entry file) and the helpers validate.mjs and
 * run.mjs share; bench/batteries/ starts its servers (startNodeServer) and runs
 * wrk (runWrk, with request fields and a script) through them too. Must only
 * bind and target 127.0.0.1, must bound every wait (start-up, wrk) and must
 * leave no process behind: every child runs in its own process group, tracked
 * until it exits, and killed when this process exits.
 *
 * wrk is driven as bench/run.mjs drives it (same flags, same bench/pipeline.lua
 * for pipelining, same summary fields); bench/run.mjs keeps its own copy of
 * these helpers because it is a script, not a module. When it becomes one,
 * both should import one implementation.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processTree } from '../proc.mjs';
import { makePostgres, makeSqlite } from './make-db.mjs';

const TFB_DIR = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = path.dirname(TFB_DIR);
export const ROOT = path.dirname(BENCH_DIR);
export const HOST = '127.0.0.1';

/** How long a server may take to answer its first request. */
const START_TIMEOUT_MS = 15_000;
/** Grace after SIGTERM before the server's process group gets SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** How long one start-up probe may wait for a response head. */
const PROBE_TIMEOUT_MS = 2_000;
/** Slack above the wrk duration before wrk itself is killed. */
const WRK_SLACK_MS = 15_000;
/** wrk threads: one, pinned to its own core (as bench/run.mjs). */
export const WRK_THREADS = 1;

/**
 * The servers of the suite: entry file (in bench/tfb/) and label. `keel`
 * needs `npm run build` (it imports dist/ through the package's exports).
 */
export const SERVERS = {
  keel: { file: 'keel.mjs', label: 'keel', needsBuild: true },
  fastify: { file: 'fastify.mjs', label: 'Fastify' },
  hono: { file: 'hono.mjs', label: 'Hono (node-server)' },
  express: { file: 'express.mjs', label: 'Express' },
  'node-http': { file: 'node-http.mjs', label: 'node:http' },
};

/** Requests per write when a test is pipelined (TFB: plaintext x16; bench/run.mjs's default too). */
export const DEFAULT_PIPELINE_DEPTH = 16;

/**
 * The six tests: title, request path (given `queries`, the N of queries and
 * updates) and whether wrk pipelines (TFB measures plaintext pipelined x16).
 */
export const TESTS = {
  json: { title: 'JSON', path: () => '/json' },
  plaintext: { title: 'plaintext (pipelined x16)', path: () => '/plaintext', pipeline: true },
  db: { title: 'single query', path: () => '/db' },
  queries: { title: 'multiple queries', path: (queries) => `/queries?queries=${queries}` },
  fortunes: { title: 'fortunes', path: () => '/fortunes' },
  updates: { title: 'updates', path: (queries) => `/updates?queries=${queries}` },
};

/** Live children (servers and wrk), so that an exit or Ctrl-C never leaves one behind. */
const live = new Set();
const killGroup = (child, signal) => {
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
};
process.on('exit', () => { for (const c of live) killGroup(c, 'SIGKILL'); });
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => { for (const c of live) killGroup(c, 'SIGKILL'); process.exit(code); });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Median of numbers (NaN for none). */
export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Parses a wrk-style duration ("8s", "500ms", "1m") into milliseconds. */
export function durationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(text).trim());
  if (!m) throw new Error(`bad duration: ${text}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

/** Asks the kernel for a free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A fresh database for a run: the tables made by make-db.mjs in a new SQLite
 * file under the temp dir, or in the PostgreSQL database at `url`.
 * Returns `{ file }` or `{ url }`, plus `remove()`.
 */
export async function freshDatabase({ url } = {}) {
  if (url) {
    await makePostgres(url);
    return { url, remove: async () => {} };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-tfb-'));
  const file = path.join(dir, 'tfb.db');
  await makeSqlite(file);
  return { file, remove: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One GET over a raw socket; resolves with the status once a head has arrived. */
function probe(port, reqPath) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    let buf = '';
    const fail = (e) => { sock.destroy(); reject(e); };
    sock.setTimeout(PROBE_TIMEOUT_MS, () => fail(new Error('probe timeout')));
    sock.on('error', fail);
    sock.on('connect', () => sock.write(`GET ${reqPath} HTTP/1.1\r\nHost: ${HOST}:${port}\r\n\r\n`));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      sock.destroy();
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(buf)?.[1]));
    });
    sock.on('end', () => fail(new Error('closed before a response head')));
  });
}

/**
 * Starts server `name` on a free port with the database in its environment,
 * pinned with taskset to `cpus` (unpinned when undefined), in its own process
 * group; resolves with `{ child, port, stderr() }` once it answers /plaintext.
 */
export async function startTfbServer(name, database, { cpus, nodeArgs = [] } = {}) {
  const entry = SERVERS[name];
  if (!entry) throw new Error(`unknown server ${name}; known: ${Object.keys(SERVERS).join(', ')}`);
  const env = { ...process.env };
  delete env.DB;
  delete env.DATABASE_URL;
  if (database.url) env.DATABASE_URL = database.url;
  else env.DB = database.file;
  return startNodeServer(name, path.join(TFB_DIR, entry.file), { env, cpus, nodeArgs, probePath: '/plaintext' });
}

/**
 * Starts the Node script `file` on a free port (PORT and HOST in its environment,
 * over `env`), pinned with taskset to `cpus` (unpinned when undefined), in its own
 * process group and tracked so that it never outlives this process; resolves with
 * `{ child, port, stderr() }` once a GET of `probePath` gets a response head.
 */
export async function startNodeServer(name, file, { env = process.env, cpus, nodeArgs = [], probePath = '/' } = {}) {
  const port = await freePort();
  const childEnv = { ...env, PORT: String(port), HOST };
  const argv = [process.execPath, ...nodeArgs, file];
  const child = cpus === undefined
    ? spawn(argv[0], argv.slice(1), { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('taskset', ['-c', cpus, ...argv], { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; live.delete(child); });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${exited.code ?? exited.signal}) before answering: ${stderr.trim().slice(-600)}`);
    try {
      await probe(port, probePath);
      return { child, port, stderr: () => stderr };
    } catch (e) {
      if (Date.now() > deadline) {
        await stopServer(child);
        throw new Error(`${name} did not answer within ${START_TIMEOUT_MS} ms: ${e.message}; stderr: ${stderr.trim().slice(-600)}`);
      }
      await sleep(100);
    }
  }
}

/** SIGTERM to the group, then SIGKILL after the grace period. */
export async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
  await done;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
}

/**
 * The wrk command line (without taskset) for one run. `headers` are extra request
 * fields ("Name: value", one -H each); `script` is a wrk Lua script, for a run that
 * is not pipelined (bench/batteries sends its preflights with one).
 */
export function wrkArgs({ port, reqPath, duration, connections, pipelineDepth, headers = [], script }) {
  const args = ['wrk', `-t${WRK_THREADS}`, `-c${connections}`, `-d${Math.max(1, Math.round(durationMs(duration) / 1000))}s`, '--latency'];
  for (const h of headers) args.push('-H', h);
  if (pipelineDepth) args.push('-s', path.join(BENCH_DIR, 'pipeline.lua'));
  else if (script) args.push('-s', script);
  args.push(`http://${HOST}:${port}${reqPath}`);
  if (pipelineDepth) args.push('--', String(pipelineDepth));
  return args;
}

/** Runs wrk pinned to `cpus`; resolves with req/s, latencies and error counts. */
export function runWrk(opts) {
  const argv = wrkArgs(opts);
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', opts.cpus, ...argv], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), durationMs(opts.duration) + WRK_SLACK_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      live.delete(child);
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out.trim().slice(-400)}`));
      resolve(parseWrk(out));
    });
  });
}

/** wrk's "1.23ms" / "456.00us" / "1.2s" in milliseconds. */
function wrkTimeMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
}

/** The summary of wrk's text output: req/s, p50/p99 latency, socket errors and non-2xx responses. */
export function parseWrk(out) {
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    latencyP50Ms: wrkTimeMs(/\s50%\s+(\S+)/.exec(out)?.[1]),
    latencyP99Ms: wrkTimeMs(/\s99%\s+(\S+)/.exec(out)?.[1]),
    errors: socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ). */
const CLOCK_TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU time (user + system, ms) used so far by `pid` and its descendants, from
 * /proc (utime and stime, fields 14 and 15). Server CPU per request is steadier
 * than req/s on a shared machine (bench/cpu-cost.sh measures it the same way).
 */
export function cpuTimeMs(pid) {
  const { userMs, systemMs } = cpuTimesMs(pid);
  return userMs + systemMs;
}

/** User and system CPU time (ms) used so far by `pid` and its descendants, apart (all their threads). */
export function cpuTimesMs(pid) {
  let user = 0;
  let system = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]);
      system += Number(f[12]);
    } catch { /* exited meanwhile */ }
  }
  return { userMs: (user * 1000) / CLOCK_TICKS_PER_S, systemMs: (system * 1000) / CLOCK_TICKS_PER_S };
}

/** First line of a command's output, or `fallback` when it fails. */
function firstLine(cmd, args, fallback) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return (`${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0] || fallback).trim();
}

/** A package's installed version, read from its package.json (no require: exports may hide it). */
function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/** Machine, runtime and tool versions recorded with every report. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: `${cpus[0]?.model ?? 'unknown'} x${cpus.length}`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    wrk: firstLine('wrk', ['--version'], 'wrk unknown').replace(/\s+Copyright.*$/, ''),
    git: firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], 'unknown'),
    packages: {
      keel: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      ...Object.fromEntries(['fastify', 'express', 'hono', '@hono/node-server', 'better-sqlite3', 'pg'].map((p) => [p, packageVersion(p)])),
    },
  };
}
