#!/usr/bin/env node
/**
 * WebSocket echo benchmark (#15): messages/s echoed by keel (dist/, upgradeWebSocket) and by
 * `ws` on node:http, in one run, same load generator, at 64 B, 1 KiB and 16 KiB.
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
 * Usage: npm run build && node bench/websocket.mjs [--conns 64] [--window 16] [--duration 800] [--rounds 3]
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

const SIZES = [64, 1024, 16 * 1024];

// ---- server mode: `node bench/websocket.mjs --serve keel|ws` ------------------------------
const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) {
  const kind = process.argv[serveAt + 1];
  if (kind === 'keel') {
    const { Server } = await import('../dist/server/server.js');
    const { upgradeWebSocket } = await import('../dist/server/websocket-upgrade.js');
    const server = new Server((req, res) => {
      upgradeWebSocket(req, res, { message: (ws, data, isBinary) => void ws.send(data, { binary: isBinary }) });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    console.log(`port ${port}`);
  } else {
    const http = await import('node:http');
    const { WebSocketServer } = await import('ws');
    const server = http.createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
  }
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      conns: { type: 'string', default: '64' },
      window: { type: 'string', default: '16' },
      duration: { type: 'string', default: '800' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const conns = Number(values.conns);
  const windowSize = Number(values.window);
  const durationMs = Number(values.duration);
  const rounds = Number(values.rounds);
  const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

  const children = [];
  const killAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.on('exit', killAll);
  const start = async (kind) => {
    const args = [new URL(import.meta.url).pathname, '--serve', kind];
    const child = hasTaskset ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    for await (const chunk of child.stdout) {
      out += chunk;
      const m = /port (\d+)/.exec(out);
      if (m) return Number(m[1]);
    }
    throw new Error(`${kind} server did not start`);
  };
  const ports = { keel: await start('keel'), ws: await start('ws') };

  console.log(`# WebSocket echo, ${conns} connections, ${windowSize} messages in flight each, ${rounds} x ${durationMs} ms per cell, median`);
  console.log(`# node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), server on cpu 0${hasTaskset ? '' : ' (no taskset: not pinned)'}`);
  console.log('| size | keel msgs/s | ws on node:http msgs/s | keel / ws |');
  console.log('|---|---|---|---|');
  for (const size of SIZES) {
    const results = { keel: [], ws: [] };
    for (let r = 0; r < rounds; r++) {
      for (const kind of r % 2 === 0 ? ['keel', 'ws'] : ['ws', 'keel']) results[kind].push(await load(ports[kind], size, conns, windowSize, durationMs));
    }
    const keel = median(results.keel);
    const ws = median(results.ws);
    console.log(`| ${size} B | ${Math.round(keel).toLocaleString('en')} | ${Math.round(ws).toLocaleString('en')} | ${(keel / ws).toFixed(2)}x |`);
  }
  killAll();
  process.exit(0);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A masked binary client frame of `size` payload bytes (RFC 6455 §5.2/5.3). */
function clientFrame(size) {
  const ext = size < 126 ? 0 : 2;
  const out = Buffer.alloc(2 + ext + 4 + size);
  out[0] = 0x82;
  out[1] = 0x80 | (ext === 0 ? size : 126);
  if (ext === 2) out.writeUInt16BE(size, 2);
  const key = randomBytes(4);
  key.copy(out, 2 + ext);
  const payload = randomBytes(size);
  for (let i = 0; i < size; i++) out[2 + ext + 4 + i] = payload[i] ^ key[i & 3];
  return out;
}

/** Opens `conns` WebSockets, echoes for `durationMs`, returns messages/s. */
async function load(port, size, conns, windowSize, durationMs) {
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
  await new Promise((r) => setTimeout(r, durationMs));
  counting = false;
  const rate = (count * 1000) / (performance.now() - t0);
  for (const s of sockets) s.destroy();
  return rate;
}
