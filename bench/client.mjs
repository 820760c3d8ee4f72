#!/usr/bin/env node
/**
 * Client benchmark (#17): keel's Client beside node:http's keep-alive Agent and
 * Node's global fetch (undici inside Node 20), and undici's own request /
 * stream / pipeline when undici@7 is installed, in one run, same target.
 *
 * Owns the target server (a child process: a minimal node:net responder that
 * answers each request head with a prepared response, so the client is what
 * is measured, pinned to cpu 0 with taskset when present), the load loops
 * (bench process pinned to cpu 1), and the report. Shape of undici's own
 * benchmark: 50 connections, pipelining 10 where the client supports it; a
 * small body and a 64 KiB body. Loopback only, bounded in time: every run
 * is measured `--rounds` times (default 3 x 0.3 s, after one 0.3 s warm-up),
 * interleaved, median reported: about 20 s in all;
 * the target is killed when the script ends.
 *
 * Usage: npm run build && node bench/client.mjs [--duration 300] [--warmup 300] [--rounds 3]
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';

const CONNECTIONS = 50;
const PIPELINING = 10;
const SMALL = 'Hello, World!';
const LARGE_BYTES = 64 * 1024;

// ---- target mode: `node bench/client.mjs --target` ---------------------------------------
if (process.argv.includes('--target')) {
  const responses = {
    '/small': Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${SMALL.length}\r\n\r\n${SMALL}`),
    '/64k': Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${LARGE_BYTES}\r\n\r\n`), Buffer.alloc(LARGE_BYTES, 0x61)]),
  };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      const out = [];
      let end;
      // GET requests only: a head ends at the blank line; its target picks the response.
      while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
        const line = pending.slice(0, pending.indexOf('\r\n'));
        out.push(responses[line.split(' ')[1]] ?? responses['/small']);
        pending = pending.slice(end + 4);
      }
      if (out.length > 0) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '300' }, warmup: { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' } },
  });
  const durationMs = Number(values.duration);
  const warmupMs = Number(values.warmup);
  const rounds = Number(values.rounds);
  const { Client } = await import(new URL('../dist/client/index.js', import.meta.url).href).catch(() => {
    console.error('bench/client.mjs: run `npm run build` first (dist/client/index.js is missing)');
    process.exit(1);
  });
  const undici = await import('undici').catch(() => null);

  const hasTaskset = spawnSync('taskset', ['-V']).status === 0 && os.cpus().length >= 2;
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const cmd = hasTaskset ? ['taskset', '-c', '0', process.execPath] : [process.execPath];
  const target = spawn(cmd[0], [...cmd.slice(1), new URL(import.meta.url).pathname, '--target'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killTarget = () => target.kill('SIGTERM');
  process.on('exit', killTarget);
  const [line] = await once(target.stdout.setEncoding('utf8'), 'data');
  const port = Number(/port (\d+)/.exec(line)[1]);
  const origin = `http://127.0.0.1:${port}`;

  /** Runs `once` in `concurrency` parallel loops for `ms`; returns requests per second. */
  async function measure(concurrency, once, ms) {
    let count = 0;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        await once();
        count++;
      }
    };
    const loops = Array.from({ length: concurrency }, loop);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    stop = true;
    const n = count;
    const elapsed = performance.now() - t0;
    await Promise.all(loops);
    return (n * 1000) / elapsed;
  }

  const rows = [];
  for (const [label, path] of [['small body', '/small'], ['64 KiB body', '/64k']]) {
    const contenders = [];
    {
      const c = new Client(origin, { maxConnections: CONNECTIONS, pipelining: PIPELINING });
      contenders.push({ name: `keel Client (pipelining ${PIPELINING})`, concurrency: CONNECTIONS * PIPELINING, once: async () => (await c.request({ path })).body.dump(), close: () => c.close() });
    }
    {
      const c = new Client(origin, { maxConnections: CONNECTIONS });
      contenders.push({ name: 'keel Client (no pipelining)', concurrency: CONNECTIONS, once: async () => (await c.request({ path })).body.dump(), close: () => c.close() });
    }
    {
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
      const once = () =>
        new Promise((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
            res.on('data', () => {});
            res.on('end', resolve);
            res.on('error', reject);
          }).on('error', reject);
        });
      contenders.push({ name: 'node:http Agent (keep-alive)', concurrency: CONNECTIONS, once, close: () => agent.destroy() });
    }
    contenders.push({ name: 'global fetch (undici in Node)', concurrency: CONNECTIONS, once: async () => { await (await fetch(`${origin}${path}`)).arrayBuffer(); }, close: () => {} });
    if (undici !== null) {
      const pools = [];
      const pool = () => {
        const p = new undici.Pool(origin, { connections: CONNECTIONS, pipelining: PIPELINING });
        pools.push(p);
        return p;
      };
      const depth = CONNECTIONS * PIPELINING;
      const p1 = pool();
      contenders.push({ name: `undici.request (pipelining ${PIPELINING})`, concurrency: depth, once: async () => { const { body } = await p1.request({ path, method: 'GET' }); await body.dump(); }, close: () => p1.close() });
      const p2 = pool();
      const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
      contenders.push({ name: `undici.stream (pipelining ${PIPELINING})`, concurrency: depth, once: () => p2.stream({ path, method: 'GET' }, sink), close: () => p2.close() });
      const p3 = pool();
      contenders.push({
        name: `undici.pipeline (pipelining ${PIPELINING})`,
        concurrency: depth,
        once: () =>
          new Promise((resolve, reject) => {
            const d = p3.pipeline({ path, method: 'GET' }, ({ body }) => body);
            d.on('data', () => {}).on('end', resolve).on('error', reject);
            d.end();
          }),
        close: () => p3.close(),
      });
      const p4 = pool();
      contenders.push({ name: 'undici.fetch (same pool)', concurrency: CONNECTIONS, once: async () => { await (await undici.fetch(`${origin}${path}`, { dispatcher: p4 })).arrayBuffer(); }, close: () => p4.close() });
    }
    // Interleaved rounds in rotated order: a slow moment on this shared machine hits every client
    // alike. Each client is warmed up once (JIT, connections), then measured `rounds` times; the
    // figure is the median.
    for (const c of contenders) await measure(c.concurrency, c.once, warmupMs);
    const samples = contenders.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + round) % contenders.length;
        samples[i].push(await measure(contenders[i].concurrency, contenders[i].once, durationMs));
      }
    }
    for (let i = 0; i < contenders.length; i++) {
      await contenders[i].close();
      const sorted = samples[i].sort((a, b) => a - b);
      rows.push({ body: label, client: contenders[i].name, rps: sorted[Math.floor(sorted.length / 2)] });
    }
  }
  const byBody = (b) => rows.filter((r) => r.body === b);
  console.log(`\nClient benchmark: Node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0].model}), ${hasTaskset ? 'target on cpu 0, clients on cpu 1' : 'no taskset'}, median of ${rounds} interleaved runs of ${durationMs} ms`);
  if (undici === null) console.log('undici is not installed (undici@7 is not a devDependency): undici.request/stream/pipeline rows skipped; global fetch is undici inside Node 20');
  for (const body of ['small body', '64 KiB body']) {
    const rs = byBody(body);
    const nodeHttp = rs.find((r) => r.client.startsWith('node:http')).rps;
    const undiciRps = rs.find((r) => r.client.startsWith('undici.request'))?.rps;
    console.log(`\n### ${body}\n\n| client | req/s | vs node:http | vs undici.request |\n|---|---:|---:|---:|`);
    for (const r of rs) console.log(`| ${r.client} | ${Math.round(r.rps)} | ${(r.rps / nodeHttp).toFixed(2)}x | ${undiciRps === undefined ? 'n/a' : `${(r.rps / undiciRps).toFixed(2)}x`} |`);
  }
  killTarget();
  process.exit(0);
}
