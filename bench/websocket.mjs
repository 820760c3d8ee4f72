#!/usr/bin/env node
/**
 * WebSocket echo benchmark (#15): messages/s echoed by keel (dist/, upgradeWebSocket), by
 * `ws` on node:http and by Bun's ServerWebSocket (`Bun.serve`, from the npm package `bun`
 * through `npx --yes bun`; left out, saying so, when it cannot be had), in one run, same load
 * generator, at 64 B, 1 KiB and 16 KiB; and each server's CPU time per message (utime + stime
 * from /proc/PID/stat over the counted window, as bench/cpu-cost.sh does), steadier than
 * messages/s on a shared machine.
 *
 * Owns the two echo servers (child processes, pinned to cpu 0 with taskset when present,
 * killed when the script ends), the load generator (this process, pinned to cpu 1) and the
 * report. The generator is not a WebSocket library: each connection writes pre-masked binary
 * frames and keeps `--window` messages in flight, and counts echoes by bytes (an unmasked
 * server frame of known size), so the client costs little next to the server (uWS warns that
 * Node ws clients cannot saturate a server). Rounds are interleaved (keel, ws, keel, ws...)
 * and the median is reported: the shared VM swings between runs. Loopback only, about
 * 15 s with the defaults. permessage-deflate is off on both sides.
 *
 * `--memory N` measures instead the server's resident memory per open, idle WebSocket (VmRSS
 * of the server process before and after N connections, settled, with gc), without and with
 * permessage-deflate (each connection then sends one compressed 2 KiB message and reads the
 * compressed echo, so both zlib streams exist, as on a connection in use).
 *
 * Usage: npm run build && node bench/websocket.mjs [--conns 64] [--window 16] [--duration 800] [--rounds 3] [--no-bun]
 *        node bench/websocket.mjs --memory 5000
 *        KEEL_WS_DEFLATE='{"config":{"serverMaxWindowBits":10},"options":{"deflateMemLevel":4}}' node bench/websocket.mjs --memory 2000
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { treeRssKiB } from './proc.mjs';
import { cpuTimeMs } from './tfb/harness.mjs';

const SIZES = [64, 1024, 16 * 1024];

// ---- server mode: `node bench/websocket.mjs --serve keel|ws` ------------------------------
const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) {
  const kind = process.argv[serveAt + 1];
  const perMessageDeflate = process.argv[serveAt + 2] === 'deflate';
  // KEEL_WS_DEFLATE='{"config":{"serverMaxWindowBits":10},"options":{"deflateMemLevel":4}}' tries other settings (keel only).
  const tried = JSON.parse(process.env.KEEL_WS_DEFLATE ?? '{}');
  const deflateConfig = tried.config ?? true;
  const deflateOptions = tried.options ?? {};
  if (typeof globalThis.gc === 'function') setInterval(globalThis.gc, 300).unref();
  if (kind === 'bun') {
    // Run by Bun itself (startServer): its built-in server and ServerWebSocket, no npm package.
    setInterval(() => globalThis.Bun.gc(true), 300).unref();
    const server = globalThis.Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response('upgrade required', { status: 426 })),
      websocket: { perMessageDeflate, message: (ws, data) => void ws.send(data) },
    });
    console.log(`port ${server.port}`);
  } else if (kind === 'keel') {
    const { Server } = await import('../dist/server/server.js');
    const { upgradeWebSocket } = await import('../dist/server/websocket-upgrade.js');
    const server = new Server((req, res) => {
      upgradeWebSocket(req, res, { message: (ws, data, isBinary) => void ws.send(data, { binary: isBinary }) }, { perMessageDeflate: perMessageDeflate && deflateConfig, ...deflateOptions });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    console.log(`port ${port}`);
  } else {
    const http = await import('node:http');
    const { WebSocketServer } = await import('ws');
    const server = http.createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      conns: { type: 'string', default: '64' },
      window: { type: 'string', default: '16' },
      duration: { type: 'string', default: '800' },
      rounds: { type: 'string', default: '3' },
      memory: { type: 'string' },
      'no-bun': { type: 'boolean', default: false },
    },
  });
  if (values.memory !== undefined) return memory(Number(values.memory));
  const conns = Number(values.conns);
  const windowSize = Number(values.window);
  const durationMs = Number(values.duration);
  const rounds = Number(values.rounds);
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

  const bun = values['no-bun'] ? { reason: '--no-bun' } : findBun();
  const kinds = bun.path === undefined ? ['keel', 'ws'] : ['keel', 'ws', 'bun'];
  const servers = {};
  for (const kind of kinds) servers[kind] = await startServer(kind, [], true);

  console.log(`# WebSocket echo, ${conns} connections, ${windowSize} messages in flight each, ${rounds} x ${durationMs} ms per cell, median`);
  console.log(`# node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), server on cpu 0${hasTaskset ? '' : ' (no taskset: not pinned)'}`);
  console.log(bun.path === undefined ? `# Bun left out: ${bun.reason}` : `# Bun ${bun.version} (npm package bun), Bun.serve + ServerWebSocket`);
  console.log('# msgs/s: echoes received by the client per second; us/msg: server CPU (user + system) per echoed message');
  const names = { keel: 'keel', ws: 'ws on node:http', bun: 'Bun' };
  console.log(`| size | ${kinds.map((k) => `${names[k]} msgs/s (us/msg)`).join(' | ')} | keel / ws${bun.path === undefined ? '' : ' | keel / Bun'} |`);
  console.log(`|---|${kinds.map(() => '---|').join('')}---|${bun.path === undefined ? '' : '---|'}`);
  for (const size of SIZES) {
    const results = Object.fromEntries(kinds.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      // Interleaved, the order rotated each round: the shared VM drifts.
      const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]);
      for (const kind of order) results[kind].push(await load(servers[kind], size, conns, windowSize, durationMs));
    }
    const rate = (k) => median(results[k].map((x) => x.rate));
    const cpu = (k) => median(results[k].map((x) => x.cpuUsPerMsg));
    const cells = kinds.map((k) => `${Math.round(rate(k)).toLocaleString('en')} (${cpu(k).toFixed(2)})`);
    const ratios = [`${(rate('keel') / rate('ws')).toFixed(2)}x`];
    if (bun.path !== undefined) ratios.push(`${(rate('keel') / rate('bun')).toFixed(2)}x`);
    console.log(`| ${size} B | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
  }
  killAll();
  process.exit(0);
}

const children = [];
const killAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
process.on('exit', killAll);
const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * The Bun binary of the npm package `bun` (DESIGN.md: Bun comes from `npx bun`), found once by
 * asking it for its own path, so the server runs without npx's node process in front of it
 * (its CPU time would be counted). { reason } when it cannot be had (offline, no binary for
 * this platform).
 */
function findBun() {
  const r = spawnSync('npx', ['--yes', 'bun', '-e', 'console.log(process.execPath + " " + Bun.version)'], { encoding: 'utf8', timeout: 120_000 });
  const [path, version] = (r.stdout ?? '').trim().split(' ');
  if (r.status !== 0 || !path) return { reason: `npx --yes bun failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  return { path, version };
}
let bunPath;

/** Starts an echo server child (pinned to cpu 0); resolves with its port, or with { port, pid }. */
async function startServer(kind, extra = [], withPid = false) {
  const file = new URL(import.meta.url).pathname;
  // Bun runs this same file in server mode; node gets --expose-gc for the settled memory figures.
  const [cmd, args] = kind === 'bun' ? [(bunPath ??= findBun().path), [file, '--serve', kind, ...extra]] : [process.execPath, ['--expose-gc', file, '--serve', kind, ...extra]];
  if (cmd === undefined) throw new Error('Bun cannot be had here (npx --yes bun failed)');
  const child = hasTaskset ? spawn('taskset', ['-c', '0', cmd, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = /port (\d+)/.exec(out);
    if (m) return withPid ? { port: Number(m[1]), pid: child.pid, child } : Number(m[1]);
  }
  throw new Error(`${kind} server did not start`);
}

/** Server RSS per idle WebSocket, keel and ws, without and with permessage-deflate. */
async function memory(n) {
  console.log(`# server RSS per open idle WebSocket, ${n} connections, settled with gc; node ${process.version}`);
  console.log('| server | no deflate KiB/conn | deflate (one message each way) KiB/conn |');
  console.log('|---|---|---|');
  const settle = () => new Promise((r) => setTimeout(r, 1500));
  const row = {};
  const bun = findBun();
  if (bun.path === undefined) console.log(`# Bun left out: ${bun.reason}`);
  for (const kind of bun.path === undefined ? ['keel', 'ws'] : ['keel', 'ws', 'bun']) {
    row[kind] = [];
    for (const deflate of [false, true]) {
      const { port, pid, child } = await startServer(kind, deflate ? ['deflate'] : [], true);
      await settle();
      const before = treeRssKiB(pid);
      const sockets = await openIdle(port, n, deflate);
      await settle();
      const after = treeRssKiB(pid);
      row[kind].push(((after - before) / n).toFixed(1));
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
    console.log(`| ${{ keel: 'keel', ws: 'ws on node:http', bun: `Bun ${bun.version}` }[kind]} | ${row[kind][0]} | ${row[kind][1]} |`);
  }
  killAll();
  process.exit(0);
}

/** Opens n WebSockets (with deflate: offered, and one compressed 2 KiB message echoed on each). */
async function openIdle(port, n, deflate) {
  const text = Buffer.from('keel '.repeat(410));
  const compressed = deflateRawSync(text, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  const body = compressed.subarray(0, compressed.length - 4); // RFC 7692 §7.2.1
  const frame = clientFrame(body.length, body, 0xc1); // FIN + RSV1 + text
  const sockets = [];
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, async () => {
        const s = net.connect(port, '127.0.0.1');
        sockets.push(s);
        await once(s, 'connect');
        s.write(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
            `Sec-WebSocket-Version: 13\r\n${deflate ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : ''}\r\n`,
        );
        let got = Buffer.alloc(0);
        while (got.indexOf('\r\n\r\n') < 0) got = Buffer.concat([got, (await once(s, 'data'))[0]]);
        if (!deflate) return;
        if (!got.toString('latin1').includes('permessage-deflate')) throw new Error('deflate not negotiated');
        s.write(frame);
        // Wait for the echo (any bytes past the head will do: one small compressed frame).
        if (got.length === got.indexOf('\r\n\r\n') + 4) await once(s, 'data');
      }),
    );
  }
  return sockets;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A masked client frame of `size` payload bytes (RFC 6455 §5.2/5.3): binary random bytes, or `payload` with `byte0`. */
function clientFrame(size, payload = randomBytes(size), byte0 = 0x82) {
  const ext = size < 126 ? 0 : 2;
  const out = Buffer.alloc(2 + ext + 4 + size);
  out[0] = byte0;
  out[1] = 0x80 | (ext === 0 ? size : 126);
  if (ext === 2) out.writeUInt16BE(size, 2);
  const key = randomBytes(4);
  key.copy(out, 2 + ext);
  for (let i = 0; i < size; i++) out[2 + ext + 4 + i] = payload[i] ^ key[i & 3];
  return out;
}

/** Opens `conns` WebSockets to the server `{ port, pid }`, echoes for `durationMs`; returns messages/s and server CPU us per message. */
async function load({ port, pid }, size, conns, windowSize, durationMs) {
  const frame = clientFrame(size);
  const batch = Buffer.concat(Array.from({ length: windowSize }, () => frame));
  const echoBytes = 2 + (size < 126 ? 0 : 2) + size;
  const sockets = [];
  let counting = false;
  let count = 0;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      const s = net.connect(port, '127.0.0.1');
      s.setNoDelay(true);
      sockets.push(s);
      await once(s, 'connect');
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      let head = Buffer.alloc(0);
      while (head.indexOf('\r\n\r\n') < 0) head = Buffer.concat([head, (await once(s, 'data'))[0]]);
      if (!head.toString('latin1').startsWith('HTTP/1.1 101')) throw new Error(`no upgrade: ${head.toString('latin1').split('\r\n')[0]}`);
      let pending = 0;
      s.on('data', (chunk) => {
        pending += chunk.length;
        const done = Math.floor(pending / echoBytes);
        if (done === 0) return;
        pending -= done * echoBytes;
        if (counting) count += done;
        // Refill: one frame per echo received keeps the window full.
        s.write(done === windowSize ? batch : Buffer.concat(Array.from({ length: done }, () => frame)));
      });
      s.write(batch);
    }),
  );
  await new Promise((r) => setTimeout(r, 200)); // warm-up
  counting = true;
  const t0 = performance.now();
  const cpu0 = cpuTimeMs(pid);
  await new Promise((r) => setTimeout(r, durationMs));
  counting = false;
  const cpuMs = cpuTimeMs(pid) - cpu0;
  const rate = (count * 1000) / (performance.now() - t0);
  for (const s of sockets) s.destroy();
  return { rate, cpuUsPerMsg: count === 0 ? NaN : (cpuMs * 1000) / count };
}

if (serveAt < 0) await main();
