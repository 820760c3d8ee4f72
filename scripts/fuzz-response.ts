/**
 * Fuzzer for the sans-IO response parser (src/wire/response-parser.ts, issue #17). Run:
 * `node --import tsx scripts/fuzz-response.ts --count N --seed S`.
 *
 * Owns the long randomized run that test/client/response-fuzz.test.ts is too short for, over the
 * same inputs (test/client/response-fuzz-cases.ts): any input either parses or raises a
 * ResponseError, nothing else; in a bounded number of nextEvent() calls (the step budget);
 * with the same outcome whole, split at random and byte by byte; what is accepted passes the
 * independent framing checks; valid response sequences round-trip. Input i is a pure function of
 * (seed, i); failing inputs are saved under --out (default test-artifacts/fuzz-response/) with a
 * JSON note, and the exit code is non-zero. An input slower than --budget-ms is a failure too.
 * It runs in one process, as scripts/fuzz-websocket.ts: the parser's loops all consume input,
 * so the step budget catches a loop without the request fuzzer's watchdog worker.
 * Not part of `npm test`; it must not change the parser or the cases it runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkResponseCase, makeResponseCase, newResponseFuzzStats } from '../test/client/response-fuzz-cases.js';

/** Inputs checked when --count is not given (the figure issue #17's report quotes). */
const DEFAULT_COUNT = 200_000;
/** Per-input time budget (all its deliveries): an input over it is reported as slow. */
const DEFAULT_BUDGET_MS = 1000;
/** Progress lines every this many inputs. */
const PRINT_EVERY_INPUTS = 50_000;
/** Most failing inputs saved (the count still goes up). */
const MAX_SAVED = 20;

interface Options {
  count: number;
  seed: number;
  budgetMs: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { count: DEFAULT_COUNT, seed: 1, budgetMs: DEFAULT_BUDGET_MS, out: 'test-artifacts/fuzz-response' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log('usage: node --import tsx scripts/fuzz-response.ts [--count N] [--seed S] [--budget-ms MS] [--out DIR]');
      process.exit(0);
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--count') opts.count = Number(v);
    else if (a === '--seed') opts.seed = Number(v);
    else if (a === '--budget-ms') opts.budgetMs = Number(v);
    else if (a === '--out') opts.out = v;
    else throw new Error(`unknown argument ${a} (see --help)`);
  }
  for (const k of ['count', 'seed', 'budgetMs'] as const) {
    if (!Number.isSafeInteger(opts[k]) || opts[k] < 0) throw new Error(`--${k} must be a non-negative integer`);
  }
  return opts;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const out = resolve(opts.out);
  const stats = newResponseFuzzStats();
  const kinds: Record<string, number> = {};
  const failuresByKind: Record<string, number> = {};
  let failures = 0;
  let bytes = 0;
  let maxMs = 0;
  const t0 = performance.now();
  console.log(`fuzz-response: ${opts.count} inputs, seed ${opts.seed}, budget ${opts.budgetMs} ms/input`);
  for (let i = 0; i < opts.count; i++) {
    const c = makeResponseCase(opts.seed, i);
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    bytes += c.input.length;
    const started = performance.now();
    let why: string | null;
    try {
      why = checkResponseCase(c, stats);
    } catch (err) {
      why = `crash: ${(err as Error)?.stack ?? String(err)}`;
    }
    const ms = performance.now() - started;
    if (ms > maxMs) maxMs = ms;
    if (why === null && ms > opts.budgetMs) why = `slow: ${ms.toFixed(1)} ms`;
    if (why !== null) {
      failures++;
      const kind = why.slice(0, why.search(/[:\s]/));
      failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
      if (failures <= MAX_SAVED) {
        mkdirSync(out, { recursive: true });
        const base = join(out, `seed${opts.seed}-${i}`);
        writeFileSync(`${base}.bin`, c.input);
        const note = { index: i, seed: opts.seed, kind: c.kind, methods: c.methods, canSwitch: c.canSwitch, eof: c.eof, limits: c.limits ?? null, cuts: c.cuts, why };
        writeFileSync(`${base}.json`, JSON.stringify(note, null, 2));
        console.log(`  input ${i}: ${why.split('\n')[0].slice(0, 200)} -> ${base}.bin`);
      }
    }
    if ((i + 1) % PRINT_EVERY_INPUTS === 0) console.log(`  ${i + 1} inputs, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${failures} failures`);
  }
  const secs = (performance.now() - t0) / 1000;
  const list = (r: Record<string, number>): string => Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  console.log('\nfuzz-response summary');
  console.log(`  seed                ${opts.seed}`);
  console.log(`  inputs              ${opts.count} (${list(kinds)}), ${bytes} bytes`);
  console.log(`  deliveries parsed   ${stats.deliveries} (whole + random splits + some byte by byte)`);
  console.log(`  outcomes            accepted ${stats.accepted}, rejected ${stats.rejected}; ${stats.responses} responses delivered, ${stats.completeResponses} ended`);
  console.log(`  rejections by code  ${list(stats.byCode)}`);
  console.log(`  slowest input       ${maxMs.toFixed(2)} ms`);
  console.log(`  failures            ${failures} (${list(failuresByKind)})`);
  console.log(`  time                ${secs.toFixed(1)} s (${Math.round(opts.count / secs)} inputs/s)`);
  if (failures > 0) console.log(`  failing inputs saved under ${out}`);
  process.exitCode = failures > 0 ? 1 : 0;
}

main();
