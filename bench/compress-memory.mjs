#!/usr/bin/env node
/**
 * On-the-fly compression memory under clients that never read (issue #12 item 7).
 *
 * Owns one bounded attack and its measurement: start `keel serve DIR --gzip` on a
 * generated text file (~6.7 MB by default), open N connections that each send one
 * `GET` with `Accept-Encoding: br` (or gzip) and then never read a byte, sample the
 * server's resident memory (VmRSS from /proc/PID/status) before, while the clients
 * hold on, and after they have left, and print a table. While the clients hold, it
 * also times one fresh identity request of a small file (the server must still answer).
 * It must only target 127.0.0.1, and it always stops what it starts: the server is
 * killed with its process group on any exit, and a global deadline ends the script.
 *
 * Usage: node bench/compress-memory.mjs [--clients 500] [--file-mb 6.7] [--encoding br|gzip]
 *          [--hold-ms 6000] [--after-ms 4000] [--cli dist/cli/main.js]
 * `--cli` lets the same attack run against another build (e.g. main built in /tmp).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './peers/args.mjs';
import { treeRssKiB } from './proc.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const HOST = '127.0.0.1';

/** Default attacking clients (issue #12: 500). */
const DEFAULT_CLIENTS = 500;
/** Default size of the served text file in MB (issue #12: 6.7 MB). */
const DEFAULT_FILE_MB = 6.7;
/** How long the clients hold their connections open, sampling meanwhile. */
const DEFAULT_HOLD_MS = 6000;
/** How long to keep sampling after the clients left (memory given back?). */
const DEFAULT_AFTER_MS = 4000;
/** Between two RSS samples. */
const SAMPLE_EVERY_MS = 250;
/** Connections opened at once: below the listen backlog, so no SYN is dropped and retried. */
const OPEN_BATCH = 100;
/** The server must print its listening line within this time. */
const START_TIMEOUT_MS = 10000;
/** Hard stop for the whole script, whatever happens (the brief: < 30 s by default). */
const SCRIPT_DEADLINE_MS = 60000;

const args = parseArgs();
const clients = Number(args.clients ?? DEFAULT_CLIENTS);
const fileMb = Number(args['file-mb'] ?? DEFAULT_FILE_MB);
const encoding = args.encoding ?? 'br';
const holdMs = Number(args['hold-ms'] ?? DEFAULT_HOLD_MS);
const afterMs = Number(args['after-ms'] ?? DEFAULT_AFTER_MS);
const cli = path.resolve(ROOT, args.cli ?? path.join('dist', 'cli', 'main.js'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
const sockets = new Set();
let dir;
function cleanup() {
  for (const s of sockets) s.destroy();
  if (server !== undefined && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch { /* gone already */ }
  }
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
setTimeout(() => {
  console.error(`deadline of ${SCRIPT_DEADLINE_MS} ms reached, stopping`);
  process.exit(2);
}, SCRIPT_DEADLINE_MS).unref();

/** Deterministic English-like text: compresses like real prose (about 3:1), not like a repeated line. */
function makeText(bytes) {
  const syllables = ['an', 'be', 'co', 'de', 'el', 'fi', 'ga', 'ho', 'in', 'ju', 'ka', 'lo', 'me', 'no', 'or', 'pu', 'qui', 're', 'st', 'th', 'ur', 've', 'wi', 'xe', 'yo', 'ze'];
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const words = Array.from({ length: 4000 }, () => Array.from({ length: 1 + rand(4) }, () => syllables[rand(syllables.length)]).join(''));
  const lines = [];
  let n = 0;
  while (n < bytes) {
    const line = Array.from({ length: 8 + rand(8) }, () => words[rand(words.length)]).join(' ') + '.\n';
    lines.push(line);
    n += line.length;
  }
  return lines.join('').slice(0, bytes);
}

function rssMiB() {
  return treeRssKiB(server.pid) / 1024;
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(process.execPath, [cli, 'serve', dir, '--gzip', '--port', '0', '--host', HOST, '--quiet'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => reject(new Error('server did not start')), START_TIMEOUT_MS);
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** One attacking client: sends the request, never reads (the socket stays paused). */
function attacker(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: HOST });
    sockets.add(sock);
    sock.pause();
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.on('connect', () => {
      sock.write(`GET /big.txt HTTP/1.1\r\nHost: ${HOST}\r\nAccept-Encoding: ${encoding}\r\n\r\n`);
      resolve();
    });
  });
}

/** A fresh client's request of a small file: ms until its whole response arrived. */
function probe(port) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = net.connect({ port, host: HOST }, () => sock.write(`GET /small.txt HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`));
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => (got.startsWith('HTTP/1.1 200') ? resolve(performance.now() - t0) : reject(new Error(`bad probe answer: ${got.slice(0, 40)}`))));
  });
}

/** Samples RSS every SAMPLE_EVERY_MS for `ms`; returns [last, peak]. */
async function sampleFor(ms) {
  let peak = 0;
  let last = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    last = rssMiB();
    peak = Math.max(peak, last);
    await sleep(SAMPLE_EVERY_MS);
  }
  return [last, peak];
}

async function main() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-compress-memory-'));
  fs.writeFileSync(path.join(dir, 'big.txt'), makeText(Math.round(fileMb * 1e6)));
  fs.writeFileSync(path.join(dir, 'small.txt'), 'hello\n');
  const port = await startServer();
  await probe(port); // warm-up: lazy init is not counted
  await sleep(500);
  const before = rssMiB();

  const t0 = performance.now();
  for (let i = 0; i < clients; i += OPEN_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(clients, i + OPEN_BATCH); j++) batch.push(attacker(port));
    await Promise.all(batch);
  }
  const openedMs = performance.now() - t0;
  const [, peakFirstHalf] = await sampleFor(holdMs / 2);
  const probeMs = await probe(port);
  const [during, peakSecondHalf] = await sampleFor(holdMs / 2);
  const peak = Math.max(peakFirstHalf, peakSecondHalf);

  for (const s of sockets) s.destroy();
  const [after1] = await sampleFor(Math.min(1000, afterMs));
  const [after] = await sampleFor(Math.max(0, afterMs - 1000));

  const row = (label, mib) => `| ${label.padEnd(34)} | ${mib.toFixed(0).padStart(7)} | ${(mib - before).toFixed(0).padStart(8)} |`;
  console.log(`keel serve --gzip (${path.relative(process.cwd(), cli) || cli}), ${clients} clients, ${fileMb} MB text, Accept-Encoding: ${encoding}, never read`);
  console.log(`node ${process.version}, ${os.cpus().length} cpus; clients connected in ${openedMs.toFixed(0)} ms; fresh request during the attack: ${probeMs.toFixed(0)} ms`);
  console.log('| moment                             | RSS MiB | vs before |');
  console.log('|------------------------------------|---------|-----------|');
  console.log(row('before', before));
  console.log(row(`peak while held (${holdMs} ms)`, peak));
  console.log(row('end of hold', during));
  console.log(row('1 s after the clients left', after1));
  console.log(row(`${(afterMs / 1000).toFixed(0)} s after the clients left`, after));
  console.log(`per client while held: ${(((peak - before) * 1024) / clients).toFixed(0)} KiB`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
