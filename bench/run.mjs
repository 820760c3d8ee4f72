#!/usr/bin/env node
/**
 * The load-benchmark harness: keel beside its peers, in one run, on loopback.
 *
 * Owns scenario definitions (which servers, which path, which wrk options),
 * starting and stopping each server, running wrk, and the markdown report
 * (stdout and bench/results/latest.md, plus latest.json with every sample).
 * It must not be part of CI (`.ci/run` never calls it), must only target
 * 127.0.0.1, and every run is bounded: each server is killed with its whole
 * process group when its run ends, and wrk is killed if it overstays.
 *
 * Method (DESIGN.md "Conformance and benchmarks"): interleaved rounds, each
 * round runs every server of the scenario once in a rotated order, so a slow
 * minute on the machine hits every server alike. Each run starts the server
 * fresh, probes it once (status and response size go in the table), warms it
 * up with an unmeasured wrk run, then measures. The server is pinned with
 * `taskset -c 0` and wrk with `taskset -c 1`; the `workers` scenario lets both
 * use both cores, since it measures scaling. The figure is the median req/s
 * over rounds, and the ratio is to node:http measured in the same run.
 *
 * Usage: node bench/run.mjs [--scenario hello,pipeline,app,static-1k,static-1m,workers,demo-workers|all]
 *          [--duration 8s] [--warmup 2s] [--rounds 3] [--connections 64]
 *          [--depth 16] [--servers name,name] [--extra name,name] [--out FILE] [--list]
 * Each flag also reads from an env variable: BENCH_SCENARIO, BENCH_DURATION,
 * BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_DEPTH, BENCH_SERVERS, BENCH_EXTRA.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './peers/args.mjs';
import { processTree } from './proc.mjs';
import { APP_BENCH_PATH } from './peers/routes.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const PEERS = path.join(BENCH_DIR, 'peers');
const KEEL_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const HOST = '127.0.0.1';

/** Default measured wrk duration per run (issue #3: `-d8s`). */
const DEFAULT_DURATION = '8s';
/** Default unmeasured warm-up before each measured run, so the JIT has settled. */
const DEFAULT_WARMUP = '2s';
/** Default number of interleaved rounds; the report gives the median. */
const DEFAULT_ROUNDS = 3;
/** Default open connections (issue #3: `-c64`). */
const DEFAULT_CONNECTIONS = 64;
/** Default pipelining depth for the `pipeline` scenario (issue #3: x16). */
const DEFAULT_DEPTH = 16;
/** wrk threads: one, pinned to its own core. */
const WRK_THREADS = 1;
/** How long a server may take to answer its first request before the run is failed. */
const START_TIMEOUT_MS = 15000;
/** Grace after SIGTERM before the server's process group gets SIGKILL. */
const STOP_GRACE_MS = 3000;
/** Slack above the wrk duration before wrk itself is killed. */
const WRK_SLACK_MS = 15000;
/** Exit status a peer uses to say "not installed here, skip me". */
const EXIT_UNAVAILABLE = 3;
/** Sizes of the static scenario files. */
const STATIC_1K_BYTES = 1024;
const STATIC_1M_BYTES = 1024 * 1024;

const CPU_SERVER = '0';
const CPU_WRK = '1';
const CPU_ALL = '0,1';

// ---------------------------------------------------------------------------
// Servers. `cmd(port, ctx)` returns argv; `baseline` marks the ratio's 1.0x.

const node = process.execPath;
const keel = (...args) => (port) => [node, KEEL_CLI, ...args, '--port', String(port), '--host', HOST];
const peer = (file, ...args) => (port, ctx) =>
  [node, path.join(PEERS, file), '--port', String(port), '--host', HOST, ...args.map((a) => (a === '@root' ? ctx.staticDir : a))];

/** Every server the harness knows; scenarios pick from these by name. */
const SERVERS = {
  keel: { label: 'keel hello', cmd: keel('hello'), needsBuild: true },
  'node-http': { label: 'node:http', cmd: peer('node-http.mjs') },
  fastify: { label: 'Fastify', cmd: peer('fastify.mjs') },
  'naive-net': { label: 'naive node:net loop', cmd: peer('naive-net.mjs') },
  'nginx-hello': { label: 'nginx (return 200)', cmd: peer('nginx.mjs', '--mode', 'hello') },
  'keel-app': { label: 'keel App, 50 routes', cmd: peer('keel-app.mjs'), needsBuild: true },
  'fastify-app': { label: 'Fastify, 50 routes', cmd: peer('fastify-routes.mjs') },
  'keel-static': {
    label: 'keel serve',
    cmd: (port, ctx) => [node, KEEL_CLI, 'serve', ctx.staticDir, '--port', String(port), '--host', HOST, ...ctx.keelServeArgs],
    needsBuild: true,
  },
  'node-static': { label: 'node:http + createReadStream', cmd: peer('node-http-static.mjs', '--root', '@root') },
  sirv: { label: 'sirv', cmd: peer('sirv.mjs', '--root', '@root') },
  'nginx-static': { label: 'nginx (sendfile)', cmd: peer('nginx.mjs', '--mode', 'static', '--root', '@root') },
  'keel-w1': { label: 'keel hello --workers 1', cmd: keel('hello', '--workers', '1'), needsBuild: true, group: 'keel', workers: 1 },
  'keel-w2': { label: 'keel hello --workers 2', cmd: keel('hello', '--workers', '2'), needsBuild: true, group: 'keel', workers: 2 },
  'demo-w1': {
    label: 'keel demo --workers 1', needsBuild: true, group: 'keel demo', workers: 1,
    cmd: (port) => [...keel('demo', '--workers', '1')(port), ...(process.env.KEEL_DEMO_ARGS ?? '').split(' ').filter(Boolean)],
  },
  'demo-w2': {
    label: 'keel demo --workers 2', needsBuild: true, group: 'keel demo', workers: 2,
    cmd: (port) => [...keel('demo', '--workers', '2')(port), ...(process.env.KEEL_DEMO_ARGS ?? '').split(' ').filter(Boolean)],
  },
  'cluster-w1': { label: 'node:http cluster x1', cmd: peer('node-http-cluster.mjs', '--workers', '1'), group: 'node:http', workers: 1 },
  'cluster-w2': { label: 'node:http cluster x2', cmd: peer('node-http-cluster.mjs', '--workers', '2'), group: 'node:http', workers: 2 },
};

/**
 * Scenarios: servers, request path, wrk script, CPU placement, the baseline
 * for the ratio column and the issue targets checked in the report.
 */
const SCENARIOS = {
  hello: {
    title: 'hello, keep-alive',
    servers: ['keel', 'node-http', 'fastify', 'naive-net'],
    path: '/', baseline: 'node-http',
    targets: [{ server: 'keel', vs: 'node-http', min: 1.5, issue: '#3' }],
  },
  pipeline: {
    title: 'hello, pipelined',
    servers: ['keel', 'node-http', 'fastify', 'naive-net'],
    path: '/', baseline: 'node-http', pipeline: true,
    targets: [{ server: 'keel', vs: 'node-http', min: 10, issue: '#3' }],
  },
  app: {
    title: 'hello through a 50-route app, keep-alive',
    servers: ['keel-app', 'fastify-app', 'keel', 'node-http'],
    path: APP_BENCH_PATH, baseline: 'node-http',
    targets: [{ server: 'keel-app', vs: 'node-http', min: 1.4, issue: '#4' }],
  },
  'static-1k': {
    title: 'static file, 1 KiB, keep-alive',
    servers: ['keel-static', 'node-static', 'sirv', 'nginx-static'],
    path: '/1k.txt', baseline: 'node-static',
    targets: [{ server: 'keel-static', vs: 'node-static', min: 2, issue: '#5' }],
  },
  'static-1m': {
    title: 'static file, 1 MiB, keep-alive',
    servers: ['keel-static', 'node-static', 'sirv', 'nginx-static'],
    path: '/1m.bin', baseline: 'node-static',
    targets: [{ server: 'keel-static', vs: 'nginx-static', min: 0.8, issue: '#5' }],
  },
  workers: {
    title: 'hello, keep-alive, cluster workers (server and wrk share both cores)',
    servers: ['keel-w1', 'keel-w2', 'cluster-w1', 'cluster-w2'],
    path: '/', baseline: 'cluster-w1', cpuServer: CPU_ALL, cpuWrk: CPU_ALL,
    // #8 sets no ratio target: it asks for the scaling column (x2 / x1).
  },
  'demo-workers': {
    title: "the demo's guestbook read page, keep-alive, 1 and 2 workers (server and wrk share both cores)",
    servers: ['demo-w1', 'demo-w2'],
    path: process.env.BENCH_DEMO_PATH ?? '/guestbook', baseline: 'demo-w1', cpuServer: CPU_ALL, cpuWrk: CPU_ALL,
  },
};

// ---------------------------------------------------------------------------
// Small helpers.

/** Parses a wrk-style duration ("8s", "500ms", "1m") into milliseconds. */
function durationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(text).trim());
  if (!m) throw new Error(`bad duration: ${text}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60000 : n * 1000;
}

/** wrk wants whole seconds or a unit it knows; normalise to seconds (at least 1). */
function wrkDuration(text) {
  return `${Math.max(1, Math.round(durationMs(text) / 1000))}s`;
}

/** Asks the kernel for a free loopback port (closed again before use). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs a short command and returns its stdout+stderr (nginx -v prints on stderr), or null when it fails. */
function tryExec(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  if (r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`.trim();
}

/** Machine, runtime and tool versions recorded with every report. */
function machineInfo() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: `${cpus[0]?.model ?? 'unknown'} x${cpus.length}`,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    // `wrk --version` prints its usage and exits 1, so read the first line whatever the status.
    wrk: (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0].replace(/\s+Copyright.*$/, '') || 'unknown',
    nginx: tryExec('/usr/sbin/nginx', ['-v'])?.replace(/^nginx version: /, '') ?? 'not installed',
    git: tryExec('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) ?? 'no commit yet',
  };
}

// ---------------------------------------------------------------------------
// Server lifecycle.

/** Live server process groups and wrk processes, so Ctrl-C or a crash never leaves one behind. */
const live = new Set();
const liveWrk = new Set();

function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

/** Starts `argv` pinned to `cpus` in its own process group; resolves when it answers. */
async function startServer(name, argv, cpus, probePath) {
  const child = spawn('taskset', ['-c', cpus, ...argv], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; live.delete(child); });
  const deadline = Date.now() + START_TIMEOUT_MS;
  const port = argv[argv.indexOf('--port') + 1];
  for (;;) {
    if (exited) {
      const err = new Error(`${name} exited (${exited.code ?? exited.signal}) before answering: ${stderr.trim().slice(-600)}`);
      err.unavailable = exited.code === EXIT_UNAVAILABLE;
      throw err;
    }
    try {
      const probe = await probeOnce(Number(port), probePath);
      return { child, probe, stderr: () => stderr };
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
async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
  await done;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL'); // stragglers of the group (cluster workers, nginx worker)
}

/**
 * Sends one GET over a raw socket and reads the response head and body.
 * Returns status, head bytes and body bytes: the table shows them so that a
 * server winning by sending less (or answering 404) is visible.
 */
function probeOnce(port, reqPath) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    let buf = Buffer.alloc(0);
    const fail = (e) => { sock.destroy(); reject(e); };
    sock.setTimeout(2000, () => fail(new Error('probe timeout')));
    sock.on('error', fail);
    sock.on('connect', () => sock.write(`GET ${reqPath} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nUser-Agent: keel-bench\r\nAccept: */*\r\n\r\n`));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end + 4).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const bodyBytes = buf.length - end - 4;
      if (cl && bodyBytes < Number(cl[1])) return;
      if (!cl && !/\r\ntransfer-encoding:/i.test(head)) { /* close-delimited: take what we have */ }
      sock.destroy();
      resolve({ status, headBytes: end + 4, bodyBytes, head });
    });
    sock.on('end', () => reject(new Error('closed before a full response')));
  });
}

// ---------------------------------------------------------------------------
// wrk.

/** Runs wrk pinned to `cpus`; resolves with its parsed summary. */
function runWrk({ port, reqPath, duration, connections, pipelineDepth, cpus }) {
  const args = ['-c', cpus, 'wrk', `-t${WRK_THREADS}`, `-c${connections}`, `-d${wrkDuration(duration)}`, '--latency'];
  if (pipelineDepth) args.push('-s', path.join(BENCH_DIR, 'pipeline.lua'));
  args.push(`http://${HOST}:${port}${reqPath}`);
  if (pipelineDepth) args.push('--', String(pipelineDepth));
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    liveWrk.add(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), durationMs(duration) + WRK_SLACK_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      liveWrk.delete(child);
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out.trim().slice(-400)}`));
      resolve(parseWrk(out));
    });
  });
}

/** Converts wrk's "1.23ms" / "456.00us" / "1.2s" to milliseconds. */
function wrkTimeMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return NaN;
  const n = Number(m[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60000 }[m[2]];
}

/** Converts wrk's "12.34MB" transfer figure to bytes. */
function wrkBytes(text) {
  const m = /^([\d.]+)(B|KB|MB|GB)$/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2]];
}

/** Pulls req/s, transfer/s, latencies and error counts out of wrk's text output. */
function parseWrk(out) {
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    transferBytesPerSec: wrkBytes(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1]),
    latencyAvgMs: wrkTimeMs(/Latency\s+(\S+)/.exec(out)?.[1]),
    latencyP50Ms: wrkTimeMs(/\s50%\s+(\S+)/.exec(out)?.[1]),
    latencyP99Ms: wrkTimeMs(/\s99%\s+(\S+)/.exec(out)?.[1]),
    requests: num(/(\d+) requests in/),
    errors: socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
  };
}

// ---------------------------------------------------------------------------
// Static files.

/** Creates the served directory with deterministic 1 KiB text and 1 MiB binary files. */
function makeStaticDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-static-'));
  fs.chmodSync(dir, 0o755); // nginx's worker runs as nobody
  const line = 'keel static benchmark: the quick brown fox jumps over the lazy dog.\n';
  fs.writeFileSync(path.join(dir, '1k.txt'), line.repeat(Math.ceil(STATIC_1K_BYTES / line.length)).slice(0, STATIC_1K_BYTES));
  const big = Buffer.alloc(STATIC_1M_BYTES);
  let x = 0x2545f491; // xorshift32: incompressible but reproducible bytes
  for (let i = 0; i < big.length; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    big.writeUInt32LE(x >>> 0, i);
  }
  fs.writeFileSync(path.join(dir, '1m.bin'), big);
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>keel bench</title><p>static benchmark root\n');
  return dir;
}

// ---------------------------------------------------------------------------
// Report.

const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtRatio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a');
const fmtMs = (n) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const fmtMiB = (n) => (Number.isFinite(n) ? (n / 2 ** 20).toFixed(1) : 'n/a');

function scenarioTable(sc, result, opts) {
  const lines = [];
  const wrkLine = `wrk -t${WRK_THREADS} -c${opts.connections} -d${wrkDuration(opts.duration)} --latency` +
    (sc.pipeline ? ` -s bench/pipeline.lua http://127.0.0.1:PORT${sc.path} -- ${opts.depth}` : ` http://127.0.0.1:PORT${sc.path}`);
  lines.push(`### ${result.name}: ${sc.title}`, '');
  lines.push(`\`${wrkLine}\`, server on cpu ${sc.cpuServer ?? CPU_SERVER}, wrk on cpu ${sc.cpuWrk ?? CPU_WRK}, ` +
    `${opts.rounds} interleaved rounds, ${opts.warmup} warm-up each; ratio to ${SERVERS[sc.baseline].label} of this run.`, '');
  const hasGroups = sc.servers.some((s) => SERVERS[s].group);
  lines.push(`| server | median req/s | vs ${SERVERS[sc.baseline].label} |${hasGroups ? ' scaling |' : ''} MiB/s | p50 ms | p99 ms | req/s per round | errors | response (head+body bytes) |`);
  lines.push(`|---|---:|---:|${hasGroups ? '---:|' : ''}---:|---:|---:|---|---:|---|`);
  const base = result.servers[sc.baseline]?.median;
  for (const name of Object.keys(result.servers)) {
    const r = result.servers[name];
    const label = SERVERS[name].label;
    if (!r || r.skipped) {
      lines.push(`| ${label} | skipped: ${r?.skipped ?? 'not run'} |${hasGroups ? ' |' : ''} | | | | | | |`);
      continue;
    }
    let scaling = '';
    if (hasGroups) {
      const s = SERVERS[name];
      const one = Object.entries(SERVERS).find(([, o]) => o.group === s.group && o.workers === 1)?.[0];
      scaling = ` ${one && result.servers[one]?.median ? fmtRatio(r.median / result.servers[one].median) : 'n/a'} |`;
    }
    const errs = r.samples.reduce((a, s) => a + s.errors + s.non2xx, 0);
    const probe = (r.probe ? `${r.probe.status} (${r.probe.headBytes}+${r.probe.bodyBytes})` : 'n/a') +
      (r.processes !== undefined && r.processes < SERVERS[name].workers + 1 ? `; only ${r.processes} process(es)!` : '');
    // wrk times a pipelined batch, not a request: its latencies would mislead there.
    const latency = (key) => (sc.pipeline ? 'n/a' : fmtMs(median(r.samples.map((s) => s[key]))));
    lines.push(`| ${label} | ${fmtInt(r.median)} | ${fmtRatio(r.median / base)} |${scaling} ${fmtMiB(median(r.samples.map((s) => s.transferBytesPerSec)))} | ` +
      `${latency('latencyP50Ms')} | ${latency('latencyP99Ms')} | ` +
      `${r.samples.map((s) => fmtInt(s.rps)).join(' / ')} | ${errs} | ${probe} |`);
  }
  for (const t of sc.targets ?? []) {
    const a = result.servers[t.server]?.median;
    const b = result.servers[t.vs]?.median;
    const ratio = a / b;
    const verdict = Number.isFinite(ratio) ? (ratio >= t.min ? 'PASS' : 'FAIL') : 'NOT MEASURED';
    lines.push('', `Target (${t.issue}): ${SERVERS[t.server].label} >= ${t.min}x ${SERVERS[t.vs].label}: ${fmtRatio(ratio)} **${verdict}**`);
  }
  lines.push('');
  return lines.join('\n');
}

function report(info, opts, results) {
  const head = [
    '# keel benchmark results', '',
    `- date: ${info.date}`,
    `- machine: ${info.cpu}, ${info.memGiB} GiB, ${info.kernel}`,
    `- Node ${info.node}; ${info.wrk}; nginx ${info.nginx}; keel git ${info.git}`,
    `- command: \`node bench/run.mjs ${opts.argvText}\``, '',
    'Errors = wrk socket errors + non-2xx responses over all rounds; a row with errors is not a valid figure.',
    'The response column is what one probe GET returned (status, head bytes + body bytes).', '', '',
  ];
  return head.join('\n') + results.map((r) => scenarioTable(SCENARIOS[r.name], r, opts)).join('\n');
}

// ---------------------------------------------------------------------------
// Main.

async function runScenario(name, opts, ctx) {
  const sc = SCENARIOS[name];
  const chosen = opts.servers ? sc.servers.filter((s) => opts.servers.includes(s)) : sc.servers;
  const servers = [...chosen, ...opts.extra.filter((s) => !chosen.includes(s))];
  const result = { name, servers: {} };
  for (const s of servers) result.servers[s] = { samples: [], probe: null, skipped: null };
  const cpuServer = sc.cpuServer ?? CPU_SERVER;
  const cpuWrk = sc.cpuWrk ?? CPU_WRK;
  for (let round = 0; round < opts.rounds; round++) {
    // Rotate the order each round so no server always runs first (cold machine) or last.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const s of order) {
      const r = result.servers[s];
      if (r.skipped) continue;
      if (SERVERS[s].needsBuild && !fs.existsSync(KEEL_CLI)) { r.skipped = 'dist/ missing: npm run build'; continue; }
      const port = await freePort();
      const argv = SERVERS[s].cmd(port, ctx);
      let srv;
      try {
        srv = await startServer(s, argv, cpuServer, sc.path);
      } catch (e) {
        r.skipped = e.unavailable ? 'not installed' : `failed to start (${e.message.slice(0, 200)})`;
        process.stderr.write(`  ${s}: ${r.skipped}\n`);
        continue;
      }
      try {
        r.probe ??= { status: srv.probe.status, headBytes: srv.probe.headBytes, bodyBytes: srv.probe.bodyBytes };
        if (SERVERS[s].workers > 1) {
          // A supervisor plus N workers: fewer processes means --workers was not honoured.
          const procs = processTree(srv.child.pid).length;
          r.processes = procs;
          if (procs < SERVERS[s].workers + 1) process.stderr.write(`  warning: ${s} runs ${procs} process(es), expected ${SERVERS[s].workers} workers + 1\n`);
        }
        if (srv.probe.status !== 200) process.stderr.write(`  warning: ${s} answered ${srv.probe.status} on ${sc.path}\n`);
        const wrkOpts = { port, reqPath: sc.path, connections: opts.connections, pipelineDepth: sc.pipeline ? opts.depth : 0, cpus: cpuWrk };
        if (durationMs(opts.warmup) > 0) await runWrk({ ...wrkOpts, duration: opts.warmup });
        const sample = await runWrk({ ...wrkOpts, duration: opts.duration });
        r.samples.push(sample);
        process.stderr.write(`  [${name} round ${round + 1}/${opts.rounds}] ${s}: ${fmtInt(sample.rps)} req/s` +
          `${sample.errors + sample.non2xx ? ` (${sample.errors} socket errors, ${sample.non2xx} non-2xx)` : ''}\n`);
      } catch (e) {
        process.stderr.write(`  ${s}: run failed: ${e.message}\n`);
      } finally {
        await stopServer(srv.child);
      }
    }
  }
  for (const s of servers) {
    const r = result.servers[s];
    r.median = median(r.samples.map((x) => x.rps));
    if (!r.skipped && r.samples.length === 0) r.skipped = 'no successful run';
  }
  return result;
}

async function main() {
  const a = parseArgs();
  const env = process.env;
  if (a.list) {
    for (const [n, sc] of Object.entries(SCENARIOS)) console.log(`${n.padEnd(13)} ${sc.title}: ${sc.servers.join(', ')}`);
    console.log(`\nservers (for --servers / --extra): ${Object.keys(SERVERS).join(', ')}`);
    return;
  }
  const scenarioArg = a.scenario ?? env.BENCH_SCENARIO ?? 'hello,pipeline';
  const names = scenarioArg === 'all' ? Object.keys(SCENARIOS) : scenarioArg.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!SCENARIOS[n]) throw new Error(`unknown scenario ${n}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const opts = {
    duration: a.duration ?? env.BENCH_DURATION ?? DEFAULT_DURATION,
    warmup: a.warmup ?? env.BENCH_WARMUP ?? DEFAULT_WARMUP,
    rounds: Number(a.rounds ?? env.BENCH_ROUNDS ?? DEFAULT_ROUNDS),
    connections: Number(a.connections ?? env.BENCH_CONNECTIONS ?? DEFAULT_CONNECTIONS),
    depth: Number(a.depth ?? env.BENCH_DEPTH ?? DEFAULT_DEPTH),
    servers: (a.servers ?? env.BENCH_SERVERS)?.split(',').map((s) => s.trim()),
    extra: (a.extra ?? env.BENCH_EXTRA ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    out: a.out ?? path.join(BENCH_DIR, 'results', 'latest.md'),
  };
  durationMs(opts.duration); durationMs(opts.warmup);
  opts.argvText = `--scenario ${names.join(',')} --duration ${opts.duration} --warmup ${opts.warmup} --rounds ${opts.rounds}` +
    ` --connections ${opts.connections}${names.includes('pipeline') ? ` --depth ${opts.depth}` : ''}` +
    (opts.servers ? ` --servers ${opts.servers.join(',')}` : '') + (opts.extra.length ? ` --extra ${opts.extra.join(',')}` : '');
  for (const n of [...(opts.servers ?? []), ...opts.extra]) if (!SERVERS[n]) throw new Error(`unknown server ${n}; known: ${Object.keys(SERVERS).join(', ')}`);
  for (const tool of ['wrk', 'taskset']) {
    if (tryExec('sh', ['-c', `command -v ${tool}`]) === null) throw new Error(`${tool} not found: apt-get install -y wrk util-linux`);
  }
  if (!fs.existsSync(KEEL_CLI)) process.stderr.write(`note: ${path.relative(ROOT, KEEL_CLI)} missing (run npm run build); keel rows will be skipped\n`);

  const ctx = {
    staticDir: names.some((n) => n.startsWith('static')) ? makeStaticDir() : null,
    keelServeArgs: (env.KEEL_SERVE_ARGS ?? '').split(' ').filter(Boolean),
  };
  const info = machineInfo();
  const results = [];
  try {
    for (const n of names) {
      process.stderr.write(`scenario ${n}\n`);
      results.push(await runScenario(n, opts, ctx));
    }
  } finally {
    if (ctx.staticDir) fs.rmSync(ctx.staticDir, { recursive: true, force: true });
  }
  const md = report(info, opts, results);
  process.stdout.write(md + '\n');
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, md + '\n');
  fs.writeFileSync(opts.out.replace(/\.md$/, '') + '.json', JSON.stringify({ info, opts, results }, null, 2) + '\n');
  process.stderr.write(`written ${path.relative(process.cwd(), opts.out)}\n`);
}

const cleanupAll = () => {
  for (const c of live) killGroup(c, 'SIGKILL');
  for (const w of liveWrk) w.kill('SIGKILL');
};
process.on('SIGINT', () => { cleanupAll(); process.exit(130); });
process.on('SIGTERM', () => { cleanupAll(); process.exit(143); });
process.on('exit', cleanupAll);
main().catch((e) => { process.stderr.write(`bench: ${e.stack ?? e}\n`); cleanupAll(); process.exit(1); });
