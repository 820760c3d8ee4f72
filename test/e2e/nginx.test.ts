/**
 * Debian's nginx with docs/nginx/keel.conf in front of two keel instances, and keel's client
 * (#17 item 5) against nginx: through the proxy (keel as the origin) and with nginx as the
 * origin itself, serving a static file.
 *
 * The config is rewritten for the test (127.0.0.1 only, free ports, pid, logs and temp files in
 * a temp dir, a second server block serving a temp directory, and two response fields naming
 * nginx's client connection and its request count, so connection reuse is seen from the
 * outside). nginx runs in the foreground as one process (`-p` / `-c`, never the system
 * service), started once for the suite. Skipped when nginx is not installed. Every child is
 * killed, and the temp dir removed, in `after` (and on a timed-out hook's abort signal).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/tmp.js';
import { Client, type ClientResponse } from '../../src/client/index.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
/** Longest wait for a child to start listening (tsx compiles on start). */
const START_TIMEOUT_MS = 15_000;
/** Size of the body /large answers: many reads and proxy buffers, far past one socket buffer. */
const LARGE_BYTES = 8 * 1024 * 1024;
/** Size of the static file nginx serves as the origin: each pipelined response spans several reads. */
const STATIC_BYTES = 256 * 1024;
/** Requests pipelined to nginx at once, and the pipelining depth the client allows. */
const PIPELINED_REQUESTS = 16;
const PIPELINING = 8;

/**
 * A keel instance. /stream writes three pieces without a length (chunked from keel; nginx
 * re-frames it for its client); /large is LARGE_BYTES with a Content-Length; /etag answers 304
 * to If-None-Match: "v1"; anything else is JSON: its pid, the peer's port, and clientInfo() with
 * and without a hop limit.
 */
function instanceProgram(): string {
  const serverUrl = pathToFileURL(resolve('src/server/server.ts')).href;
  const proxyUrl = pathToFileURL(resolve('src/server/trusted-proxy.ts')).href;
  return `
import { Server } from ${JSON.stringify(serverUrl)};
import { clientInfo } from ${JSON.stringify(proxyUrl)};
const trustedProxies = ['127.0.0.1'];
const large = Buffer.alloc(${LARGE_BYTES}, 'keel-through-nginx/');
const server = new Server((req, res) => {
  if (req.target === '/stream') {
    res.headers.set('Content-Type', 'text/plain');
    res.write('one,');
    res.write('two,');
    res.end('three');
    return;
  }
  if (req.target === '/large') return res.end(large);
  if (req.target === '/etag') {
    res.headers.set('ETag', '"v1"');
    if (req.header('if-none-match') === '"v1"') {
      res.status = 304;
      return res.end();
    }
    return res.end('fresh');
  }
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

/**
 * Rewrites docs/nginx/keel.conf to run unprivileged-style from a temp prefix, adds a server block
 * on `origin.port` serving `origin.root` (nginx as the origin), and on every response the fields
 * X-Nginx-Connection ($connection, the serial number of the client's connection) and
 * X-Nginx-Requests ($connection_requests, the requests it has carried so far).
 */
function testConfig(conf: string, listenPort: number, upstreamPorts: number[], origin: { port: number; root: string }): string {
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
        // Inherited by every server block (neither sets add_header of its own).
        '    add_header X-Nginx-Connection $connection always;',
        '    add_header X-Nginx-Requests $connection_requests always;',
        '    server {',
        `        listen 127.0.0.1:${origin.port};`,
        `        root ${origin.root};`,
        '    }',
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

/** Which of nginx's client connections carried a response, and how many requests it had carried by then. */
function nginxConnection(res: ClientResponse): { connection: string; requests: number } {
  const connection = res.headers['x-nginx-connection'];
  assert.ok(connection !== undefined, 'nginx names its connection');
  return { connection, requests: Number(res.headers['x-nginx-requests']) };
}

describe('nginx (docs/nginx/keel.conf) in front of two keel instances, and as an origin', { skip: NGINX === undefined ? 'nginx is not installed (apt-get install nginx)' : false }, () => {
  let dir = '';
  const children: ChildProcess[] = [];
  /** nginx's proxy port (keel behind it) and its static origin port. */
  let nginxPort = 0;
  let originPort = 0;
  const staticFile = Buffer.alloc(STATIC_BYTES);
  for (let i = 0; i < staticFile.length; i++) staticFile[i] = (i * 31 + (i >> 8)) & 0xff;

  before(async (t) => {
    dir = tempDir('nginx');
    // A timed-out hook never reaches its end: kill from the abort signal too.
    t.signal.addEventListener('abort', () => children.forEach((c) => c.kill('SIGKILL')), { once: true });
    for (const d of ['logs', 'temp', 'www']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'www', 'file.bin'), staticFile);
    const program = join(dir, 'instance.mts');
    writeFileSync(program, instanceProgram());
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', program], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      ports.push(Number((await waitForOutput(child, /listening on 127\.0\.0\.1:(\d+)/, `keel instance ${i}`))[1]));
    }
    nginxPort = await freePort();
    originPort = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, testConfig(readFileSync('docs/nginx/keel.conf', 'utf8'), nginxPort, ports, { port: originPort, root: join(dir, 'www') }));
    const nginx = spawn(NGINX!, ['-p', dir + '/', '-c', conf, '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off; master_process off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(nginx);
    await waitForPort(nginxPort, nginx, 'nginx');
    await waitForPort(originPort, nginx, 'nginx (origin)');
  }, { timeout: 20_000 });

  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('balances two keel instances over keep-alive, and X-Forwarded-For is honoured', { timeout: 20_000 }, async () => {
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
  });

  test('keel\'s Client through nginx: one kept-alive connection carries GET, HEAD, 304, a chunked body nginx frames, and 8 MiB', { timeout: 20_000 }, async () => {
    const client = new Client(`http://127.0.0.1:${nginxPort}`);
    try {
      const seen: Array<{ connection: string; requests: number }> = [];
      const who = await client.request({ path: '/who' });
      seen.push(nginxConnection(who));
      assert.equal(who.status, 200);
      assert.equal(((await who.body.json()) as { client: { ip: string } }).client.ip, '127.0.0.1');

      // keel sends it chunked; nginx (proxy_buffering off) decodes it and frames it again, chunked.
      const stream = await client.request({ path: '/stream' });
      seen.push(nginxConnection(stream));
      assert.equal(stream.headers['transfer-encoding'], 'chunked');
      assert.equal(stream.headers['content-length'], undefined);
      assert.equal(await stream.body.text(), 'one,two,three');

      // HEAD: the head of /large (its length), no body; the connection stays in step.
      const head = await client.request({ method: 'HEAD', path: '/large' });
      seen.push(nginxConnection(head));
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(LARGE_BYTES));
      assert.equal((await head.body.bytes()).length, 0);

      const fresh = await client.request({ path: '/etag' });
      seen.push(nginxConnection(fresh));
      assert.equal(await fresh.body.text(), 'fresh');
      const notModified = await client.request({ path: '/etag', headers: { 'if-none-match': fresh.headers.etag! } });
      seen.push(nginxConnection(notModified));
      assert.equal(notModified.status, 304);
      assert.equal((await notModified.body.bytes()).length, 0);

      const large = await client.request({ path: '/large' });
      seen.push(nginxConnection(large));
      assert.equal(large.headers['content-length'], String(LARGE_BYTES));
      const body = await large.body.bytes();
      assert.equal(body.length, LARGE_BYTES);
      assert.ok(body.equals(Buffer.alloc(LARGE_BYTES, 'keel-through-nginx/')), 'the 8 MiB arrived intact');

      // One client connection to nginx carried all six, in order.
      assert.equal(new Set(seen.map((s) => s.connection)).size, 1, `connections ${seen.map((s) => s.connection).join(',')}`);
      assert.deepEqual(seen.map((s) => s.requests), [1, 2, 3, 4, 5, 6]);
      assert.equal(client.connections, 1);
    } finally {
      await client.close();
    }
  });

  test('keel\'s Client pipelines GET and HEAD to nginx serving a static file (nginx as the origin), then a 304', { timeout: 20_000 }, async () => {
    // Heads written before the first byte of a response came back: above 1 means pipelined.
    let headsBeforeFirstResponse = 0;
    let received = false;
    const client = new Client(`http://127.0.0.1:${originPort}`, {
      pipelining: PIPELINING,
      maxConnections: 1,
      onWire: (direction, bytes) => {
        if (direction === 'received') received = true;
        else if (!received && /^(GET|HEAD) /.test(bytes.toString('latin1', 0, 5))) headsBeforeFirstResponse++;
      },
    });
    try {
      const methods = Array.from({ length: PIPELINED_REQUESTS }, (_, i) => (i % 4 === 3 ? 'HEAD' : 'GET'));
      const results = await Promise.all(
        methods.map((method) => client.request({ method, path: '/file.bin' }).then(async (res) => ({ res, body: await res.body.bytes() }))),
      );
      assert.equal(headsBeforeFirstResponse, PIPELINING, 'the client pipelined as deep as allowed');
      results.forEach(({ res, body }, i) => {
        assert.equal(res.status, 200, `response ${i}`);
        assert.equal(res.headers['content-length'], String(STATIC_BYTES), `response ${i}`);
        if (methods[i] === 'HEAD') assert.equal(body.length, 0, `HEAD ${i} has no body`);
        else assert.ok(body.equals(staticFile), `GET ${i}: the file, intact and in its own response`);
      });
      // nginx answered them in order on one connection.
      const seen = results.map(({ res }) => nginxConnection(res));
      assert.equal(new Set(seen.map((s) => s.connection)).size, 1);
      assert.deepEqual(seen.map((s) => s.requests), methods.map((_, i) => i + 1));

      // nginx's own 304: its ETag back as If-None-Match, on the same connection.
      const etag = results[0]!.res.headers.etag;
      assert.ok(etag !== undefined, 'nginx sends an ETag for a static file');
      const notModified = await client.request({ path: '/file.bin', headers: { 'if-none-match': etag } });
      assert.equal(notModified.status, 304);
      assert.equal((await notModified.body.bytes()).length, 0);
      assert.deepEqual(nginxConnection(notModified), { connection: seen[0]!.connection, requests: PIPELINED_REQUESTS + 1 });
      assert.equal(client.connections, 1);
    } finally {
      await client.close();
    }
  });
});
