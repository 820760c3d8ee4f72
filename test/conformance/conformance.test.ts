/**
 * Runs the shared wire-level conformance suite (../shared/conformance/run.py)
 * against `keel echo` in every delivery mode, with the app log on, when the
 * suite is beside the repository. Every `must` case has to pass; the runner
 * exits non-zero otherwise. The same cases run over sockets in every `npm test`
 * without it: own-suite.test.ts (keel's own runner over test/fixtures).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Server } from '../../src/server/server.js';
import { echoHandler } from '../../src/cli/echo.js';

const RUNNER = fileURLToPath(new URL('../../../shared/conformance/run.py', import.meta.url));

function run(port: number, delivery: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', [RUNNER, '--port', String(port), '--app-log', '--delivery', delivery, '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

// The three deliveries run at once, each against its own server: the runner
// mostly waits on timeouts, so this cuts the wall time to that of the slowest.
const skip = !existsSync(RUNNER) && '../shared/conformance not found beside the repository (own-suite.test.ts runs the same cases over sockets)';
const results = new Map<string, Promise<{ code: number | null; out: string }>>();
async function runAgainstFreshServer(delivery: string): Promise<{ code: number | null; out: string }> {
  const server = new Server(echoHandler(), { onError: () => {} });
  await server.listen(0, '127.0.0.1');
  try {
    return await run(server.port, delivery);
  } finally {
    await server.close();
  }
}

for (const delivery of ['whole', 'bytewise', 'split']) {
  test(`conformance suite passes every must case (delivery=${delivery})`, { skip }, async () => {
    if (results.size === 0) for (const d of ['whole', 'bytewise', 'split']) results.set(d, runAgainstFreshServer(d));
    const { code, out } = await results.get(delivery)!;
    const summary = out.split('\n').filter((l) => l.startsWith('must:')).join('\n');
    assert.match(summary, /must: (\d+)\/\1 passed/, out);
    assert.equal(code, 0, out);
  });
}
