#!/usr/bin/env node
/**
 * The TechEmpower runner: keel beside Fastify, Hono, Express and node:http on
 * the six tests, in one run, on loopback.
 *
 * Owns the test table (path, wrk options), the order of runs, and the report:
 * one markdown table of medians with keel's ratios to Fastify and to node:http,
 * a detail table per test, a JSON file with every sample, and an SVG chart drawn
 * from the same numbers (no dependency). Must only target 127.0.0.1, must
 * bound every run (harness.mjs), and must never measure a server that failed
 * validation (validate.mjs runs first, against the same database).
 *
 * Method (as bench/run.mjs, DESIGN.md "Conformance and benchmarks"): one fresh
 * database for the whole run; every server is validated, then measured in
 * interleaved rounds: each round runs every test on every server once, servers
 * in an order rotated per round, so a slow minute hits every server alike. Each
 * run starts the server fresh pinned to cpu 0 (`taskset -c 0`), warms it up
 * with an unmeasured wrk run, then measures with wrk pinned to cpu 1. The
 * figure is the median req/s over rounds. /plaintext is measured pipelined x16
 * (bench/pipeline.lua), as TFB does; the others keep-alive. In PostgreSQL mode
 * the database server is not pinned: it competes with both.
 *
 * Usage: node bench/tfb/run.mjs [--rounds 3] [--duration 8s] [--warmup 2s]
 *          [--tests json,plaintext,db,queries,fortunes,updates]
 *          [--servers keel,fastify,hono,express,node-http] [--connections 64]
 *          [--depth 16] [--queries 20] [--database-url postgres://...]
 *          [--out bench/results/tfb.md] [--svg bench/tfb/results.svg]
 * keel needs `npm run build` (keel.mjs imports the built package).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from '../peers/args.mjs';
import {
  BENCH_DIR, DEFAULT_PIPELINE_DEPTH, ROOT, SERVERS, TESTS, cpuTimeMs, durationMs, freshDatabase, machineInfo, median, runWrk, startTfbServer, stopServer, wrkArgs,
} from './harness.mjs';
import { openWorldReader, validateServer } from './validate.mjs';

const TFB_DIR = path.join(BENCH_DIR, 'tfb');

/** Defaults; each is a flag. */
const DEFAULTS = {
  rounds: 3,
  duration: '8s',
  warmup: '2s',
  connections: 64,
  /** Requests per write for /plaintext (TFB pipelines plaintext x16). */
  depth: DEFAULT_PIPELINE_DEPTH,
  /** `queries` for /queries and /updates (TFB's top level is 20). */
  queries: 20,
};

/** Ratios are quoted against these two servers. */
const BASELINES = ['fastify', 'node-http'];

const CPU_SERVER = '0';
const CPU_WRK = '1';

function options() {
  const a = parseArgs();
  const list = (v, all) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(all));
  const url = a['database-url'] ?? process.env.DATABASE_URL;
  const mode = url ? 'postgres' : 'sqlite';
  const o = {
    rounds: Number(a.rounds ?? DEFAULTS.rounds),
    duration: a.duration ?? DEFAULTS.duration,
    warmup: a.warmup ?? DEFAULTS.warmup,
    connections: Number(a.connections ?? DEFAULTS.connections),
    depth: Number(a.depth ?? DEFAULTS.depth),
    queries: Number(a.queries ?? DEFAULTS.queries),
    tests: list(a.tests, TESTS),
    servers: list(a.servers, SERVERS),
    url,
    mode,
    // The tables go with the other harness's reports (git-ignored); the chart is kept
    // next to the suite so that bench/README.md can show it.
    out: a.out ?? path.join(BENCH_DIR, 'results', mode === 'sqlite' ? 'tfb.md' : 'tfb-postgres.md'),
    svg: a.svg ?? path.join(TFB_DIR, mode === 'sqlite' ? 'results.svg' : 'results-postgres.svg'),
  };
  for (const t of o.tests) if (!TESTS[t]) throw new Error(`unknown test ${t}; known: ${Object.keys(TESTS).join(', ')}`);
  for (const s of o.servers) if (!SERVERS[s]) throw new Error(`unknown server ${s}; known: ${Object.keys(SERVERS).join(', ')}`);
  if (!(o.rounds >= 1)) throw new Error('--rounds must be at least 1');
  durationMs(o.duration);
  durationMs(o.warmup);
  o.argvText = `--rounds ${o.rounds} --duration ${o.duration} --warmup ${o.warmup} --tests ${o.tests.join(',')} ` +
    `--servers ${o.servers.join(',')} --connections ${o.connections} --depth ${o.depth} --queries ${o.queries}` +
    (url ? ' --database-url postgres://...' : '');
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);
const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtRatio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a');
const fmtMs = (n) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

/** Starts each server once and validates it; resolves with name -> list of problems. */
async function validateAll(o, database) {
  const verdicts = {};
  for (const name of o.servers) {
    let srv;
    try {
      srv = await startTfbServer(name, database, { cpus: CPU_SERVER });
      const reader = await openWorldReader(database);
      try {
        verdicts[name] = await validateServer(`http://127.0.0.1:${srv.port}`, reader);
      } finally {
        await reader.close();
      }
    } catch (e) {
      verdicts[name] = [`did not start: ${e.message.slice(0, 300)}`];
    } finally {
      if (srv) await stopServer(srv.child);
    }
    log(`validate ${name}: ${verdicts[name].length ? `FAILED (${verdicts[name].length} problems), will not be measured` : 'valid'}`);
    for (const p of verdicts[name]) log(`  ${p}`);
  }
  return verdicts;
}

/** One measured run: fresh server, warm-up, measured wrk. */
async function measure(o, database, name, test) {
  const srv = await startTfbServer(name, database, { cpus: CPU_SERVER });
  try {
    const wrk = {
      port: srv.port, reqPath: TESTS[test].path(o.queries), connections: o.connections,
      pipelineDepth: TESTS[test].pipeline ? o.depth : 0, cpus: CPU_WRK,
    };
    if (durationMs(o.warmup) > 0) await runWrk({ ...wrk, duration: o.warmup });
    const cpu0 = cpuTimeMs(srv.child.pid);
    const sample = await runWrk({ ...wrk, duration: o.duration });
    sample.cpuUsPerRequest = ((cpuTimeMs(srv.child.pid) - cpu0) * 1000) / sample.requests;
    return sample;
  } finally {
    await stopServer(srv.child);
  }
}

async function main() {
  const o = options();
  for (const tool of ['wrk', 'taskset']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found: apt-get install -y wrk util-linux`);
  }
  if (o.servers.some((s) => SERVERS[s].needsBuild) && !fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run npm run build first (keel.mjs imports the built package)');
  }
  const info = machineInfo();
  const database = await freshDatabase({ url: o.url });
  const results = Object.fromEntries(o.tests.map((t) => [t, Object.fromEntries(o.servers.map((s) => [s, []]))]));
  let verdicts;
  try {
    verdicts = await validateAll(o, database);
    const measured = o.servers.filter((s) => verdicts[s].length === 0);
    for (let round = 0; round < o.rounds; round++) {
      const order = measured.map((_, i) => measured[(i + round) % measured.length]);
      for (const test of o.tests) {
        for (const name of order) {
          try {
            const sample = await measure(o, database, name, test);
            results[test][name].push(sample);
            const bad = sample.errors + sample.non2xx;
            log(`[round ${round + 1}/${o.rounds}] ${test} ${name}: ${fmtInt(sample.rps)} req/s${bad ? ` (${sample.errors} socket errors, ${sample.non2xx} non-2xx)` : ''}`);
          } catch (e) {
            log(`[round ${round + 1}/${o.rounds}] ${test} ${name}: run failed: ${e.message.slice(0, 300)}`);
          }
        }
      }
    }
  } finally {
    await database.remove();
  }
  const summary = summarize(o, results, verdicts);
  const md = report(o, info, summary);
  process.stdout.write(`${md}\n`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${md}\n`);
  fs.writeFileSync(o.out.replace(/\.md$/, '') + '.json', `${JSON.stringify({ info, options: { ...o, url: o.url && 'postgres://...' }, verdicts, results }, null, 2)}\n`);
  fs.writeFileSync(o.svg, chart(o, info, summary));
  log(`written ${path.relative(process.cwd(), o.out)}, its .json and ${path.relative(process.cwd(), o.svg)}`);
}

/** Medians, error counts and ratios per test and server. */
function summarize(o, results, verdicts) {
  const tests = {};
  for (const test of o.tests) {
    const row = {};
    for (const name of o.servers) {
      const samples = results[test][name];
      row[name] = {
        failedValidation: verdicts[name].length > 0,
        samples,
        median: median(samples.map((s) => s.rps)),
        p50: median(samples.map((s) => s.latencyP50Ms)),
        p99: median(samples.map((s) => s.latencyP99Ms)),
        cpuUs: median(samples.map((s) => s.cpuUsPerRequest)),
        errors: samples.reduce((a, s) => a + s.errors + s.non2xx, 0),
      };
    }
    for (const name of o.servers) {
      row[name].ratios = Object.fromEntries(BASELINES.map((b) => [b, row[name].median / row[b]?.median]));
    }
    tests[test] = row;
  }
  return tests;
}

function report(o, info, summary) {
  const label = (s) => SERVERS[s].label;
  const pkgs = Object.entries(info.packages).map(([p, v]) => `${p} ${v}`).join(', ');
  const lines = [
    `# TechEmpower tests: keel and its peers (${o.mode === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`, '',
    `- date: ${info.date}`,
    `- machine: ${info.cpu}, ${info.kernel}`,
    `- Node ${info.node}; ${info.wrk}; keel git ${info.git}; ${pkgs}`,
    `- command: \`node bench/tfb/run.mjs ${o.argvText}\``,
    `- server on cpu ${CPU_SERVER}, wrk on cpu ${CPU_WRK}; \`${wrkArgs({ port: 'PORT', reqPath: '/PATH', duration: o.duration, connections: o.connections, pipelineDepth: 0 }).join(' ')}\`` +
      ` (plaintext: \`-s bench/pipeline.lua -- ${o.depth}\`); ${o.rounds} interleaved rounds, ${o.warmup} warm-up each; /queries and /updates with queries=${o.queries}`,
    '',
    'Median req/s over rounds; ratios are keel\'s, to Fastify and to node:http **of this run**. A cell marked `!` had',
    'wrk socket errors or non-2xx responses in some round and is not a valid figure.', '',
  ];
  const ratioHeads = BASELINES.filter((b) => o.servers.includes(b) && o.servers.includes('keel')).map((b) => `keel vs ${label(b)}`);
  lines.push(`| test | ${o.servers.map(label).join(' | ')} |${ratioHeads.map((h) => ` ${h} |`).join('')}`);
  lines.push(`|---|${o.servers.map(() => '---:|').join('')}${ratioHeads.map(() => '---:|').join('')}`);
  for (const [test, row] of Object.entries(summary)) {
    const cells = o.servers.map((s) => (row[s].failedValidation ? 'invalid' : `${fmtInt(row[s].median)}${row[s].errors ? ' !' : ''}`));
    const ratios = ratioHeads.length ? BASELINES.filter((b) => o.servers.includes(b)).map((b) => fmtRatio(row.keel.ratios[b])) : [];
    lines.push(`| ${TESTS[test].title} | ${cells.join(' | ')} |${ratios.map((r) => ` **${r}** |`).join('')}`);
  }
  lines.push('', 'Server CPU time per request (user + system, from /proc, median over rounds; lower is better). It is steadier',
    'than req/s when other processes share the machine. Ratios: peer\'s CPU / keel\'s, so above 1 means keel is cheaper.', '');
  lines.push(`| test | ${o.servers.map(label).join(' | ')} |${ratioHeads.map((h) => ` ${h} |`).join('')}`);
  lines.push(`|---|${o.servers.map(() => '---:|').join('')}${ratioHeads.map(() => '---:|').join('')}`);
  for (const [test, row] of Object.entries(summary)) {
    const cells = o.servers.map((s) => (row[s].failedValidation ? 'invalid' : `${fmtMs(row[s].cpuUs)} us`));
    const ratios = ratioHeads.length ? BASELINES.filter((b) => o.servers.includes(b)).map((b) => fmtRatio(row[b].cpuUs / row.keel.cpuUs)) : [];
    lines.push(`| ${TESTS[test].title} | ${cells.join(' | ')} |${ratios.map((r) => ` ${r} |`).join('')}`);
  }
  lines.push('', '## Per test', '');
  for (const [test, row] of Object.entries(summary)) {
    lines.push(`### ${TESTS[test].title}: \`${TESTS[test].path(o.queries)}\``, '');
    lines.push('| server | median req/s | vs Fastify | vs node:http | server CPU us/request | p50 ms | p99 ms | req/s per round | errors |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|---:|');
    for (const s of o.servers) {
      const r = row[s];
      if (r.failedValidation) { lines.push(`| ${label(s)} | failed validation | | | | | | | |`); continue; }
      // wrk times a pipelined batch, not a request: its latencies would mislead there.
      const lat = (v) => (TESTS[test].pipeline ? 'n/a' : fmtMs(v));
      lines.push(`| ${label(s)} | ${fmtInt(r.median)} | ${fmtRatio(r.ratios.fastify)} | ${fmtRatio(r.ratios['node-http'])} | ${fmtMs(r.cpuUs)} | ${lat(r.p50)} | ${lat(r.p99)} | ` +
        `${r.samples.map((x) => fmtInt(x.rps)).join(' / ')} | ${r.errors} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// The chart: one panel per test, a horizontal bar per server, scaled to the
// panel's best, labelled with req/s and the ratio to Fastify.

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function chart(o, info, summary) {
  const tests = Object.keys(summary);
  const cols = 2;
  const panelW = 470;
  const labelW = 130;
  const barH = 18;
  const gap = 6;
  const panelH = 34 + o.servers.length * (barH + gap) + 10;
  const top = 70;
  const width = cols * panelW + 20;
  const height = top + Math.ceil(tests.length / cols) * panelH + 24;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="600" fill="#111">TechEmpower tests, ${o.mode === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: median req/s (higher is better)</text>`,
    `<text x="10" y="40" fill="#555">${esc(`${info.date.slice(0, 10)}, Node ${info.node}, ${info.cpu}; server on cpu 0, wrk on cpu 1; ${o.rounds} round(s) of ${o.duration}`)}</text>`,
    `<text x="10" y="56" fill="#555">Each bar: req/s (ratio to Fastify of the same run), then server CPU time per request (lower is better).</text>`,
  ];
  tests.forEach((test, i) => {
    const x0 = 10 + (i % cols) * panelW;
    const y0 = top + Math.floor(i / cols) * panelH;
    const row = summary[test];
    const best = Math.max(...o.servers.map((s) => row[s].median).filter(Number.isFinite), 1);
    out.push(`<text x="${x0}" y="${y0 + 18}" font-size="13" font-weight="600" fill="#111">${esc(TESTS[test].title)}</text>`);
    o.servers.forEach((s, j) => {
      const y = y0 + 30 + j * (barH + gap);
      const r = row[s];
      const barMax = panelW - labelW - 175;
      const w = Number.isFinite(r.median) ? Math.max(1, (r.median / best) * barMax) : 0;
      const fill = s === 'keel' ? '#d9480f' : '#868e96';
      out.push(`<text x="${x0 + labelW - 6}" y="${y + 13}" text-anchor="end" fill="#222">${esc(SERVERS[s].label)}</text>`);
      if (r.failedValidation || !Number.isFinite(r.median)) {
        out.push(`<text x="${x0 + labelW}" y="${y + 13}" fill="#c92a2a">${r.failedValidation ? 'failed validation' : 'not measured'}</text>`);
        return;
      }
      out.push(`<rect x="${x0 + labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${fill}"/>`);
      const ratio = Number.isFinite(r.ratios.fastify) ? ` (${r.ratios.fastify.toFixed(2)}x)` : '';
      const cpu = Number.isFinite(r.cpuUs) ? `, ${r.cpuUs.toFixed(1)} \u00b5s` : '';
      out.push(`<text x="${(x0 + labelW + w + 5).toFixed(1)}" y="${y + 13}" fill="#222">${esc(fmtInt(r.median) + ratio + cpu + (r.errors ? ' !' : ''))}</text>`);
    });
  });
  out.push(`<text x="10" y="${height - 8}" font-size="10" fill="#777">${esc(`node bench/tfb/run.mjs ${o.argvText}`)}</text>`, '</svg>', '');
  return out.join('\n');
}

main().catch((e) => { process.stderr.write(`tfb: ${e.stack ?? e}\n`); process.exit(1); });
