// CGI/1.1 gateway over real sockets with real sh, Python 3 and Perl scripts (issue #6, RFC 3875).
//
// One Server routes /cgi-bin/* to the main gateway, /tight/* to one with small
// limits (timeouts, output cap) and /jail/* to one whose root sits next to an
// "outside" directory full of traps. Responses are read raw (test/helpers/socket.ts) and
// parsed by test/helpers/http.ts, so framing mistakes (a missing last chunk, a short body) show.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from '../../src/server/server.js';
import { cgiHandler } from '../../src/handlers/cgi.js';
import { DEFAULT_CGI_ENV_ALLOW_LIST } from '../../src/handlers/cgi-env.js';
import type { Handler } from '../../src/server/handler.js';
import { assertGone, killIfRunning } from './cgi-helpers.js';
import { exchange } from '../helpers/socket.js';
import { parseResponses, type ParsedResponse } from '../helpers/http.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURES = resolve(fileURLToPath(new URL('../fixtures/cgi-bin/', import.meta.url)));
/** Tight limits for the /tight gateway: small enough to hit in a test, large enough for a shell to start. */
const TIGHT_TIMEOUT_MS = 300;
const TIGHT_MAX_OUTPUT_BYTES = 200_000;
const MAIN_MAX_BUFFERED_BODY_BYTES = 200_000;
/** killGraceMs of the /grace gateway: short, so the SIGKILL that follows a SIGTERM comes soon in a test. */
const GRACE_KILL_GRACE_MS = 200;
/** Bound on a test that waits for a log line, so a regression fails instead of hanging the file. */
const TEST_TIMEOUT_MS = 25_000;

/** git does not always keep modes: make the fixtures executable (and one not) before anything runs. */
function fixModes(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) fixModes(p);
    else chmodSync(p, name === 'not-executable.sh' ? 0o644 : 0o755);
  }
}

// ---- a raw HTTP client ---------------------------------------------------

/** The first value of field `name` (any case), as the script's gateway wrote it. */
function header(r: ParsedResponse, name: string): string | undefined {
  return r.headerLines.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
/** Every value of field `name`, one per field line. */
function headerAll(r: ParsedResponse, name: string): string[] {
  return r.headerLines.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/** A CGI script may take a while to start under load: a longer bound than the helper's default. */
const EXCHANGE_TIMEOUT_MS = 20_000;

/** Sends raw request bytes, reads until the server closes, parses every response. */
async function exchangeAll(port: number, request: string | Buffer, opts: { isHead?: boolean } = {}): Promise<{ raw: Buffer; responses: ParsedResponse[] }> {
  const { bytes } = await exchange(port, request, { timeoutMs: EXCHANGE_TIMEOUT_MS });
  return { raw: bytes, responses: parseResponses(bytes, opts) };
}

/** The one response of a request sent with Connection: close. */
async function request(port: number, bytes: string | Buffer, opts: { isHead?: boolean } = {}): Promise<ParsedResponse & { clientPort: number }> {
  const ex = await exchange(port, bytes, { timeoutMs: EXCHANGE_TIMEOUT_MS });
  const responses = parseResponses(ex.bytes, opts);
  assert.equal(responses.length, 1, `expected one response, got: ${JSON.stringify(ex.text.slice(0, 300))}`);
  return { ...(responses[0] as ParsedResponse), clientPort: ex.clientPort };
}

/** The pid a background-*.sh or escaped.sh fixture reports as its body ("child <pid>"). */
function childPidOf(body: Buffer): number {
  const pid = Number(/^child (\d+)\n$/.exec(body.toString())?.[1]);
  assert.ok(pid > 0, `no child pid in ${JSON.stringify(body.toString())}`);
  return pid;
}

function get(port: number, target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: localhost:${port}\r\n${extraHeaders}Connection: close\r\n\r\n`;
}

// ---- the server under test -----------------------------------------------

const logs: string[] = [];
const logWaiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
function logger(line: string): void {
  logs.push(line);
  for (let i = logWaiters.length - 1; i >= 0; i--) {
    const w = logWaiters[i]!;
    if (w.re.test(line)) {
      logWaiters.splice(i, 1);
      w.resolve(line);
    }
  }
}
/** Resolves with the first log line (already logged or future) matching `re`. */
function waitForLog(re: RegExp): Promise<string> {
  const seen = logs.find((l) => re.test(l));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolveLine) => logWaiters.push({ re, resolve: resolveLine }));
}

let server: Server;
let port: number;
let jail: string;
let marker: string;
/** Where background-stubborn.sh records the SIGTERM it survived. */
let markDir: string;

before(async () => {
  fixModes(FIXTURES);
  // The jail: a root whose neighbours must never run.
  jail = tempDir('cgi');
  marker = join(jail, 'RAN');
  mkdirSync(join(jail, 'root'));
  mkdirSync(join(jail, 'outside'));
  writeFileSync(join(jail, 'outside', 'evil.sh'), `#!/bin/sh\ntouch '${marker}'\nprintf 'Content-Type: text/plain\\n\\nevil\\n'\n`, { mode: 0o755 });
  writeFileSync(join(jail, 'root', 'ok.sh'), "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nok\\n'\n", { mode: 0o755 });
  symlinkSync('../outside/evil.sh', join(jail, 'root', 'link.sh'));
  symlinkSync('../outside', join(jail, 'root', 'linkdir'));
  symlinkSync('ok.sh', join(jail, 'root', 'inner-link.sh'));
  markDir = join(jail, 'marks');
  mkdirSync(markDir);

  process.env.KEEL_CGI_TEST_SECRET = 'must-not-leak';
  const main = cgiHandler({ root: FIXTURES, prefix: '/cgi-bin', logger, serverSoftware: 'keel-test/1', maxBufferedBodyBytes: MAIN_MAX_BUFFERED_BODY_BYTES });
  const tight = cgiHandler({ root: FIXTURES, prefix: '/tight', logger, timeoutMs: TIGHT_TIMEOUT_MS, maxOutputBytes: TIGHT_MAX_OUTPUT_BYTES });
  const jailed = cgiHandler({ root: join(jail, 'root'), prefix: '/jail', logger });
  const grace = cgiHandler({ root: FIXTURES, prefix: '/grace', logger, killGraceMs: GRACE_KILL_GRACE_MS, env: { KEEL_TEST_MARK_DIR: markDir } });
  const route: Handler = (req, res) => {
    if (req.path.startsWith('/tight/')) return tight(req, res);
    if (req.path.startsWith('/grace/')) return grace(req, res);
    if (req.path.startsWith('/jail/')) return jailed(req, res);
    return main(req, res);
  };
  // CgiAbortError rejections are expected in some tests; the gateway logs them itself.
  server = new Server(route, { onError: () => {} });
  await server.listen(0, '127.0.0.1');
  port = server.port;
});

after(async () => {
  await server.close();
  rmSync(jail, { recursive: true, force: true });
  delete process.env.KEEL_CGI_TEST_SECRET;
});

// ---- tests -----------------------------------------------------------------

describe('CGI environment (RFC 3875 §4.1)', () => {
  it('gives a Perl script every meta-variable with exact values, and nothing else', async () => {
    const res = await request(
      port,
      get(
        port,
        '/cgi-bin/env.pl/extra%20path/x?a=1&b=%20',
        'User-Agent: keel-test\r\nAccept: text/plain\r\naccept: application/json\r\nCookie: a=1\r\nCookie: b=2\r\n' +
          'X-Foo: real\r\nX_Foo: spoofed\r\nProxy: http://evil.example:8888\r\nAuthorization: Basic dXNlcjpwYXNz\r\n',
      ),
    );
    assert.equal(res.status, 200);
    assert.equal(header(res, 'content-type'), 'application/json');
    const env = JSON.parse(res.body.toString('utf8')) as Record<string, string>;
    const want: Record<string, string> = {
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_NAME: 'localhost',
      SERVER_PORT: String(port),
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'keel-test/1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/cgi-bin/env.pl',
      PATH_INFO: '/extra path/x',
      PATH_TRANSLATED: join(FIXTURES, 'extra path', 'x'),
      QUERY_STRING: 'a=1&b=%20',
      REQUEST_URI: '/cgi-bin/env.pl/extra%20path/x?a=1&b=%20',
      SCRIPT_FILENAME: realpathSync(join(FIXTURES, 'env.pl')),
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_HOST: '127.0.0.1',
      REMOTE_PORT: String(res.clientPort),
      AUTH_TYPE: 'Basic',
      HTTP_HOST: `localhost:${port}`,
      HTTP_USER_AGENT: 'keel-test',
      HTTP_ACCEPT: 'text/plain, application/json',
      HTTP_COOKIE: 'a=1; b=2',
      HTTP_X_FOO: 'real',
      HTTP_CONNECTION: 'close',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(env[k], v, k);
    // Nothing but the meta-variables above and the allow-list.
    const allowed = new Set([...Object.keys(want), ...DEFAULT_CGI_ENV_ALLOW_LIST]);
    assert.deepEqual(Object.keys(env).filter((k) => !allowed.has(k)), []);
    assert.equal(env.KEEL_CGI_TEST_SECRET, undefined);
    assert.equal(env.HTTP_AUTHORIZATION, undefined);
    assert.equal(env.CONTENT_LENGTH, undefined);
    assert.equal(env.HTTPS, undefined);
  });

  it('never turns a Proxy header into HTTP_PROXY (httpoxy), in any spelling', async () => {
    for (const name of ['Proxy', 'proxy', 'PROXY']) {
      const res = await request(port, get(port, '/cgi-bin/env.py', `${name}: http://127.0.0.1:9/\r\n`));
      const env = JSON.parse(res.body.toString('utf8')) as Record<string, string>;
      assert.equal(env.HTTP_PROXY, undefined, name);
      assert.equal(env.http_proxy, undefined, name);
    }
  });

  it('splits SCRIPT_NAME and PATH_INFO after a script in a subdirectory', async () => {
    const res = await request(port, get(port, '/cgi-bin/sub/deep.sh/x/y/'));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), `script=/cgi-bin/sub/deep.sh\npath_info=/x/y/\npath_translated=${join(FIXTURES, 'x/y/')}\n`);
  });
});

describe('CGI requests and responses', () => {
  it('runs a shell script for a GET with a query, streaming chunked', async () => {
    const res = await request(port, get(port, '/cgi-bin/hello.sh?q=2&r=%41'));
    const date = header(res, 'date');
    const body = 'hello from sh\nquery=q=2&r=%41\npath_info=\nmethod=GET\n';
    assert.equal(
      res.raw.toString('latin1'),
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: ${date}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
  });

  it('serves two requests on one keep-alive connection', async () => {
    const req = `GET /cgi-bin/hello.sh?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /cgi-bin/length.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const ex = await exchangeAll(port, req);
    assert.equal(ex.responses.length, 2);
    assert.match(ex.responses[0]!.body.toString(), /query=n=1/);
    assert.equal(ex.responses[1]!.body.toString(), 'sized\n');
    assert.equal(header(ex.responses[1]!, 'content-length'), '6');
  });

  it('feeds a POSTed form to a Python script on stdin', async () => {
    const body = 'name=J%C3%BCrgen&msg=hello+world';
    const res = await request(
      port,
      `POST /cgi-bin/form.py HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.toString('utf8'), 'msg=hello world\nname=J\u00fcrgen\n');
  });

  it('pipes a binary upload to a Perl script byte for byte', async () => {
    const upload = randomBytes(300 * 1024);
    const head = `POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${upload.length}\r\nConnection: close\r\n\r\n`;
    const res = await request(port, Buffer.concat([Buffer.from(head, 'latin1'), upload]));
    assert.equal(res.status, 200);
    assert.equal(header(res, 'x-body-length'), String(upload.length));
    assert.equal(header(res, 'x-content-type'), 'application/octet-stream');
    assert.ok(res.isComplete);
    assert.ok(res.body.equals(upload), 'echoed body differs');
  });

  it('decodes a chunked request body and sets CONTENT_LENGTH to its real size', async () => {
    const parts = [randomBytes(1), randomBytes(4096), randomBytes(70_000), randomBytes(17)];
    const all = Buffer.concat(parts);
    const framed = Buffer.concat([
      ...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]),
      Buffer.from('0\r\n\r\n'),
    ]);
    const head = 'POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-thing\r\nConnection: close\r\n\r\n';
    const res = await request(port, Buffer.concat([Buffer.from(head), framed]));
    assert.equal(res.status, 200);
    assert.equal(header(res, 'x-body-length'), String(all.length));
    assert.ok(res.body.equals(all), 'echoed body differs');
  });

  it('answers 413 to a chunked body over maxBufferedBodyBytes, without running the script', async () => {
    const big = randomBytes(MAIN_MAX_BUFFERED_BODY_BYTES + 1);
    const head = 'POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    const framed = Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from('\r\n0\r\n\r\n')]);
    const res = await request(port, Buffer.concat([Buffer.from(head), framed]));
    assert.equal(res.status, 413);
    assert.equal(res.body.toString(), '413 Content Too Large\n');
  });

  it('passes Status and extra fields, drops hop-by-hop ones from the script', async () => {
    const res = await request(port, get(port, '/cgi-bin/status.sh'));
    assert.equal(res.status, 404);
    assert.equal(header(res, 'x-script'), 'status');
    assert.deepEqual(headerAll(res, 'set-cookie'), ['a=1', 'b=2']);
    // One Transfer-Encoding (the server's own framing), the server's Connection only.
    assert.deepEqual(headerAll(res, 'transfer-encoding'), ['chunked']);
    assert.deepEqual(headerAll(res, 'connection'), ['close']);
    assert.equal(res.body.toString(), 'no such thing\n');
    assert.ok(res.isComplete);
  });

  it('keeps a correct Content-Length from the script', async () => {
    const res = await request(port, get(port, '/cgi-bin/length.sh'));
    assert.equal(header(res, 'content-length'), '6');
    assert.equal(header(res, 'transfer-encoding'), undefined);
    assert.equal(res.body.toString(), 'sized\n');
  });

  it('cuts the connection when the body is shorter than the script\'s Content-Length', async () => {
    const res = await request(port, get(port, '/cgi-bin/short-body.sh'));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'short');
    assert.equal(res.isComplete, false);
  });

  it('sends stderr lines to the logger', async () => {
    const res = await request(port, get(port, '/cgi-bin/stderr.sh'));
    assert.equal(res.body.toString(), 'ok\n');
    await waitForLog(/stderr\.sh\[\d+\]: stderr: first warning$/);
    await waitForLog(/stderr\.sh\[\d+\]: stderr: second warning$/);
    const first = logs.findIndex((l) => l.endsWith('stderr: first warning'));
    const second = logs.findIndex((l) => l.endsWith('stderr: second warning'));
    assert.ok(first !== -1 && second > first, 'stderr lines logged in order');
  });

  it('handles many concurrent scripts', async () => {
    const n = 16;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => request(port, get(port, `/cgi-bin/hello.sh?i=${i}`))));
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.match(r.body.toString(), new RegExp(`query=i=${i}\n`));
    });
  });
});

describe('CGI redirects (RFC 3875 §6.2)', () => {
  it('serves a local redirect internally, as a GET of the new path and query', async () => {
    const res = await request(port, get(port, '/cgi-bin/redirect-local.sh'));
    assert.equal(res.status, 200);
    assert.equal(header(res, 'location'), undefined);
    assert.equal(res.body.toString(), 'hello from sh\nquery=from=redirect\npath_info=/via\nmethod=GET\n');
  });

  it('sends a client redirect (absolute URI) as 302 with its Location', async () => {
    const res = await request(port, get(port, '/cgi-bin/redirect-client.sh'));
    assert.equal(res.status, 302);
    assert.equal(header(res, 'location'), 'http://example.com/elsewhere');
  });

  const failing = [
    { name: 'a local redirect loop stops at localRedirectLimit', input: '/cgi-bin/redirect-loop.sh', log: /more than localRedirectLimit/ },
    { name: 'a local redirect outside the prefix cannot be served', input: '/cgi-bin/redirect-outside.sh', log: /outside the CGI prefix/ },
  ];
  for (const row of failing) {
    it(`500: ${row.name}`, async () => {
      const res = await request(port, get(port, row.input));
      assert.equal(res.status, 500);
      assert.equal(res.body.toString(), '500 Internal Server Error\n');
      await waitForLog(row.log);
    });
  }
});

describe('nph- scripts (RFC 3875 §5)', () => {
  it('re-emits the script\'s own status line and fields, body unchanged', async () => {
    const res = await request(port, get(port, '/cgi-bin/nph-hello.sh'));
    assert.equal(res.status, 201);
    assert.equal(header(res, 'x-nph'), 'yes');
    assert.equal(header(res, 'content-type'), 'text/plain');
    // The script's "Connection: keep-alive" is not ours to send.
    assert.deepEqual(headerAll(res, 'connection'), ['close']);
    assert.equal(res.body.toString(), 'nph body\n');
  });
});

describe('bad scripts', () => {
  const rows = [
    { name: 'no header block', input: '/cgi-bin/no-headers.sh', want: 502, log: /no-headers\.sh.*no complete header block|no-headers\.sh.*bad response/ },
    { name: 'malformed Status', input: '/cgi-bin/bad-status.sh', want: 502, log: /bad-status\.sh.*malformed Status/ },
    { name: 'Python crash before output', input: '/cgi-bin/crash.py', want: 502, log: /crash\.py.*exited with status 1/ },
    { name: 'exit in the middle of the header block', input: '/cgi-bin/early-exit.sh', want: 502, log: /early-exit\.sh.*no complete header block/ },
    { name: 'header block over maxHeaderBytes', input: '/cgi-bin/big-header.sh', want: 502, log: /big-header\.sh.*over maxHeaderBytes/ },
    { name: 'interpreter missing', input: '/cgi-bin/bad-interpreter.sh', want: 502, log: /bad-interpreter\.sh.*could not start script \(ENOENT\)/ },
    { name: 'not executable', input: '/cgi-bin/not-executable.sh', want: 403, log: /not-executable\.sh: script is not executable/ },
    { name: 'missing', input: '/cgi-bin/missing.sh', want: 404, log: null },
    { name: 'a directory', input: '/cgi-bin/sub', want: 403, log: null },
    { name: 'outside the prefix', input: '/elsewhere/hello.sh', want: 404, log: null },
  ];
  for (const row of rows) {
    it(`${row.want}: ${row.name}`, async () => {
      const res = await request(port, get(port, row.input));
      assert.equal(res.status, row.want);
      // A fixed text: never the script's output, never a stack trace.
      assert.match(res.body.toString(), /^\d{3} [A-Za-z ]+\n$/);
      if (row.log !== null) await waitForLog(row.log);
    });
  }

  it('logs a crashing script\'s traceback from stderr', async () => {
    await request(port, get(port, '/cgi-bin/crash.py'));
    await waitForLog(/crash\.py\[\d+\]: stderr: RuntimeError: deliberate crash in crash\.py/);
  });
});

describe('limits and process control', () => {
  it('504 when a script does not answer in time; its process group is killed', async () => {
    const res = await request(port, get(port, '/tight/sleep.sh'));
    assert.equal(res.status, 504);
    assert.equal(res.body.toString(), '504 Gateway Timeout\n');
    const line = await waitForLog(/\/tight\/sleep\.sh\[\d+\]: stderr: pids \d+ \d+/);
    const [, leader, sleeper] = /pids (\d+) (\d+)/.exec(line)!;
    await waitForLog(new RegExp(`sleep\\.sh\\[${leader}\\]: timed out after ${TIGHT_TIMEOUT_MS} ms`));
    await assertGone([Number(leader), Number(sleeper)]);
  });

  it('closes the connection when a script times out after its headers', async () => {
    const res = await request(port, get(port, '/tight/slow-body.sh'));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'first line\n');
    assert.equal(res.isComplete, false, 'response must not look complete');
    const line = await waitForLog(/\/tight\/slow-body\.sh\[\d+\]: stderr: pids \d+ \d+/);
    const [, leader, sleeper] = /pids (\d+) (\d+)/.exec(line)!;
    await assertGone([Number(leader), Number(sleeper)]);
  });

  it('bounds the whole run by timeoutMs, not the gaps between writes (#12)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const started = Date.now();
    const res = await request(port, get(port, '/tight/trickle.sh'));
    assert.equal(res.status, 200);
    assert.equal(res.isComplete, false, 'response must not look complete');
    assert.match(res.body.toString(), /^(tick\n)+/);
    assert.ok(Date.now() - started >= TIGHT_TIMEOUT_MS, 'cut by the timeout, not before');
    await waitForLog(new RegExp(`/tight/trickle\\.sh\\[\\d+\\]: timed out after ${TIGHT_TIMEOUT_MS} ms; process group killed`));
  });

  it('kills a script whose output passes maxOutputBytes and aborts the response', async () => {
    const res = await request(port, get(port, '/tight/flood.pl'));
    assert.equal(res.status, 200);
    assert.equal(res.isComplete, false);
    assert.ok(res.body.length <= TIGHT_MAX_OUTPUT_BYTES, `body ${res.body.length} bytes`);
    const line = await waitForLog(/\/tight\/flood\.pl\[\d+\]: output over maxOutputBytes/);
    const pid = Number(/\[(\d+)\]/.exec(line)![1]);
    await assertGone([pid]);
  });

  it('kills the script when the client disconnects', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(get(port, '/cgi-bin/sleep.sh'));
    const line = await waitForLog(/\/cgi-bin\/sleep\.sh\[\d+\]: stderr: pids \d+ \d+/);
    const [, leader, sleeper] = /pids (\d+) (\d+)/.exec(line)!;
    socket.destroy();
    await waitForLog(new RegExp(`sleep\\.sh\\[${leader}\\]: client disconnected; script killed`));
    await assertGone([Number(leader), Number(sleeper)]);
  });

  it('kills the script when the client disconnects in the middle of an upload', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const declared = 1_000_000;
    socket.write(`POST /cgi-bin/echo.pl?upload-cut HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\n`);
    // Hang up once half the body has left for the server.
    await new Promise<void>((r) => socket.write(randomBytes(declared / 2), () => r()));
    socket.destroy();
    const line = await waitForLog(/\/cgi-bin\/echo\.pl\[\d+\]: client disconnected; script killed/);
    await assertGone([Number(/\[(\d+)\]/.exec(line)![1])]);
  });

  it('kills the process group when the client disconnects in the middle of the response', { timeout: TEST_TIMEOUT_MS }, async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(get(port, '/cgi-bin/slow-body.sh'));
    // The head and the first body line are out; the script is blocked in `wait`.
    await new Promise<void>((r) => {
      let seen = '';
      const onData = (d: Buffer): void => {
        seen += d.toString('latin1');
        if (seen.includes('first line')) {
          socket.off('data', onData);
          r();
        }
      };
      socket.on('data', onData);
    });
    const line = await waitForLog(/\/cgi-bin\/slow-body\.sh\[\d+\]: stderr: pids \d+ \d+/);
    const [, leader, sleeper] = /pids (\d+) (\d+)/.exec(line)!;
    socket.destroy();
    await waitForLog(new RegExp(`slow-body\\.sh\\[${leader}\\]: client disconnected; script killed`));
    await assertGone([Number(leader), Number(sleeper)]);
  });

  // Issue #12 item 11: the run ends when the script (the process-group leader) exits,
  // and whatever it left behind in its group is killed then, not at timeoutMs.
  const leftBehind = [
    { name: 'kills what a script left running after a normal exit', input: '/cgi-bin/background-quiet.sh', wantTermFirst: false },
    // Before #12 this response stayed open until timeoutMs (30 s here) and was then cut.
    { name: 'ends the response when the script exits although its background child holds stdout', input: '/cgi-bin/background.sh', wantTermFirst: false },
    { name: 'sends SIGTERM, then SIGKILL after killGraceMs, to a child that survives SIGTERM', input: '/grace/background-stubborn.sh', wantTermFirst: true },
  ];
  for (const c of leftBehind) {
    it(`${c.name} (#12)`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const res = await request(port, get(port, c.input));
      assert.equal(res.status, 200);
      assert.equal(res.isComplete, true, 'response must be complete, not cut at the timeout');
      const child = childPidOf(res.body);
      await assertGone([child]);
      // It had seen the SIGTERM before it went: the kill was TERM then KILL, not KILL alone.
      if (c.wantTermFirst) assert.equal(readFileSync(join(markDir, `term.${child}`), 'latin1'), 'TERM\n');
    });
  }

  it('cuts the response at timeoutMs when a process that left the group holds stdout (documented limit, #12)', { timeout: TEST_TIMEOUT_MS }, async () => {
    let child = 0;
    try {
      const res = await request(port, get(port, '/tight/escaped.sh'));
      child = childPidOf(res.body);
      assert.equal(res.status, 200);
      assert.equal(res.isComplete, false, 'the gateway cannot know the output is over: the response is cut');
      await waitForLog(new RegExp(`escaped\\.sh\\[\\d+\\]: timed out after ${TIGHT_TIMEOUT_MS} ms; the script had exited but its stdout was still open`));
    } finally {
      // setsid(2) put it out of the gateway's reach: clean up after the test.
      if (child > 0) killIfRunning(child);
    }
  });

  it('keeps serving after all of the above', async () => {
    const res = await request(port, get(port, '/cgi-bin/hello.sh'));
    assert.equal(res.status, 200);
  });
});

describe('path safety', () => {
  // Exact statuses: 400 for what the normalizer refuses, 404 outside the prefix or
  // missing, 403 for a symlink out of the root, as the static handler (issue #14 item 5).
  const attempts = [
    { name: 'symlink to a script outside the root', input: '/jail/link.sh', want: 403 },
    { name: 'symlinked directory outside the root', input: '/jail/linkdir/evil.sh', want: 403 },
    { name: 'dot-dot out of the prefix', input: '/jail/../outside/evil.sh', want: 404 },
    { name: 'encoded dot-dot', input: '/jail/%2e%2e/outside/evil.sh', want: 404 },
    { name: 'encoded dot-dot, mixed case, twice', input: '/jail/%2E%2E/%2e%2E/outside/evil.sh', want: 400 },
    { name: 'encoded slash', input: '/jail/..%2foutside%2fevil.sh', want: 400 },
    { name: 'encoded backslash', input: '/jail/..%5coutside%5cevil.sh', want: 400 },
    { name: 'overlong UTF-8 dots', input: '/jail/%c0%ae%c0%ae/outside/evil.sh', want: 400 },
    { name: 'dot then dot-dot', input: '/jail/./../outside/evil.sh', want: 404 },
    { name: 'dot-dot above the URL root', input: '/cgi-bin/../../test/fixtures/cgi-bin/hello.sh', want: 400 },
  ];
  for (const c of attempts) {
    it(`never runs anything outside the root: ${c.name} (${c.input})`, async () => {
      const res = await request(port, get(port, c.input));
      assert.equal(res.status, c.want);
      assert.equal(existsSync(marker), false, 'a script outside the root ran');
    });
  }

  it('follows a symlink that stays inside the root', async () => {
    const res = await request(port, get(port, '/jail/inner-link.sh'));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'ok\n');
  });
});

describe('HEAD', () => {
  it('sends the head of a script response without a body', async () => {
    const ex = await exchangeAll(port, `HEAD /cgi-bin/hello.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { isHead: true });
    const text = ex.raw.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith('\r\n\r\n') && text.indexOf('\r\n\r\n') === text.length - 4, JSON.stringify(text));
  });
});
