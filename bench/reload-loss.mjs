#!/usr/bin/env node
/**
 * Requests lost across rolling reloads (and a graceful stop) of `keel hello --workers N`.
 *
 * Owns one measurement (issue #12 item 10): start `keel hello --workers 2` on
 * 127.0.0.1, drive it with keep-alive clients that send one GET at a time and
 * count every request written against every response read, send SIGHUP twice
 * during the run (each reload waits for the previous one's "reload complete"),
 * then SIGTERM the supervisor while the load still runs. A request is *lost*
 * when its connection ends (FIN or reset) before any byte of its response
 * arrived; *cut* when some bytes arrived but not the whole response. After the
 * SIGTERM the clients stop (new connections are refused), so the lost figure
 * of the stop phase is reported apart: those are requests in flight when the
 * server went away, which HTTP/1.1 lets a client retry (RFC 9112 §9.3.1) and
 * which the server must never have read (docs/deploy.md).
 *
 * It must only target 127.0.0.1, is bounded in time (`--duration-ms`, at most
 * 20 s of load) and always stops what it starts: the server's process group is
 * killed on any exit of this script.
 *
 * Usage: node bench/reload-loss.mjs [--connections 32] [--duration-ms 12000] [--workers 2]
 *          [--dist dist]   (a build of keel: e.g. a copy of an older dist/ to compare)
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './peers/args.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const HOST = '127.0.0.1';

/** Keep-alive client connections (wrk's default is 10; the run used more). */
const DEFAULT_CONNECTIONS = 32;
/** Load duration before the SIGTERM; the machine is shared, so it is capped at 20 s. */
const DEFAULT_DURATION_MS = 12_000;
const MAX_DURATION_MS = 20_000;
/** When the two SIGHUPs are sent, as fractions of the duration. */
const RELOAD_AT = [0.25, 0.6];
/** A server must answer within this at start. */
const START_TIMEOUT_MS = 15_000;
/** Hard stop for the whole script, whatever happens. */
const SCRIPT_DEADLINE_MS = 60_000;

const args = parseArgs();
const connections = Number(args.connections ?? DEFAULT_CONNECTIONS);
const durationMs = Math.min(Number(args['duration-ms'] ?? DEFAULT_DURATION_MS), MAX_DURATION_MS);
const workers = Number(args.workers ?? 2);
const dist = path.resolve(ROOT, args.dist ?? 'dist');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
process.on('exit', () => {
  if (server !== undefined) try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
});
setTimeout(() => {
  console.error('reload-loss: script deadline passed, stopping');
  process.exit(2);
}, SCRIPT_DEADLINE_MS).unref();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/**
 * Counters by phase: 'load' (reloads included) and 'stop' (after SIGTERM). A request's outcome
 * counts in the phase it is seen in: a request lost right after the SIGTERM is the stop's.
 */
const stats = {
  load: { sent: 0, ok: 0, lostFresh: 0, lostReused: 0, cut: 0, refused: 0 },
  stop: { sent: 0, ok: 0, lostFresh: 0, lostReused: 0, cut: 0, refused: 0 },
};
let phase = 'load';
let running = true;

/**
 * One client: a keep-alive connection sending GET / and reading each response
 * (Content-Length framed, as keel hello answers) before the next. It reconnects
 * after `Connection: close` or a lost request, until `running` is false.
 */
async function client(port) {
  while (running) {
    await new Promise((resolve) => {
      const sock = net.connect(port, HOST);
      let buf = Buffer.alloc(0);
      let outstanding = false;
      let served = 0; // responses on this connection: 0 means a fresh connection
      let closeAfter = false;
      const send = () => {
        if (!running || closeAfter) { sock.end(); return; }
        stats[phase].sent++;
        outstanding = true;
        sock.write(`GET / HTTP/1.1\r\nHost: ${HOST}:${port}\r\n\r\n`);
      };
      sock.on('connect', send);
      sock.on('data', (d) => {
        buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          const cl = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + cl) return;
          buf = buf.subarray(end + 4 + cl);
          outstanding = false;
          served++;
          stats[phase].ok++;
          if (/\r\nconnection:\s*close/i.test(head)) closeAfter = true;
          send();
        }
      });
      sock.on('error', (err) => {
        if (err.code === 'ECONNREFUSED') stats[phase].refused++;
      });
      sock.on('close', () => {
        if (outstanding) {
          if (buf.length > 0) stats[phase].cut++;
          else if (served === 0) stats[phase].lostFresh++;
          else stats[phase].lostReused++;
        }
        resolve();
      });
    });
    if (phase === 'stop') return; // the server is going away: nothing to reconnect to
  }
}

async function main() {
  const port = await freePort();
  const cli = path.join(dist, 'cli', 'main.js');
  server = spawn(process.execPath, [cli, 'hello', '--port', String(port), '--host', HOST, '--workers', String(workers)], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const logWaiters = [];
  server.stderr.on('data', (d) => {
    log += d;
    for (const w of [...logWaiters]) w();
  });
  const waitLog = (re, from) => new Promise((resolve) => {
    const check = () => {
      if (re.test(log.slice(from))) {
        logWaiters.splice(logWaiters.indexOf(check), 1);
        resolve();
      }
    };
    logWaiters.push(check);
    check();
  });
  const started = Date.now();
  await Promise.race([waitLog(/worker\(s\) ready/, 0), sleep(START_TIMEOUT_MS).then(() => { throw new Error(`server did not start: ${log}`); })]);
  console.log(`reload-loss: ${cli} hello --workers ${workers} on ${HOST}:${port} (ready in ${Date.now() - started} ms); ` +
    `${connections} keep-alive connections for ${durationMs} ms, SIGHUP at ${RELOAD_AT.map((f) => Math.round(f * durationMs)).join(' and ')} ms, then SIGTERM`);

  const clients = Array.from({ length: connections }, () => client(port));
  const t0 = Date.now();
  let reloads = 0;
  for (const at of RELOAD_AT) {
    await sleep(Math.max(0, t0 + at * durationMs - Date.now()));
    const from = log.length;
    process.kill(server.pid, 'SIGHUP');
    await waitLog(/reload complete|reload aborted/, from);
    reloads++;
  }
  await sleep(Math.max(0, t0 + durationMs - Date.now()));
  const loadMs = Date.now() - t0;
  phase = 'stop';
  const exited = new Promise((resolve) => server.once('exit', resolve));
  process.kill(server.pid, 'SIGTERM');
  await exited;
  running = false;
  await Promise.all(clients);
  server = undefined;

  const row = (name, s) => `${name.padEnd(6)} sent ${String(s.sent).padStart(8)}  answered ${String(s.ok).padStart(8)}  ` +
    `lost ${s.lostFresh + s.lostReused} (fresh conn ${s.lostFresh}, reused conn ${s.lostReused})  cut ${s.cut}  refused connects ${s.refused}`;
  console.log(`reloads completed: ${reloads}; load phase ${loadMs} ms, ${Math.round(stats.load.ok / (loadMs / 1000))} req/s`);
  console.log(row('load', stats.load));
  console.log(row('stop', stats.stop));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
