// WebSocket behind nginx with docs/nginx/keel.conf's `location /ws` (issue #15 item 6): Debian's
// nginx runs the config (rewritten to a temp prefix and a free port, in the foreground, one
// process) in front of an in-process keel Server; `ws` connects through it. Skipped when nginx is
// not installed. The rewrite follows test/e2e/nginx.test.ts (which tests the HTTP side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as WsClient } from 'ws';
import { Server } from '../../src/server/server.js';
import { upgradeWebSocket } from '../../src/server/websocket-upgrade.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** docs/nginx/keel.conf with one upstream, a loopback listen port, and pid/logs/temp files under the prefix. */
function testConfig(conf: string, listenPort: number, upstreamPort: number): string {
  const out = conf
    .replace(/# BEGIN keel instances[^]*?# END keel instances/, `server 127.0.0.1:${upstreamPort};`)
    .replace(/^worker_processes .*;$/m, 'worker_processes 1;')
    .replace(/^pid .*;$/m, 'pid logs/nginx.pid;')
    .replace(/^error_log .*;$/m, 'error_log logs/error.log warn;')
    .replace(/^(\s*)access_log .*;$/m, '$1access_log logs/access.log;')
    .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${listenPort};`)
    .replace(/^http \{$/m, 'http {\n    client_body_temp_path temp/body;\n    proxy_temp_path temp/proxy;\n    fastcgi_temp_path temp/fastcgi;\n    uwsgi_temp_path temp/uwsgi;\n    scgi_temp_path temp/scgi;');
  for (const must of [`listen 127.0.0.1:${listenPort};`, `server 127.0.0.1:${upstreamPort};`, 'location /ws {']) {
    if (!out.includes(must)) throw new Error(`docs/nginx/keel.conf changed shape: no "${must}"`);
  }
  return out;
}

test('nginx location /ws passes the upgrade on: echo with and without deflate, 1 MiB, server close 1001 reaches the client', { skip: NGINX === undefined ? 'nginx is not installed (apt-get install nginx)' : false, timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-nginx-ws-'));
  const server = new Server(
    (req, res) => void upgradeWebSocket(req, res, { message: (ws, data, isBinary) => void ws.send(data, { binary: isBinary }) }, { perMessageDeflate: true }),
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const nginxPort = await freePort();
  for (const d of ['logs', 'temp']) mkdirSync(join(dir, d));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, testConfig(readFileSync('docs/nginx/keel.conf', 'utf8'), nginxPort, port));
  const nginx = spawn(NGINX!, ['-p', dir + '/', '-c', conf, '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off; master_process off;'], { stdio: 'ignore' });
  t.signal.addEventListener('abort', () => nginx.kill('SIGKILL'), { once: true });
  let closing: Promise<void> | undefined;
  try {
    // nginx is up once it accepts a connection.
    for (;;) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(nginxPort, '127.0.0.1');
        s.once('connect', () => (s.destroy(), r(true)));
        s.once('error', () => r(false));
      });
      if (ok) break;
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(dir, 'logs', 'error.log'), 'utf8')}`);
      await new Promise((r) => setImmediate(r));
    }
    for (const perMessageDeflate of [false, true]) {
      const c = new WsClient(`ws://127.0.0.1:${nginxPort}/ws`, { perMessageDeflate });
      await once(c, 'open');
      assert.equal(c.extensions, perMessageDeflate ? 'permessage-deflate' : '');
      for (const input of ['through nginx', Buffer.alloc(1024 * 1024, 'xy')]) {
        const got = once(c, 'message') as Promise<[Buffer, boolean]>;
        c.send(input);
        const [data, isBinary] = await got;
        assert.equal(isBinary, typeof input !== 'string');
        assert.ok(data.equals(Buffer.from(input)));
      }
      const clientClosed = once(c, 'close');
      if (perMessageDeflate) closing = server.close(5000);
      else c.close(1000);
      const [code] = (await clientClosed) as [number];
      assert.equal(code, perMessageDeflate ? 1001 : 1000);
    }
    await closing;
  } finally {
    if (nginx.exitCode === null && nginx.signalCode === null) {
      nginx.kill('SIGKILL');
      await once(nginx, 'exit');
    }
    await (closing ?? server.close(1000));
    rmSync(dir, { recursive: true, force: true });
  }
});
