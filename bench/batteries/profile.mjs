#!/usr/bin/env node
/**
 * Profiles one batteries server on one route: runs it under `node --cpu-prof`
 * (pinned to cpu 0) while wrk loads it (cpu 1) as run.mjs does, then prints the
 * main thread's self time by area and by function (bench/tfb/profile.mjs's
 * summarizeProfile), and the server's user and system CPU per request.
 *
 * Owns nothing but the wiring. The profile covers the main thread only: the
 * compression both servers run on libuv's thread pool shows up in the CPU-time
 * line (user + system from /proc, all threads), not in the functions. Must not be
 * used for req/s figures: the profiler slows the server down.
 *
 * Usage: node bench/batteries/profile.mjs [--server keel] [--route json]
 *          [--duration 3s] [--warmup 1s] [--connections 64] [--top 20] [--no-session] [--keep DIR]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from '../peers/args.mjs';
import { cpuTimesMs, runWrk } from '../tfb/harness.mjs';
import { summarizeProfile } from '../tfb/profile.mjs';
import { SERVERS, keelHasSession, startServer, stopAll } from './servers.mjs';
import { obtainCookie, ROUTES } from './validate.mjs';
import { wrkRequest } from './run.mjs';

async function main() {
  const a = parseArgs();
  const name = a.server ?? 'keel';
  const route = a.route ?? 'json';
  if (!SERVERS[name]) throw new Error(`unknown server ${name}; known: ${Object.keys(SERVERS).join(', ')}`);
  if (!ROUTES[route]) throw new Error(`unknown route ${route}; known: ${Object.keys(ROUTES).join(', ')}`);
  const session = a['no-session'] !== 'true' && (await keelHasSession());
  const dir = a.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'keel-batteries-prof-'));
  fs.mkdirSync(dir, { recursive: true });
  const srv = await startServer(name, { session, cpus: '0', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  try {
    const cookie = session ? await obtainCookie(srv.port) : undefined;
    const wrk = { port: srv.port, connections: Number(a.connections ?? 64), cpus: '1', ...wrkRequest(route, cookie) };
    await runWrk({ ...wrk, duration: a.warmup ?? '1s' });
    const t0 = cpuTimesMs(srv.child.pid);
    const r = await runWrk({ ...wrk, duration: a.duration ?? '3s' });
    const t1 = cpuTimesMs(srv.child.pid);
    const us = (ms) => ((ms * 1000) / r.requests).toFixed(1);
    process.stdout.write(`${srv.label} ${route} (sessions ${session ? 'on' : 'off'}): ${Math.round(r.rps).toLocaleString('en-US')} req/s under the profiler; ` +
      `server CPU per request ${us(t1.userMs - t0.userMs)} us user + ${us(t1.systemMs - t0.systemMs)} us system (all threads)\n`);
  } finally {
    await stopAll([srv]);
  }
  // The main thread's profile is the largest.
  const file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f))
    .sort((x, y) => fs.statSync(x).size - fs.statSync(y).size).pop();
  if (!file) throw new Error('no .cpuprofile written (did the server exit through its SIGTERM handler?)');
  const s = summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')));
  const pct = (x) => `${(x * 100).toFixed(1)}%`.padStart(6);
  process.stdout.write(`\nmain thread self time by area (${s.totalMs.toFixed(0)} ms sampled):\n`);
  for (const r of s.areas) process.stdout.write(`${pct(r.share)}  ${r.name}\n`);
  process.stdout.write('\ntop functions by self time:\n');
  for (const r of s.functions.slice(0, Number(a.top ?? 20))) process.stdout.write(`${pct(r.share)}  ${r.name}\n`);
  if (a.keep) process.stdout.write(`\nprofile: ${file}\n`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => { process.stderr.write(`profile: ${e.stack ?? e}\n`); process.exit(1); });
