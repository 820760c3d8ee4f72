/**
 * Fuzzer for the sans-IO WebSocket frame parser (issue #15). Run:
 * `node --import tsx scripts/fuzz-websocket.ts --count N --seed S`.
 *
 * Owns the long randomized run that test/wire/websocket-fuzz.test.ts is too
 * short for, over the same inputs (test/wire/websocket-generators.ts): any
 * input either parses or raises a WebSocketError, nothing else; in a bounded
 * number of nextEvent() calls (the harness's step budget, which is what
 * catches a loop here: the parser has no unbounded loop that does not consume
 * input); with the same outcome whole and split; and what is accepted passes
 * the independent checks. Input i is a pure function of (seed, i); failing
 * inputs are saved under --out (default test-artifacts/fuzz-websocket/) with
 * a JSON note, and the exit code is non-zero. It runs in one process (the
 * HTTP fuzzer's watchdog worker is not needed without a hang to catch).
 * Not part of `npm test`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkWsCase, makeWsCase } from '../test/wire/websocket-generators.js';

/** Inputs checked when --count is not given. */
const DEFAULT_COUNT = 200_000;
/** Progress lines every this many inputs. */
const PRINT_EVERY_INPUTS = 50_000;
/** Most failing inputs saved (the count still goes up). */
const MAX_SAVED = 20;

function parseArgs(argv: string[]): { count: number; seed: number; out: string } {
  const opts = { count: DEFAULT_COUNT, seed: 1, out: 'test-artifacts/fuzz-websocket' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--count') opts.count = Number(v);
    else if (a === '--seed') opts.seed = Number(v);
    else if (a === '--out') opts.out = v;
    else throw new Error(`unknown argument ${a} (usage: --count N --seed S --out DIR)`);
  }
  if (!Number.isSafeInteger(opts.count) || opts.count < 0 || !Number.isSafeInteger(opts.seed)) throw new Error('--count and --seed are integers');
  return opts;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const out = resolve(opts.out);
  const t0 = performance.now();
  const kinds: Record<string, number> = {};
  let failures = 0;
  let bytes = 0;
  console.log(`fuzz-websocket: ${opts.count} inputs, seed ${opts.seed}`);
  for (let i = 0; i < opts.count; i++) {
    const c = makeWsCase(opts.seed, i);
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    bytes += c.input.length;
    let why: string | null;
    try {
      why = checkWsCase(c);
    } catch (err) {
      why = `crash: ${(err as Error)?.stack ?? String(err)}`;
    }
    if (why !== null) {
      failures++;
      if (failures <= MAX_SAVED) {
        mkdirSync(out, { recursive: true });
        const base = join(out, `seed${opts.seed}-${i}`);
        writeFileSync(`${base}.bin`, c.input);
        writeFileSync(`${base}.json`, JSON.stringify({ index: i, seed: opts.seed, kind: c.kind, options: c.options, cuts: c.cuts, why }, null, 2));
        console.log(`  input ${i}: ${why.split('\n')[0]} -> ${base}.bin`);
      }
    }
    if ((i + 1) % PRINT_EVERY_INPUTS === 0) console.log(`  ${i + 1} inputs, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${failures} failures`);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`inputs ${opts.count} (${Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ')}), ${bytes} bytes, ${failures} failures, ${secs.toFixed(1)} s`);
  process.exitCode = failures > 0 ? 1 : 0;
}

main();
