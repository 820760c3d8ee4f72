// examples/06-http-client (#17): both clients run as real processes against step 3's server and
// print the same status line and page. (Shaped like test/e2e/examples.test.ts; it can move there.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startProgram, type Started } from '../e2e/helpers.js';

/** Runs an example client to its exit; resolves with its exit code and output. */
async function runClient(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('latin1').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

describe('examples/06-http-client', () => {
  let server: Started;
  before(async () => {
    server = await startProgram('examples/03-keel-hello/server.ts', ['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  for (const file of ['examples/06-http-client/raw-client.ts', 'examples/06-http-client/client.ts']) {
    test(`${file.split('/').pop()} prints the status line, the fields and the page`, async () => {
      const r = await runClient(file, ['--port', String(server.port), '--path', '/']);
      assert.equal(r.code, 0, r.stderr);
      const [head, body] = [r.stdout.slice(0, r.stdout.indexOf('\n\n')), r.stdout.slice(r.stdout.indexOf('\n\n') + 2)];
      const lines = head.split('\n');
      assert.equal(lines[0], 'HTTP/1.1 200 OK');
      const length = lines.find((l) => /^content-length: /i.test(l));
      assert.ok(length !== undefined);
      assert.equal(Buffer.byteLength(body, 'latin1'), Number(length.split(': ')[1]));
      assert.match(body, /<h1>Wow, a keel Server!<\/h1>/);
    });
  }

  test('the keel client reuses its connection for the second request', async () => {
    const r = await runClient('examples/06-http-client/client.ts', ['--port', String(server.port), '--path', '/test.jpg']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^again: 200, \d+ bytes, 1 connection\n$/);
  });

  test('the raw client: a refused connection is one line on stderr and exit 1', async () => {
    const r = await runClient('examples/06-http-client/raw-client.ts', ['--port', '1', '--path', '/']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /raw client: .*ECONNREFUSED/);
  });
});
