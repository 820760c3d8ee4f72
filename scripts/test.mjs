// Runs every test/**/*.test.ts with node:test through tsx, then prints a short human summary.
// Node 20's --test does not expand globs, so the file list is built here.
// Usage: node scripts/test.mjs [filter-substring ...]
//
// The standard reporter (spec on a terminal, TAP otherwise) goes to stdout as before, with its
// `# pass N` / `# fail N` lines that CI reads. scripts/summary-reporter.mjs writes the summary
// (passed, failed by name, skipped grouped by reason) to a temporary file, printed at the end.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures') walk(p, out);
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('test', []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const summaryDir = mkdtempSync(join(tmpdir(), 'keel-test-summary-'));
const summaryFile = join(summaryDir, 'summary.txt');
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./summary-reporter.mjs', import.meta.url).href}`,
  `--test-reporter-destination=${summaryFile}`,
];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files], { stdio: 'inherit' });
try {
  process.stdout.write(readFileSync(summaryFile, 'utf8'));
} catch {
  process.stdout.write('\n== summary ==\n(no summary: the test runner ended before reporting)\n');
}
rmSync(summaryDir, { recursive: true, force: true });
process.exit(r.status ?? 1);
