// Tests for src/cli/get.ts: `keel get URL` flags, output and exit codes (#17).
// runGet is called in-process with collecting streams; servers are keel's own or scripted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { runGet, WireFormatter } from '../../src/cli/get.js';
import { selfSignedCert, withKeel, withScripted } from '../client/helpers.js';

/** A Writable that keeps what it is given. */
class Sink extends Writable {
  readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.parts.push(Buffer.from(chunk));
    cb();
  }
  get text(): string {
    return Buffer.concat(this.parts).toString('latin1');
  }
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runGet(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const echo = async (req: import('../../src/server/handler.js').Request, res: import('../../src/server/handler.js').ResponseWriter): Promise<void> => {
  const body = await req.text();
  res.headers.set('X-Seen', `${req.method} ${req.target} ${req.version}`);
  res.end(`${req.method} ${req.target} ct=${req.header('content-type') ?? '-'} x=${req.header('x-test') ?? '-'} body=${body}`);
};

describe('keel get', () => {
  test('prints the body; exit 0', async () => {
    await withKeel(echo, async (origin) => {
      const r = await run([`${origin}/a?b=1`]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'GET /a?b=1 ct=- x=- body=');
      assert.equal(r.stderr, '');
    });
  });

  test('-X, -H (repeatable), -d: method, fields and a form body', async () => {
    await withKeel(echo, async (origin) => {
      const r = await run(['-X', 'PUT', '-H', 'X-Test: yes', '-H', 'X-Other: 2', '-d', 'a=1', origin]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'PUT / ct=application/x-www-form-urlencoded x=yes body=a=1');
    });
  });

  test('--data-binary @file sends the file as is (POST by default)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-get-'));
    try {
      fs.writeFileSync(path.join(dir, 'body.txt'), 'line1\r\nline2');
      await withKeel(echo, async (origin) => {
        const r = await run(['--data-binary', `@${path.join(dir, 'body.txt')}`, '-H', 'Content-Type: text/plain', origin]);
        assert.equal(r.stdout, 'POST / ct=text/plain x=- body=line1\r\nline2');
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-i prints the response head before the body', async () => {
    await withKeel(echo, async (origin) => {
      const r = await run(['-i', origin]);
      assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(r.stdout, /\r\nX-Seen: GET \/ 1\.1\r\n/i);
      assert.ok(r.stdout.endsWith('\r\n\r\nGET / ct=- x=- body='));
    });
  });

  test('-v prints the exact bytes both ways with \\r\\n visible', async () => {
    await withScripted((conn) => conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'), async (origin) => {
      const r = await run(['-v', `${origin}/x`]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'hi');
      const host = new URL(origin).host;
      assert.equal(
        r.stderr,
        `> GET /x HTTP/1.1\\r\\n\n> Host: ${host}\\r\\n\n> User-Agent: keel-get\\r\\n\n> Accept: */*\\r\\n\n> \\r\\n\n` +
          '< HTTP/1.1 200 OK\\r\\n\n< Content-Length: 2\\r\\n\n< \\r\\n\n< hi\n',
      );
    });
  });

  test('-o FILE writes the body to the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-get-'));
    try {
      await withKeel(echo, async (origin) => {
        const out = path.join(dir, 'out.txt');
        const r = await run(['-o', out, origin]);
        assert.equal(r.code, 0);
        assert.equal(r.stdout, '');
        assert.equal(fs.readFileSync(out, 'utf8'), 'GET / ct=- x=- body=');
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--http1.0 sends an HTTP/1.0 request', async () => {
    await withKeel(echo, async (origin) => {
      const r = await run(['-i', '--http1.0', origin]);
      assert.match(r.stdout, /X-Seen: GET \/ 1\.0\r\n/i);
    });
  });

  test('--insecure accepts a self-signed certificate', async (t) => {
    const pair = selfSignedCert();
    if (pair === null) return t.skip('openssl is not installed');
    await withKeel(echo, async (origin) => {
      const ok = await run(['--insecure', origin]);
      assert.equal(ok.code, 0);
      assert.equal(ok.stdout, 'GET / ct=- x=- body=');
    }, { tls: { key: pair.key, cert: pair.cert } });
  });

  test('a 404 is a response: exit 0', async () => {
    await withScripted((conn) => conn.socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope'), async (origin) => {
      const r = await run([origin]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'nope');
    });
  });

  const failures = [
    { name: 'a malformed response', input: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', want: /^keel get: both Content-Length and Transfer-Encoding \(ERR_RESPONSE_CONFLICTING_FRAMING\)\n$/ },
    { name: 'a body cut short', input: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', want: /^keel get: connection closed in the middle of the body \(ERR_RESPONSE_INCOMPLETE\)\n$/ },
  ];
  for (const { name, input, want } of failures) {
    test(`${name}: exit 1 with one plain line`, async () => {
      await withScripted((conn) => conn.socket.end(input), async (origin) => {
        const r = await run([origin]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, want);
      });
    });
  }

  test('a refused connection: exit 1 with one plain line', async () => {
    let origin = '';
    await withKeel(echo, async (o) => {
      origin = o;
    });
    const r = await run([origin]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^keel get: connect failed: .*ECONNREFUSED.* \(ERR_CONNECT\)\n$/);
  });

  const usage = [
    { name: 'no URL', input: [] },
    { name: 'two URLs', input: ['http://a/', 'http://b/'] },
    { name: 'not a URL', input: ['nope'] },
    { name: 'ftp', input: ['ftp://a/'] },
    { name: 'an unknown flag', input: ['--frobnicate', 'http://a/'] },
    { name: 'a header without a colon', input: ['-H', 'NoColon', 'http://a/'] },
    { name: '-d with --data-binary', input: ['-d', 'a', '--data-binary', 'b', 'http://a/'] },
    { name: 'a missing file', input: ['--data-binary', '@/nonexistent/file', 'http://a/'] },
  ];
  for (const { name, input } of usage) {
    test(`usage error: ${name}: exit 2`, async () => {
      const r = await run(input);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^keel get: .*\nusage: keel get URL/);
    });
  }

  test('--help: usage on stdout, exit 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: keel get URL/);
  });
});

describe('WireFormatter', () => {
  const rows = [
    { name: 'CRLF lines', input: ['GET / HTTP/1.1\r\n\r\n'], want: '> GET / HTTP/1.1\\r\\n\n> \\r\\n\n' },
    { name: 'a line split across chunks keeps one prefix', input: ['GE', 'T /\r', '\n'], want: '> GET /\\r\\n\n' },
    { name: 'controls, backslash and non-ASCII are escaped', input: ['a\tb\\c\x00\xff'], want: '> a\\tb\\\\c\\x00\\xff' },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => {
      const f = new WireFormatter('> ');
      assert.equal(input.map((s) => f.format(Buffer.from(s, 'latin1'))).join(''), want);
    });
  }
});
