#!/usr/bin/env node
/**
 * Idle keep-alive connection memory: server RSS per open, idle connection.
 *
 * Owns one measurement (issue #3 part 6): start a server, warm it up, read
 * its resident memory, open N keep-alive connections that each send one GET,
 * read the whole response and then stay open doing nothing, wait for the
 * server to settle, read its memory again, and report
 * (after - before) / N in KiB. Memory is VmRSS from /proc/PID/status summed
 * over the server's process tree (nginx's worker, cluster workers). The
 * client runs in this process; the server in its own process group pinned to
 * cpu 0. It must only target 127.0.0.1 and always stop what it starts: each
 * server is killed with its group once measured, and a global deadline ends
 * the script whatever happens.
 *
 * Usage: node bench/idle-memory.mjs [--connections 5000] [--servers keel,node-http,naive-net]
 *          [--rounds 1] [--request small|browser] [--keel-baseline DIR] [--out bench/results/idle-memory.md]
 * Rounds are interleaved (round 1 of every server, then round 2...), each starting one server
 * later than the last, so a drift of the machine, or being measured first, hits every server alike. `--keel-baseline DIR` adds the server `keel-baseline`:
 * `keel hello` from another build's dist/ (e.g. a copy of the previous commit's), to compare
 * a change before/after in the same run. `--request browser` sends a 700-byte Chrome
 * navigation request instead of wrk's 40-byte GET: what a server keeps of the last request
 * of an idle connection shows there.
 * Env: KEEL_HELLO_ARGS adds flags to `keel hello` (e.g. a longer idle timeout).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './peers/args.mjs';
import { treeRssKiB } from './proc.mjs';
import { browserGet } from './requests.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const PEERS = path.join(BENCH_DIR, 'peers');
const KEEL_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const HOST = '127.0.0.1';

/** Default idle connections held open (issue #3: 5,000). */
const DEFAULT_CONNECTIONS = 5000;
/** Connections opened at once; below the listen backlog so no SYN is dropped and retried. */
const OPEN_BATCH = 200;
/** Warm-up requests (on short-lived connections) before the "before" reading, so lazy init is not counted. */
const WARMUP_CONNECTIONS = 200;
/** Settle time before each RSS reading, for the server to finish its work and the allocator to settle. */
const SETTLE_MS = 1500;
/** Node's default keepAliveTimeout (5 s) would close the idle sockets mid-measure; the node:http peer gets this instead. */
const PEER_KEEP_ALIVE_TIMEOUT_MS = 600000;
/** A server must answer within this time at start. */
const START_TIMEOUT_MS = 15000;
/** One connection's request must complete within this time. */
const REQUEST_TIMEOUT_MS = 10000;
/** Hard stop for the whole script, so it ends even if a server hangs. */
const SCRIPT_DEADLINE_MS = 10 * 60 * 1000;
/** File descriptors needed per idle connection in this process, plus headroom. */
const FD_HEADROOM = 512;
const CPU_SERVER = '0';

const node = process.execPath;
const keelHello = (cli) => (port) => [node, cli, 'hello', '--port', String(port), '--host', HOST,
  ...(process.env.KEEL_HELLO_ARGS ?? '').split(' ').filter(Boolean)];
const SERVERS = {
  keel: { label: 'keel hello', argv: keelHello(KEEL_CLI), cli: KEEL_CLI },
  'node-http': {
    label: 'node:http',
    argv: (port) => [node, path.join(PEERS, 'node-http.mjs'), '--port', String(port), '--host', HOST,
      '--keep-alive-timeout-ms', String(PEER_KEEP_ALIVE_TIMEOUT_MS)],
  },
  'naive-net': { label: 'naive node:net loop', argv: (port) => [node, path.join(PEERS, 'naive-net.mjs'), '--port', String(port), '--host', HOST] },
  nginx: { label: 'nginx (return 200)', argv: (port) => [node, path.join(PEERS, 'nginx.mjs'), '--port', String(port), '--host', HOST, '--mode', 'hello'] },
};
const DEFAULT_SERVERS = ['keel', 'node-http', 'naive-net'];

/** The request each connection sends (`--request`): wrk's GET, or a browser's (bench/requests.mjs). */
const REQUESTS = {
  small: (port) => `GET / HTTP/1.1\r\nHost: ${HOST}:${port}\r\n\r\n`,
  browser: (port) => browserGet(`${HOST}:${port}`),
};
let request = REQUESTS.small;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits. */
function openFileLimit() {
  const m = /Max open files\s+(\d+|unlimited)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** Re-runs this script under `ulimit -n` when the limit is too low for N sockets (once). */
function ensureFileLimit(needed) {
  if (openFileLimit() >= needed) return false;
  if (process.env.KEEL_BENCH_ULIMIT_RAISED) throw new Error(`ulimit -n is ${openFileLimit()}, need ${needed}; raise it and rerun`);
  const script = fileURLToPath(import.meta.url);
  const quoted = [node, script, ...process.argv.slice(2)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('bash', ['-c', `ulimit -n ${needed} && exec ${quoted}`], {
    stdio: 'inherit', env: { ...process.env, KEEL_BENCH_ULIMIT_RAISED: '1' },
  });
  child.on('exit', (code) => process.exit(code ?? 1));
  return true;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/**
 * Opens one connection, sends one GET and resolves with the socket once the
 * whole response (head and Content-Length body) has arrived; the socket stays
 * open. `onServerClose` is called if the server later closes it.
 */
function openIdle(port, onServerClose) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('request timeout')); }, REQUEST_TIMEOUT_MS);
    sock.on('connect', () => sock.write(request(port)));
    sock.on('data', (d) => {
      if (done) return;
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
      if (!cl || buf.length - end - 4 < Number(cl[1])) return;
      done = true;
      buf = null;
      clearTimeout(timer);
      resolve(sock);
    });
    sock.on('error', (e) => { if (!done) { clearTimeout(timer); reject(e); } });
    sock.on('close', () => { if (done) onServerClose(); else { clearTimeout(timer); reject(new Error('closed before response')); } });
  });
}

/** Server process groups still running, killed on any exit of this script. */
const live = new Set();
process.on('exit', () => { for (const c of live) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } } });
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

async function startServer(name, port) {
  const child = spawn('taskset', ['-c', CPU_SERVER, ...SERVERS[name].argv(port)], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${stderr.trim()}`);
    try {
      const s = await openIdle(port, () => {});
      s.destroy();
      return child;
    } catch (e) {
      if (Date.now() > deadline) { await stopServer(child); throw new Error(`${name} did not start: ${e.message} ${stderr.trim()}`); }
      await sleep(100);
    }
  }
}

async function stopServer(child) {
  const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  if (child.exitCode === null && child.signalCode === null) {
    const done = new Promise((r) => child.once('exit', r));
    kill('SIGTERM');
    const t = setTimeout(() => kill('SIGKILL'), 3000);
    await done;
    clearTimeout(t);
  }
  kill('SIGKILL');
}

/** The RSS reading: the server's tree taken after a settle pause. */
async function settledRss(pid) {
  await sleep(SETTLE_MS);
  return treeRssKiB(pid);
}

async function measure(name, connections) {
  const port = await freePort();
  const child = await startServer(name, port);
  const serverPid = child.pid; // taskset execs, so this is the server's own pid
  const sockets = [];
  let closedByServer = 0;
  try {
    for (let i = 0; i < WARMUP_CONNECTIONS; i += OPEN_BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, WARMUP_CONNECTIONS - i) }, () => openIdle(port, () => {})));
      for (const s of batch) s.destroy();
    }
    const before = await settledRss(serverPid);
    const t0 = Date.now();
    for (let i = 0; i < connections; i += OPEN_BATCH) {
      const n = Math.min(OPEN_BATCH, connections - i);
      sockets.push(...(await Promise.all(Array.from({ length: n }, () => openIdle(port, () => { closedByServer++; })))));
    }
    const openMs = Date.now() - t0;
    const after = await settledRss(serverPid);
    return {
      name, connections, before, after, openMs, closedByServer,
      perConnKiB: (after - before) / connections,
    };
  } finally {
    for (const s of sockets) s.destroy();
    await stopServer(child);
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main() {
  const a = parseArgs();
  const connections = Number(a.connections ?? process.env.BENCH_IDLE_CONNECTIONS ?? DEFAULT_CONNECTIONS);
  if (ensureFileLimit(connections * 2 + FD_HEADROOM)) return; // the re-run under a raised ulimit takes over
  const deadline = setTimeout(() => { process.stderr.write('idle-memory: deadline reached, stopping\n'); process.exit(2); }, SCRIPT_DEADLINE_MS);
  deadline.unref();
  if (a['keel-baseline'] !== undefined) {
    const cli = path.resolve(a['keel-baseline'], 'cli', 'main.js');
    SERVERS['keel-baseline'] = { label: `keel hello (${a['keel-baseline']})`, argv: keelHello(cli), cli };
  }
  const names = (a.servers ?? [...(a['keel-baseline'] !== undefined ? ['keel-baseline'] : []), ...DEFAULT_SERVERS].join(','))
    .split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!SERVERS[n]) throw new Error(`unknown server ${n}; known: ${Object.keys(SERVERS).join(', ')}`);
  const rounds = Number(a.rounds ?? 1);
  const requestName = a.request ?? 'small';
  if (!REQUESTS[requestName]) throw new Error(`unknown request ${requestName}; known: ${Object.keys(REQUESTS).join(', ')}`);
  request = REQUESTS[requestName];
  const out = a.out ?? path.join(BENCH_DIR, 'results', 'idle-memory.md');

  const samplesOf = new Map(names.map((n) => [n, []]));
  const missing = new Set(names.filter((n) => SERVERS[n].cli !== undefined && !fs.existsSync(SERVERS[n].cli)));
  for (let r = 0; r < rounds; r++) {
    // Each round starts one server later, so none is always measured first (a fresh machine).
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      if (missing.has(n)) continue;
      try {
        const m = await measure(n, connections);
        samplesOf.get(n).push(m);
        process.stderr.write(`  [round ${r + 1}/${rounds}] ${n}: ${m.before} -> ${m.after} KiB, ${m.perConnKiB.toFixed(2)} KiB/conn` +
          `${m.closedByServer ? `, ${m.closedByServer} closed by server (invalid)` : ''}\n`);
      } catch (e) {
        process.stderr.write(`  [round ${r + 1}/${rounds}] ${n}: ${e.message}\n`);
      }
    }
  }
  const rows = names.map((n) => {
    if (missing.has(n)) return { name: n, skipped: `${path.relative(ROOT, SERVERS[n].cli)} missing: npm run build` };
    const samples = samplesOf.get(n);
    return samples.length ? { name: n, samples } : { name: n, skipped: 'failed' };
  });

  const base = rows.find((r) => r.name === 'node-http' && r.samples);
  const baseKiB = base ? median(base.samples.map((s) => s.perConnKiB)) : NaN;
  const lines = [
    '# Idle keep-alive connection memory', '',
    `- date: ${new Date().toISOString()}; Node ${process.version}; ${os.cpus()[0]?.model} x${os.cpus().length}`,
    `- command: \`node bench/idle-memory.mjs --connections ${connections} --servers ${names.join(',')} --rounds ${rounds} --request ${requestName}\``,
    `- method: ${WARMUP_CONNECTIONS} warm-up requests, then ${connections} connections each send one GET (${requestName}: ${Buffer.byteLength(request(0))} bytes), read the response and stay open;`,
    `  rounds interleaved (every server once per round, the order rotated each round), median of the rounds shown;`,
    `  server VmRSS (process tree) read ${SETTLE_MS} ms after the warm-up and ${SETTLE_MS} ms after the last connection opened.`, '',
    `| server | KiB per idle connection | vs node:http | KiB per round | RSS before -> after (KiB), last round | closed by server | open time ms |`,
    '|---|---:|---:|---|---|---:|---:|',
  ];
  for (const r of rows) {
    if (r.skipped) { lines.push(`| ${SERVERS[r.name].label} | skipped: ${r.skipped} | | | | | |`); continue; }
    const kib = median(r.samples.map((s) => s.perConnKiB));
    const s = r.samples[r.samples.length - 1];
    const closed = r.samples.reduce((x, y) => x + y.closedByServer, 0);
    lines.push(`| ${SERVERS[r.name].label} | ${kib.toFixed(2)}${closed ? ' (invalid)' : ''} | ${Number.isFinite(baseKiB) ? `${(kib / baseKiB).toFixed(2)}x` : 'n/a'} | ${r.samples.map((x) => x.perConnKiB.toFixed(2)).join(' / ')} | ${s.before} -> ${s.after} | ${closed} | ${s.openMs} |`);
  }
  const keelRow = rows.find((r) => r.name === 'keel' && r.samples);
  if (keelRow && Number.isFinite(baseKiB)) {
    const kib = median(keelRow.samples.map((s) => s.perConnKiB));
    lines.push('', `Target (#3): keel <= node:http per connection (${baseKiB.toFixed(2)} KiB), aim 4 KiB: ${kib.toFixed(2)} KiB ` +
      `**${kib <= baseKiB ? 'PASS' : 'FAIL'}**`);
  }
  const md = lines.join('\n') + '\n';
  process.stdout.write(md);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, md);
}

main().catch((e) => { process.stderr.write(`idle-memory: ${e.stack ?? e}\n`); process.exit(1); });
