// scripts/summary-reporter.mjs (issue #13 item 7): the human summary at the end of `npm test`
// counts passes and failures like node's own `# pass` / `# fail` lines, names each failure by its
// path, and groups skips by reason, skipped suites included (the PostgreSQL groups).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPORTER = new URL('../../scripts/summary-reporter.mjs', import.meta.url).href;

const SAMPLE = `
import { describe, test } from 'node:test';
describe('on postgres', { skip: 'no database' }, () => { test('x', () => {}); });
test('passes', () => {});
test('skipped up front', { skip: 'no chromium' }, () => {});
test('skipped at run time', (t) => { t.skip('no chromium'); });
describe('outer', () => {
  test('inner passes', () => {});
  describe('mid', () => { test('deep', () => { throw new Error('boom'); }); });
});
`;

test('the summary counts, names failures by path and groups skips by reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-summary-'));
  try {
    writeFileSync(join(dir, 'sample.test.mjs'), SAMPLE);
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=tap', `--test-reporter-destination=${join(dir, 'tap.txt')}`, `--test-reporter=${REPORTER}`, '--test-reporter-destination=stdout', 'sample.test.mjs'],
      // Without NODE_TEST_CONTEXT: the child is a test run of its own, not a subprocess of this one.
      { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1, 'a failing test fails the run');
    assert.equal(
      out,
      [
        '',
        '== summary ==',
        'passed:  2 tests',
        'failed:  1 test',
        '  - sample.test.mjs: outer > mid > deep',
        "skipped: 2 tests and 1 group (a skipped group's tests are not run or counted)",
        '  - no chromium: 2 tests in sample.test.mjs',
        '  - no database: 1 group in sample.test.mjs',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
