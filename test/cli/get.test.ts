// Tests for src/cli/get.ts: `keel get URL` flags, output and exit codes (#17), run as a user runs
// it (`node dist/cli/main.js get ...`, so exit codes and wording are main.ts's, shared by every
// command: #13 item 5). Servers are keel's own or scripted, in this process.
import { describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { WireFormatter } from '../../src/cli/get.js';
import { selfSignedCert, withKeel, withScripted } from '../client/helpers.js';
import { KEEL, runKeel, type KeelResult } from './keel.js';
import { withTempDir } from '../helpers/tmp.js';

/** Bound on every spawned case: a command that hangs fails here. */
const CASE_TIMEOUT_MS = 20_000;

/** Runs `keel get ARGV...` as a user does (the built CLI). */
function run(argv: string[]): Promise<KeelResult> {
  return runKeel(['get', ...argv]);
}

const echo = async (req: import('../../src/server/handler.js').Request, res: import('../../src/server/handler.js').ResponseWriter): Promise<void> => {
  const body = await req.text();
  res.headers.set('X-Seen', `${req.method} ${req.target} ${req.version}`);
  res.end(`${req.method} ${req.target} ct=${req.header('content-type') ?? '-'} x=${req.header('x-test') ?? '-'} body=${body}`);
};

describe('keel get', { timeout: CASE_TIMEOUT_MS }, () => {
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
      const r = await run(['-X', 'PUT', '-H', 'X-Test: yes', '-d', 'a=1', origin]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'PUT / ct=application/x-www-form-urlencoded x=yes body=a=1');
      const both = await run(['-H', 'X-Test: yes', '-H', 'Content-Type: text/plain', '-d', 'a=1', origin]);
      assert.equal(both.stdout, 'POST / ct=text/plain x=yes body=a=1', 'every -H is sent, and one naming Content-Type replaces the form type');
    });
  });

  test('--data-binary @file sends the file as is (POST by default)', async () => {
    await withTempDir('get', async (dir) => {
      fs.writeFileSync(path.join(dir, 'body.txt'), 'line1\r\nline2');
      await withKeel(echo, async (origin) => {
        const r = await run(['--data-binary', `@${path.join(dir, 'body.txt')}`, '-H', 'Content-Type: text/plain', origin]);
        assert.equal(r.stdout, 'POST / ct=text/plain x=- body=line1\r\nline2');
      });
    });
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

  test('-v with stdout and stderr on one terminal: the trace line ends before the body is printed', async () => {
    await withScripted((conn) => conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'), async (origin) => {
      // One pipe for both streams, as a terminal shows them (`2>&1`).
      const sh = spawn('sh', ['-c', `"${process.execPath}" "${KEEL}" get -v ${origin} 2>&1`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let both = '';
      sh.stdout.setEncoding('latin1').on('data', (t: string) => (both += t));
      const [code] = await once(sh, 'close');
      assert.equal(code, 0);
      assert.ok(both.endsWith('< \\r\\n\n< hi\nhi'), both);
    });
  });

  test("curl's short forms: a value in the same word (-XPUT) and grouped flags (-iv)", async () => {
    await withKeel(echo, async (origin) => {
      const r = await run(['-XPUT', '-iv', origin]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nPUT \/ ct=- x=- body=$/);
      assert.match(r.stderr, /^> PUT \/ HTTP\/1\.1\\r\\n\n/);
    });
  });

  test('-o FILE writes the body to the file', async () => {
    await withTempDir('get', (dir) =>
      withKeel(echo, async (origin) => {
        const out = path.join(dir, 'out.txt');
        const r = await run(['-o', out, origin]);
        assert.equal(r.code, 0);
        assert.equal(r.stdout, '');
        assert.equal(fs.readFileSync(out, 'utf8'), 'GET / ct=- x=- body=');
      }),
    );
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

  test('a certificate that is not trusted: exit 1 with one plain line (verification is on by default)', async (t) => {
    const pair = selfSignedCert();
    if (pair === null) return t.skip('openssl is not installed');
    // A node:tls peer, not keel's Server: a client that rejects the certificate closes during the
    // handshake, which keel's Server (allowHalfOpen) does not notice; see the report of this change.
    const server = tls.createServer({ key: pair.key, cert: pair.cert }, (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = await run([`https://127.0.0.1:${(server.address() as AddressInfo).port}/`]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'keel get: connect failed: self-signed certificate (ERR_CONNECT)\n');
      assert.equal(r.stdout, '');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('-v then a failure: the trace line is ended before the error line', async () => {
    await withScripted((conn) => conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), async (origin) => {
      const r = await run(['-v', origin]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.endsWith('< abc\nkeel get: connection closed in the middle of the body (ERR_RESPONSE_INCOMPLETE)\n'), r.stderr);
    });
  });

  test('--debug: the whole error with its stack and cause', async () => {
    await withScripted((conn) => conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'), async (origin) => {
      const r = await run(['--debug', origin]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^keel get: ResponseError: both Content-Length and Transfer-Encoding\n {4}at /);
      assert.match(r.stderr, /code: 'ERR_RESPONSE_CONFLICTING_FRAMING'/);
    });
  });

  const fileFailures = [
    { name: '--data-binary @FILE that does not exist', input: ['--data-binary', '@/nonexistent/file', 'http://127.0.0.1:1/'], want: 'keel get: /nonexistent/file: no such file or directory\n' },
  ];
  for (const { name, input, want } of fileFailures) {
    test(`${name}: exit 1 with one plain line, nothing sent`, async () => {
      const r = await run(input);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, want);
    });
  }

  test('-o into a directory that does not exist: exit 1 with one plain line', async () => {
    await withKeel(echo, async (origin) => {
      const r = await run(['-o', '/nonexistent/dir/out.txt', origin]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'keel get: /nonexistent/dir/out.txt: no such file or directory\n');
    });
  });

  // Usage mistakes: one line in the wording every keel command uses, then exit 2 (#13 item 5).
  const hint = " (see 'keel get --help')\n";
  const usage = [
    { name: 'no URL', input: [], want: `keel get: a URL is required${hint}` },
    { name: 'two URLs', input: ['http://a/', 'http://b/'], want: `keel get: unexpected argument "http://b/"${hint}` },
    { name: 'not a URL', input: ['nope'], want: `keel get: not a URL: "nope"${hint}` },
    { name: 'ftp', input: ['ftp://a/'], want: `keel get: unsupported scheme ftp: (http: or https:)${hint}` },
    { name: 'an unknown flag', input: ['--frobnicate', 'http://a/'], want: `keel get: unknown option --frobnicate${hint}` },
    { name: '-H without a value', input: ['http://a/', '-H'], want: `keel get: option -H needs a value ('K: V')${hint}` },
    { name: 'a value given to a flag', input: ['--include=yes', 'http://a/'], want: `keel get: option --include takes no value${hint}` },
    { name: 'a header without a colon', input: ['-H', 'NoColon', 'http://a/'], want: `keel get: a header is 'Name: value', got "NoColon"${hint}` },
    { name: '-d with --data-binary', input: ['-d', 'a', '--data-binary', 'b', 'http://a/'], want: `keel get: -d and --data-binary are exclusive${hint}` },
    { name: 'a method that is not a token', input: ['-X', 'GE T', 'http://127.0.0.1:1/'], want: `keel get: invalid method${hint}` },
    { name: 'a field value with a line break', input: ['-H', 'X-A: 1\r\nX-B: 2', 'http://127.0.0.1:1/'], want: `keel get: invalid value for header X-A${hint}` },
    { name: 'a Content-Length without a body', input: ['-H', 'Content-Length: 5', 'http://127.0.0.1:1/'], want: `keel get: Content-Length without a body${hint}` },
  ];
  for (const { name, input, want } of usage) {
    test(`usage mistake: ${name}: exit 2 with one line`, async () => {
      const r = await run(input);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, want);
      assert.equal(r.stdout, '');
    });
  }

  test('--help: usage on stdout, exit 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: keel get URL \[options\]\n[\s\S]*-H, --header 'K: V' +add a request field \(repeatable\)\n/);
    assert.equal(r.stderr, '');
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
