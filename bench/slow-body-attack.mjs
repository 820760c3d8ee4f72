#!/usr/bin/env node
/**
 * Slow-body attack: can a fresh client still get an answer while thousands of
 * connections trickle request bodies? (issue #12 item 6)
 *
 * Owns one measurement. It starts a keel server on 127.0.0.1 in a child
 * process, opens `--connections` attack connections (in batches), each of which
 * sends `POST /` with `Content-Length: --content-length` and then
 * `--trickle-bytes` bytes of body every `--trickle-ms` (10 bytes every 10 s by
 * default: the attack), and meanwhile sends a probe every `--probe-ms`:
 * a fresh connection with one GET, served or not within 1 s. It reports the
 * probes served within 1 s, their latencies, and how many attack connections
 * the server had closed by the end and when.
 *
 * Targets:
 *  - `early` (default): a handler that answers before reading the body, so the
 *    server is left discarding it (`res.end('early')`).
 *  - `read`: a handler that reads the whole body, then answers.
 *  - `echo`: `keel echo` (reads the whole body first), with its defaults.
 * `KEEL_SERVER_OPTIONS` (JSON) adds server options to `early` and `read`, e.g.
 * `{"maxConnections":3000}` to see, with 4,000 attackers, what 10,000 did to
 * the default limit without opening 10,000 sockets on a shared machine.
 *
 * It must only target 127.0.0.1, is bounded (`--duration-ms`, at most 30 s) and
 * always stops what it starts: the server's process group is killed on any exit.
 *
 * Usage: node bench/slow-body-attack.mjs [--target early|read|echo] [--connections 4000]
 *          [--content-length 1000000] [--trickle-bytes 10] [--trickle-ms 10000]
 *          [--duration-ms 20000] [--probe-ms 250] [--dist dist]
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './peers/args.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const HOST = '127.0.0.1';

/** Attack connections: the brief bounds this run to 2,000-5,000 on the shared machine. */
const DEFAULT_CONNECTIONS = 4000;
const MAX_CONNECTIONS = 5000;
/** Connections opened at once; below the listen backlog (511) so no SYN is dropped. */
const OPEN_BATCH = 200;
/** The attack: a 1 MB body announced, 10 bytes sent every 10 s. */
const DEFAULT_CONTENT_LENGTH = 1_000_000;
const DEFAULT_TRICKLE_BYTES = 10;
const DEFAULT_TRICKLE_MS = 10_000;
const DEFAULT_DURATION_MS = 20_000;
const MAX_DURATION_MS = 30_000;
const DEFAULT_PROBE_MS = 250;
/** A probe is served when its whole response arrives within this. */
const PROBE_BUDGET_MS = 1000;
const START_TIMEOUT_MS = 15_000;
/** Hard stop for the whole script, whatever happens. */
const SCRIPT_DEADLINE_MS = 90_000;
/** File descriptors this process needs: the attack sockets, the probes, headroom. */
const FD_HEADROOM = 512;

const args = parseArgs();
const target = args.target ?? 'early';
const connections = Math.min(Number(args.connections ?? DEFAULT_CONNECTIONS), MAX_CONNECTIONS);
const contentLength = Number(args['content-length'] ?? DEFAULT_CONTENT_LENGTH);
const trickleBytes = Number(args['trickle-bytes'] ?? DEFAULT_TRICKLE_BYTES);
const trickleMs = Number(args['trickle-ms'] ?? DEFAULT_TRICKLE_MS);
const durationMs = Math.min(Number(args['duration-ms'] ?? DEFAULT_DURATION_MS), MAX_DURATION_MS);
const probeMs = Number(args['probe-ms'] ?? DEFAULT_PROBE_MS);
const dist = path.resolve(ROOT, args.dist ?? 'dist');
const extraOptions = process.env.KEEL_SERVER_OPTIONS ?? '{}';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
process.on('exit', () => {
  if (server !== undefined) try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
});
setTimeout(() => {
  console.error('slow-body-attack: script deadline passed, stopping');
  process.exit(2);
}, SCRIPT_DEADLINE_MS).unref();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** The `early` and `read` targets: a Server whose handler answers without reading the body, or after. */
function serverSource(port) {
  const serverUrl = pathToFileURL(path.join(dist, 'server', 'server.js')).href;
  const handler = target === 'read'
    ? `async (req, res) => res.end('read ' + (await req.bytes()).length + '\\n')`
    : `(req, res) => res.end('early\\n')`;
  return `import { Server } from ${JSON.stringify(serverUrl)};
const server = new Server(${handler}, { onError: () => {}, ...${extraOptions} });
await server.listen(${port}, ${JSON.stringify(HOST)});
process.on('SIGTERM', () => server.close(1000).then(() => process.exit(0)));`;
}

function startServer(port) {
  const argv = target === 'echo'
    ? [path.join(dist, 'cli', 'main.js'), 'echo', '--port', String(port), '--host', HOST]
    : ['--input-type=module', '-e', serverSource(port)];
  // The server's own fd limit must hold every attack connection.
  const cmd = `ulimit -n ${connections + FD_HEADROOM} && exec "$0" "$@"`;
  server = spawn('bash', ['-c', cmd, process.execPath, ...argv], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
  return () => stderr;
}

/** One GET on a fresh connection: resolves with { ms } when answered within budget, or { error }. */
function probe(port) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect(port, HOST);
    let buf = '';
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ error: 'no answer within 1 s' }), PROBE_BUDGET_MS);
    sock.on('connect', () => sock.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const cl = Number(/\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length >= end + 4 + cl) finish({ ms: performance.now() - t0 });
    });
    sock.on('error', (err) => finish({ error: err.code ?? err.message }));
    sock.on('close', () => finish({ error: 'closed without an answer' }));
  });
}

/** Attack connection bookkeeping. */
const attack = { opened: 0, failedToOpen: 0, answered: 0, closedByServer: [], sockets: new Set() };

function openAttacker(port, t0) {
  return new Promise((resolve) => {
    const sock = net.connect(port, HOST);
    let timer;
    sock.on('connect', () => {
      attack.opened++;
      attack.sockets.add(sock);
      sock.write(`POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${contentLength}\r\n\r\n${'x'.repeat(trickleBytes)}`);
      let sent = trickleBytes;
      timer = setInterval(() => {
        if (sent + trickleBytes > contentLength) return;
        sent += trickleBytes;
        sock.write('x'.repeat(trickleBytes));
      }, trickleMs);
      resolve();
    });
    let answered = false;
    sock.on('data', () => {
      if (!answered) attack.answered++;
      answered = true;
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(timer);
      if (attack.sockets.delete(sock)) attack.closedByServer.push(Date.now() - t0);
      else { attack.failedToOpen++; resolve(); }
    });
  });
}

function summary(values) {
  if (values.length === 0) return 'n/a';
  const v = [...values].sort((a, b) => a - b);
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return `median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${v[v.length - 1].toFixed(1)} ms`;
}

async function main() {
  const port = await freePort();
  const stderr = startServer(port);
  const startBy = Date.now() + START_TIMEOUT_MS;
  while (!('ms' in (await probe(port)))) {
    if (Date.now() > startBy) throw new Error(`server did not start: ${stderr()}`);
    await sleep(100);
  }
  console.log(`slow-body-attack: target ${target} (${dist}), options ${target === 'echo' ? 'keel echo defaults' : extraOptions}; ` +
    `${connections} connections POST Content-Length ${contentLength} and send ${trickleBytes} bytes every ${trickleMs} ms; ` +
    `a fresh GET every ${probeMs} ms for ${durationMs} ms`);

  const t0 = Date.now();
  const probes = [];
  const probing = (async () => {
    while (Date.now() - t0 < durationMs) {
      probes.push(probe(port).then((r) => ({ ...r, at: Date.now() - t0 })));
      await sleep(probeMs);
    }
  })();
  for (let i = 0; i < connections && Date.now() - t0 < durationMs; i += OPEN_BATCH) {
    const n = Math.min(OPEN_BATCH, connections - i);
    await Promise.all(Array.from({ length: n }, () => openAttacker(port, t0)));
  }
  const openedMs = Date.now() - t0;
  await probing;
  const results = await Promise.all(probes);
  const stillOpen = attack.sockets.size;
  for (const s of attack.sockets) s.destroy();

  const served = results.filter((r) => 'ms' in r);
  const failed = results.filter((r) => !('ms' in r));
  const reasons = {};
  for (const r of failed) reasons[r.error] = (reasons[r.error] ?? 0) + 1;
  const firstFail = failed.length > 0 ? Math.min(...failed.map((r) => r.at)) : undefined;
  const lastFail = failed.length > 0 ? Math.max(...failed.map((r) => r.at)) : undefined;
  console.log(`attack: ${attack.opened} connections opened in ${openedMs} ms (${attack.failedToOpen} failed to open), ` +
    `${attack.answered} got a response; closed by the server during the run: ${attack.closedByServer.length} ` +
    `(${summary(attack.closedByServer).replace(/ ms/g, ' ms after start')}); still open at the end: ${stillOpen}`);
  console.log(`probes: ${served.length}/${results.length} served within ${PROBE_BUDGET_MS} ms (${summary(served.map((r) => r.ms))})` +
    (failed.length > 0 ? `; failed: ${JSON.stringify(reasons)} between ${firstFail} and ${lastFail} ms` : ''));
  const exited = new Promise((r) => server.once('exit', r));
  try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
  await Promise.race([exited, sleep(3000)]);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
