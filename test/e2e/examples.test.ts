// The tutorial's examples/, each started as a real process on a free port and checked over real sockets
// (step 6, the clients, runs against step 3's server; step 7's WebSocket servers are driven by the `ws` client).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startProgram, type Started } from './helpers.js';
import { exchange } from '../helpers/socket.js';
import { parseResponse } from '../helpers/http.js';
import { tempDir } from '../helpers/tmp.js';
// keel's own fetch (#17 item 5): these requests are ordinary ones, so the project's client sends them.
import { fetch } from '../../src/client/index.js';
import { WebSocket as WsClient } from 'ws';

const JPEG = readFileSync(new URL('../../src/demo/public/test.jpg', import.meta.url));

describe('examples/01-tcp-echo', () => {
  let server: Started;
  before(async () => {
    server = await startProgram('examples/01-tcp-echo/server.ts', ['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  const rows = [
    { name: 'text', input: ['hello\r\n', 'world'], want: Buffer.from('hello\r\nworld') },
    { name: 'every byte value', input: [Buffer.from(Array.from({ length: 256 }, (_, i) => i))], want: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    { name: 'nothing', input: [], want: Buffer.alloc(0) },
  ];
  for (const { name, input, want } of rows) {
    test(`echoes ${name} byte for byte`, async () => {
      assert.deepEqual((await exchange(server.port, input, { halfClose: true })).bytes, want);
    });
  }

  test('the client prints what the server echoed', async () => {
    const client = spawn(process.execPath, ['--import', 'tsx', 'examples/01-tcp-echo/client.ts', '--port', String(server.port), 'ahoy', 'keel'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    client.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    const [code] = await once(client, 'exit');
    assert.equal(code, 0);
    assert.equal(out, 'ahoy keel\n');
  });

  test('the server logs each connection', async () => {
    await exchange(server.port, ['x'], { halfClose: true });
    await server.waitForLine(/^connection from 127\.0\.0\.1:\d+$/);
  });
});

describe('examples/02-raw-server', () => {
  let server: Started;
  before(async () => {
    server = await startProgram('examples/02-raw-server/server.ts', ['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  test('GET / serves the tutorial page that embeds test.jpg', async () => {
    const res = parseResponse((await exchange(server.port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'])).bytes);
    assert.equal(res.statusLine, 'HTTP/1.1 200 OK');
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['connection'], 'close');
    assert.equal(Number(res.headers['content-length']), res.body.length);
    const html = res.body.toString('utf8');
    assert.match(html, /<h1>Wow, a Raw Socket Server!<\/h1>/);
    assert.match(html, /<img src="test\.jpg"/);
    await server.waitForLine(/^GET \/ HTTP\/1\.1$/);
  });

  test('GET /test.jpg serves the JPEG bytes as image/jpeg', async () => {
    const res = parseResponse((await exchange(server.port, ['GET /test.jpg HTTP/1.1\r\nHost: x\r\n\r\n'])).bytes);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.deepEqual(res.body, JPEG);
    await server.waitForLine(/^GET \/test\.jpg HTTP\/1\.1$/);
  });

  test('POST / shows the form fields back, HTML-escaped, even when the request arrives in pieces', async () => {
    const body = 'message=%3Cb%3Ehi%3C%2Fb%3E+%26+bye&n=1';
    const request = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const pieces = [request.slice(0, 7), request.slice(7, 40), request.slice(40, request.length - 5), request.slice(request.length - 5)];
    const res = parseResponse((await exchange(server.port, pieces)).bytes);
    assert.equal(res.status, 200);
    const html = res.body.toString('utf8');
    assert.match(html, /<li>message = &lt;b&gt;hi&lt;\/b&gt; &amp; bye<\/li><li>n = 1<\/li>/);
    assert.doesNotMatch(html, /<b>hi/);
    await server.waitForLine(/^POST \/ HTTP\/1\.1$/);
  });

  const errors = [
    { name: 'unknown path', input: 'GET /nope HTTP/1.1\r\n\r\n', want: 'HTTP/1.1 404 Not Found' },
    { name: 'wrong method', input: 'DELETE / HTTP/1.1\r\n\r\n', want: 'HTTP/1.1 405 Method Not Allowed' },
    { name: 'garbage request line', input: 'hello\r\n\r\n', want: 'HTTP/1.1 400 Bad Request' },
    { name: 'unknown version', input: 'GET / HTTP/2.0\r\n\r\n', want: 'HTTP/1.1 400 Bad Request' },
    { name: 'oversized body', input: 'POST / HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n', want: 'HTTP/1.1 413 Content Too Large' },
  ];
  for (const { name, input, want } of errors) {
    test(`answers ${name} with ${want.slice(9)}`, async () => {
      assert.equal(parseResponse((await exchange(server.port, [input])).bytes).statusLine, want);
    });
  }

  test('answers 431 when the head never ends', async () => {
    const res = (await exchange(server.port, [`GET / HTTP/1.1\r\nX: ${'a'.repeat(20 * 1024)}`])).bytes;
    assert.equal(parseResponse(res).statusLine, 'HTTP/1.1 431 Request Header Fields Too Large');
  });

  test('405 names the allowed methods', async () => {
    const res = parseResponse((await exchange(server.port, ['PUT /test.jpg HTTP/1.1\r\n\r\n'])).bytes);
    assert.equal(res.headers['allow'], 'GET');
  });
});

describe('examples/03-keel-hello', () => {
  let server: Started;
  before(async () => {
    server = await startProgram('examples/03-keel-hello/server.ts', ['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  test('serves the same page and picture as the raw server, over keep-alive', async () => {
    // Two requests on one connection: keel keeps it open, unlike step 2.
    const bytes = (await exchange(server.port, [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /test.jpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ])).bytes;
    const first = parseResponse(bytes);
    assert.equal(first.statusLine, 'HTTP/1.1 200 OK');
    assert.match(first.body.toString('utf8'), /<h1>Wow, a keel Server!<\/h1>[\s\S]*<img src="test\.jpg"/);
    const second = parseResponse(first.rest);
    assert.equal(second.headers['content-type'], 'image/jpeg');
    assert.deepEqual(second.body, JPEG);
    await server.waitForLine(/^GET \/test\.jpg HTTP\/1\.1$/);
  });

  test('POST shows the fields, escaped', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'message=%3Ci%3Ehi%3C%2Fi%3E',
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<li>message = &lt;i&gt;hi&lt;\/i&gt;<\/li>/);
  });

  test('keel answers what step 2 had to hand-write: 404, 405 with Allow, 400', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/nope`)).status, 404);
    const put = await fetch(`http://127.0.0.1:${server.port}/test.jpg`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 405);
    assert.match(put.headers.get('allow') ?? '', /GET/);
    const bad = parseResponse((await exchange(server.port, ['GET / HTTP/1.1\r\nHost x\r\n\r\n'])).bytes);
    assert.equal(bad.status, 400);
  });
});

describe('examples/04-time-server', () => {
  let server: Started;
  before(async () => {
    server = await startProgram('examples/04-time-server/server.ts', ['--port', '0', '--interval-ms', '10']);
  });
  after(async () => {
    await server.stop();
  });

  const rows: Array<{ name: string; input: Record<string, string>; want: string }> = [
    { name: 'HTML by default', input: {}, want: 'text/html; charset=utf-8' },
    { name: 'JSON when asked', input: { accept: 'application/json' }, want: 'application/json' },
  ];
  for (const { name, input, want } of rows) {
    test(name, async () => {
      const before = Date.now();
      const res = await fetch(`http://127.0.0.1:${server.port}/`, { headers: input });
      assert.equal(res.headers.get('content-type'), want);
      assert.equal(res.headers.get('vary'), 'Accept');
      const body = await res.text();
      if (want === 'application/json') {
        const t = JSON.parse(body) as { epochMs: number; iso: string };
        assert.ok(t.epochMs >= before && t.epochMs <= Date.now());
        assert.equal(new Date(t.epochMs).toISOString(), t.iso);
      } else assert.match(body, /The time is <time datetime="\d{4}-/);
    });
  }

  test('/stream pushes Server-Sent Events', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.setEncoding('latin1');
    let text = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (t: string) => {
        text += t;
        if ((text.match(/data: \{"iso":"[^"]+","epochMs":\d+\}\n\n/g) ?? []).length >= 3) resolve();
      });
    });
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Type: text\/event-stream; charset=utf-8\r\n/);
  });
});

describe('examples/05-guestbook', () => {
  let server: Started;
  let dir: string;
  before(async () => {
    dir = tempDir('ex5');
    const env = { ...process.env };
    delete env.DATABASE_URL;
    server = await startProgram('examples/05-guestbook/server.ts', ['--port', '0', '--db', join(dir, 'g.db')], env);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function visit(): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    return { cookie, csrf };
  }
  function post(fields: Record<string, string>, cookie: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${server.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  }

  test('a post is stored, redirected (303) and shown escaped', async () => {
    const { cookie, csrf } = await visit();
    const res = await post({ csrf, name: 'Linus <b>', message: '<script>x()</script>' }, cookie);
    assert.equal(res.status, 303);
    const html = await (await fetch(`http://127.0.0.1:${server.port}/`, { headers: { cookie } })).text();
    assert.match(html, /<li><b>Linus &lt;b&gt;<\/b> \(\d{4}-[^)]+\): &lt;script&gt;x\(\)&lt;\/script&gt;<\/li>/);
  });

  const bad = [
    { name: 'empty name', input: { name: '', message: 'hi' }, want: 'A name has 1 to 60 characters.' },
    { name: 'empty message', input: { name: 'a', message: '  ' }, want: 'A message has 1 to 500 characters.' },
    { name: 'forged token', input: { name: 'a', message: 'b', csrf: 'AAAAAAAAAAAAAAAAAAAAAA' }, want: 'The form expired; please send it again.' },
  ];
  for (const { name, input, want } of bad) {
    test(`bad input (${name}) re-renders the form with 422`, async () => {
      const { cookie, csrf } = await visit();
      const res = await post({ csrf, ...input }, cookie);
      assert.equal(res.status, 422);
      assert.ok((await res.text()).includes(`<li>${want}</li>`));
    });
  }
});

describe('examples/06-http-client', () => {
  let server: Started;
  before(async () => {
    server = await startProgram('examples/03-keel-hello/server.ts', ['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  /** Runs an example client to its exit; resolves with its exit code and output (stdout as latin1 bytes). */
  async function runClient(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const [code] = await once(child, 'exit');
    return { code: code as number | null, stdout, stderr };
  }

  // Both clients, the raw socket one and keel's Client, print the same status line, fields and page.
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

// Step 7: the same echo on the raw socket and on keel's app.ws(), checked alike with a client nobody here wrote.
for (const file of ['examples/07-websocket/raw-server.ts', 'examples/07-websocket/server.ts']) {
  describe(file, () => {
    let server: Started;
    before(async () => {
      server = await startProgram(file, ['--port', '0']);
    });
    after(async () => {
      await server.stop();
    });

    /** Sends each message on one connection and collects the echoes, then closes with 1000 and returns the code the client saw. */
    async function echo(messages: Array<string | Buffer>): Promise<{ got: Array<[string, boolean]>; code: number }> {
      const c = new WsClient(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false });
      const got: Array<[string, boolean]> = [];
      try {
        await once(c, 'open');
        for (const m of messages) {
          const reply = once(c, 'message') as Promise<[Buffer, boolean]>;
          c.send(m);
          const [data, isBinary] = await reply;
          got.push([isBinary ? data.toString('hex') : data.toString(), isBinary]);
        }
        const closed = once(c, 'close') as Promise<[number]>;
        c.close(1000);
        const [code] = await closed;
        return { got, code };
      } finally {
        c.terminate();
      }
    }

    const big = 'x'.repeat(70_000); // a 64-bit length (§5.2)
    const rows = [
      { name: 'text with a 7-bit length', input: ['hello'], want: [['hello', false]] },
      { name: 'binary with a 16-bit length', input: [Buffer.alloc(300, 7)], want: [['07'.repeat(300), true]] },
      { name: 'text with a 64-bit length, then a short one', input: [big, 'é'], want: [[big, false], ['é', false]] },
    ];
    for (const { name, input, want } of rows) {
      test(`echoes ${name}; the close handshake ends with 1000`, async () => {
        assert.deepEqual(await echo(input), { got: want, code: 1000 });
      });
    }

    test('a plain GET is refused with 426 and Upgrade: websocket', async () => {
      const res = parseResponse((await exchange(server.port, ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'])).bytes);
      assert.equal(res.status, 426);
      assert.equal(res.headers['upgrade'], 'websocket');
    });
  });
}

test('every example imports keel by its package name, never from src/ (they use the public API only)', () => {
  const offenders: string[] = [];
  for (const step of readdirSync('examples', { withFileTypes: true })) {
    if (!step.isDirectory()) continue;
    for (const file of readdirSync(join('examples', step.name)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join('examples', step.name, file), 'utf8');
      if (/from '(\.\.\/)+(src|dist)\//.test(text)) offenders.push(`${step.name}/${file}`);
    }
  }
  assert.deepEqual(offenders, []);
});
