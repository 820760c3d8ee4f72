/**
 * docs/nginx/keel.conf with Debian's nginx in front of two keel instances.
 *
 * The config is rewritten for the test (127.0.0.1 only, a free port, pid, logs and
 * temp files in a temp dir) and nginx runs in the foreground as one process
 * (`-p` / `-c`, never the system service). Skipped when nginx is not installed.
 * Every child is killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
/** Longest wait for a child to start listening (tsx compiles on start). */
const START_TIMEOUT_MS = 15_000;

/** A keel instance answering JSON: its pid, the peer's port, and clientInfo() with and without a hop limit. */
function instanceProgram(): string {
  const serverUrl = pathToFileURL(resolve('src/server/server.ts')).href;
  const proxyUrl = pathToFileURL(resolve('src/server/trusted-proxy.ts')).href;
  return `
import { Server } from ${JSON.stringify(serverUrl)};
import { clientInfo } from ${JSON.stringify(proxyUrl)};
const trustedProxies = ['127.0.0.1'];
const server = new Server((req, res) => {
  res.headers.set('Content-Type', 'application/json');
  res.end(JSON.stringify({
    pid: process.pid,
    peerPort: req.remotePort,
    client: clientInfo(req, { trustedProxies }),
    nearest: clientInfo(req, { trustedProxies, hops: 1 }),
  }));
});
const addr = await server.listen(0, '127.0.0.1');
console.log('listening on 127.0.0.1:' + addr.port);
process.on('SIGTERM', () => void server.close(500).then(() => process.exit(0)));
`;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves with the first stdout match of `re`; rejects if the child exits or the timeout passes. */
function waitForOutput(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no ${re} in ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
    const onData = (t: Buffer): void => {
      out += t.toString();
      const m = re.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolvePromise(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (t: Buffer) => (out += t.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${out}`));
    });
  });
}

/** Waits until something accepts connections on the port. */
async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rewrites docs/nginx/keel.conf to run unprivileged-style from a temp prefix. */
function testConfig(conf: string, listenPort: number, upstreamPorts: number[]): string {
  const servers = upstreamPorts.map((p) => `        server 127.0.0.1:${p};`).join('\n');
  const replaced = conf
    .replace(/# BEGIN keel instances[^]*?# END keel instances/, `# BEGIN keel instances\n${servers}\n        # END keel instances`)
    .replace(/^worker_processes .*;$/m, 'worker_processes 1;')
    .replace(/^pid .*;$/m, 'pid logs/nginx.pid;')
    .replace(/^error_log .*;$/m, 'error_log logs/error.log warn;')
    .replace(/^(\s*)access_log .*;$/m, '$1access_log logs/access.log;')
    .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${listenPort};`)
    .replace(
      /^http \{$/m,
      [
        'http {',
        // Debian's build points these at /var/lib/nginx: keep them in the temp prefix.
        '    client_body_temp_path temp/body;',
        '    proxy_temp_path temp/proxy;',
        '    fastcgi_temp_path temp/fastcgi;',
        '    uwsgi_temp_path temp/uwsgi;',
        '    scgi_temp_path temp/scgi;',
      ].join('\n'),
    );
  for (const must of [`listen 127.0.0.1:${listenPort};`, 'pid logs/nginx.pid;', ...upstreamPorts.map((p) => `127.0.0.1:${p};`)]) {
    if (!replaced.includes(must)) throw new Error(`docs/nginx/keel.conf changed shape: could not set "${must}"`);
  }
  return replaced;
}

/** GET through a fresh connection, raw: the test controls every header nginx receives. */
async function get(port: number, headers: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const socket = net.connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    socket.write(`GET /who HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`);
    let raw = '';
    socket.setEncoding('latin1').on('data', (t: string) => (raw += t));
    await once(socket, 'end');
    const [head, body] = raw.split('\r\n\r\n', 2) as [string, string];
    return { status: Number(head.split(' ')[1]), json: JSON.parse(body) as Record<string, unknown> };
  } finally {
    socket.destroy();
  }
}

test('nginx with docs/nginx/keel.conf balances two keel instances over keep-alive, and X-Forwarded-For is honoured', { skip: NGINX === undefined ? 'nginx is not installed (apt-get install nginx)' : false, timeout: 20_000 }, async (t) => {
  const dir = tempDir('nginx');
  const children: ChildProcess[] = [];
  // A timed-out test never reaches `finally`: kill from the abort signal too.
  t.signal.addEventListener('abort', () => children.forEach((c) => c.kill('SIGKILL')), { once: true });
  try {
    for (const d of ['logs', 'temp']) mkdirSync(join(dir, d));
    const program = join(dir, 'instance.mts');
    writeFileSync(program, instanceProgram());
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', program], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      ports.push(Number((await waitForOutput(child, /listening on 127\.0\.0\.1:(\d+)/, `keel instance ${i}`))[1]));
    }
    const nginxPort = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, testConfig(readFileSync('docs/nginx/keel.conf', 'utf8'), nginxPort, ports));
    const nginx = spawn(NGINX!, ['-p', dir + '/', '-c', conf, '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off; master_process off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(nginx);
    await waitForPort(nginxPort, nginx, 'nginx');

    const pids = new Set<number>();
    const peerPortsByPid = new Map<number, number[]>();
    for (let i = 0; i < 10; i++) {
      const { status, json } = await get(nginxPort, 'Host: shop.example\r\n');
      assert.equal(status, 200);
      const pid = json.pid as number;
      pids.add(pid);
      peerPortsByPid.set(pid, [...(peerPortsByPid.get(pid) ?? []), json.peerPort as number]);
      // The client is nginx's peer (the test, 127.0.0.1); the host it asked nginx for.
      assert.deepEqual(json.client, { ip: '127.0.0.1', protocol: 'http', host: 'shop.example' });
    }
    assert.equal(pids.size, 2, 'both instances answered');
    // keepalive in the upstream block: nginx reuses its connections to each instance.
    for (const [pid, peerPorts] of peerPortsByPid) {
      assert.ok(new Set(peerPorts).size < peerPorts.length, `instance ${pid}: a new upstream connection per request (${peerPorts.join(',')})`);
    }

    // The test client acting as one more trusted proxy: the chain is walked to its client.
    // With hops: 1 only nginx's own report counts, so the same field cannot move the client.
    const { json } = await get(nginxPort, 'Host: shop.example\r\nX-Forwarded-For: 203.0.113.5\r\nX-Forwarded-Proto: https\r\n');
    assert.deepEqual(json.client, { ip: '203.0.113.5', protocol: 'http', host: 'shop.example' }, 'nginx overwrites X-Forwarded-Proto with $scheme');
    assert.deepEqual(json.nearest, { ip: '127.0.0.1', protocol: 'http', host: 'shop.example' });
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
});
