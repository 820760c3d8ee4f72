// bench/tfb/keel.mjs is a contract (DESIGN.md): it reads PORT and DB and serves the six
// TechEmpower tests through the public API. The benchmark's own validator checks it here
// on a fresh SQLite file, so the entry cannot rot between benchmark runs (issue #18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const VALIDATE = fileURLToPath(new URL('../../bench/tfb/validate.mjs', import.meta.url));

test('bench/tfb/keel.mjs passes the TechEmpower validator (json, plaintext, db, queries, fortunes, updates)', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [VALIDATE, '--servers', 'keel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0, output);
  assert.match(output, /^keel: valid$/m);
});
