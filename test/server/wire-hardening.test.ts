// The wire's last lenient shapes (issue #12, items 1-5), over real sockets: what a client gets,
// byte for byte, and when. The parser-level rules are in test/wire/parser.test.ts; these tests
// check that the server answers them at once (never by a timeout: every timeout here is set far
// beyond the helpers' 3 s wait), and that the host an absolute-form request names is the one
// every consumer of the request sees (req.header, clientInfo, the fetch adapter, CGI).
//
// Owns only tests; it opens servers on 127.0.0.1:0 and closes everything it opens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Handler } from '../../src/server/handler.js';
import { clientInfo } from '../../src/server/trusted-proxy.js';
import { toFetchRequest } from '../../src/app/fetch.js';
import { cgiHandler } from '../../src/handlers/cgi.js';
import { FIXED_DATE, FIXED_NOW_MS, RawClient, withServer, TEST_TIMEOUT_MS } from './helpers.js';
import { KEEL_CASES_DIR } from '../wire/conformance-cases.js';
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_LINGER_MS, loadSocketCases, runCase, type Delivery } from '../conformance/socket-runner.js';
import { startKeel, type RunningKeel } from '../cli/keel.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;
/** Timeouts far beyond what a test waits: an answer that needed one of them fails the test. */
const NO_TIMEOUTS = { clock, headersTimeoutMs: 600_000, bodyTimeoutMs: 600_000, idleTimeoutMs: 600_000 };

/** The exact bytes of a protocol error answered before any handler ran (src/server/connection.ts). */
function protocolError(status: number, reason: string): string {
  const body = `${status} ${reason}\n`;
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${D}\r\n${body}`;
}
const BAD_REQUEST = protocolError(400, 'Bad Request');
/** The 400 a handler gets when it lets its body read's ProtocolError propagate (docs/errors.md). */
const BAD_REQUEST_FROM_HANDLER = `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n${D}Content-Length: 16\r\nConnection: close\r\n\r\n400 Bad Request\n`;

/** Ways to put the same bytes on the wire: one write, one write per byte, two writes. */
const DELIVERIES: Array<{ name: string; pieces: (s: string) => string[] }> = [
  { name: 'whole', pieces: (s) => [s] },
  { name: 'byte by byte', pieces: (s) => [...s] },
  { name: 'split in two', pieces: (s) => [s.slice(0, s.length >> 1), s.slice(s.length >> 1)] },
];

async function sendPieces(c: RawClient, pieces: string[]): Promise<void> {
  for (const p of pieces) await c.send(p);
}

/** Reads its whole body and answers with it; a body read that fails propagates (its status is sent). */
const readingHandler: Handler = async (req, res) => {
  const body = await req.bytes();
  res.end(`${body.toString('latin1')}|${JSON.stringify(req.trailers)}`);
};

describe('bare CR (issue #12, item 1; RFC 9112 §2.2)', () => {
  // None of these heads has an LF where a line would end: the old parser waited for one until the header timeout.
  const heads = [
    { name: 'lines ended by bare CRs', input: 'GET / HTTP/1.1\rHost: a\r\r' },
    { name: 'a bare CR before the final CRLF', input: 'GET / HTTP/1.1\r\nHost: a\r\n\r\r' },
    { name: 'a bare CR inside a field line, line not ended', input: 'GET / HTTP/1.1\r\nHost: a\rX' },
  ];
  for (const row of heads) {
    for (const d of DELIVERIES) {
      test(`${row.name}, ${d.name}: 400 at once`, { timeout: TEST_TIMEOUT_MS }, async () => {
        let calls = 0;
        await withServer(() => void calls++, NO_TIMEOUTS, async ({ connect, errors }) => {
          const c = await connect();
          await sendPieces(c, d.pieces(row.input));
          assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST);
          assert.equal(calls, 0);
          assert.equal(errors.length, 0, 'a client error is not a server error');
        });
      });
    }
  }

  const bodies = [
    { name: 'a chunk-size line ended by bare CRs', body: '3\r\r' },
    { name: 'a bare CR in a chunk extension', body: '3;a\rb' },
    { name: 'a trailer line ended by bare CRs', body: '3\r\nabc\r\n0\r\nX: a\r\r' },
  ];
  for (const row of bodies) {
    for (const d of DELIVERIES) {
      test(`${row.name}, ${d.name}: the reading handler gets 400 at once`, { timeout: TEST_TIMEOUT_MS }, async () => {
        await withServer(readingHandler, NO_TIMEOUTS, async ({ connect }) => {
          const c = await connect();
          await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
          await sendPieces(c, d.pieces(row.body));
          assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST_FROM_HANDLER);
        });
      });
    }
    test(`${row.name} in a body nobody reads: answered, then closed at once`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await withServer((_req, res) => res.end('ok'), NO_TIMEOUTS, async ({ connect }) => {
        const c = await connect();
        await c.send(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${row.body}`);
        assert.equal((await c.readToEnd()).toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\n\r\nok`);
      });
    });
  }
});

describe('chunk-size lines take BWS only where RFC 9112 §7.1.1 allows it (issue #12, item 2)', () => {
  for (const line of ['3 ', '3\t', '3;a=b\t']) {
    test(`${JSON.stringify(line)}: 400`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await withServer(readingHandler, NO_TIMEOUTS, async ({ connect }) => {
        const c = await connect();
        await c.send(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nabc\r\n0\r\n\r\n`);
        assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST_FROM_HANDLER);
      });
    });
  }
  test('"0 " as the last chunk: 400', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(readingHandler, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0 \r\n\r\n');
      assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST_FROM_HANDLER);
    });
  });
  test('BWS before ";" and around "=" is accepted', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(readingHandler, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 ; a = b\r\nabc\r\n0\t;\tz\r\n\r\n');
      const res = await c.readResponse();
      assert.equal(res.body.toString('latin1'), 'abc|[]');
    });
  });
});

describe('framing and routing fields in trailers (issue #12, item 3; RFC 9110 §6.5.1)', () => {
  test('Connection: close in a trailer is refused: 400, the pipelined request after it is not served', { timeout: TEST_TIMEOUT_MS }, async () => {
    const seen: string[] = [];
    const handler: Handler = async (req, res) => {
      seen.push(req.target);
      await readingHandler(req, res);
    };
    await withServer(handler, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send(
        'POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nConnection: close\r\n\r\n' +
          'GET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
      );
      assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST_FROM_HANDLER);
      assert.deepEqual(seen, ['/1']);
    });
  });
  for (const field of ['Content-Length: 3', 'Transfer-Encoding: chunked', 'Host: evil.example', 'Authorization: Basic eDp5']) {
    test(`${field.split(':')[0]} in a trailer: 400`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await withServer(readingHandler, NO_TIMEOUTS, async ({ connect }) => {
        const c = await connect();
        await c.send(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${field}\r\n\r\n`);
        assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST_FROM_HANDLER);
      });
    });
  }
  test('other trailers reach req.trailers, and the connection stays open', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(readingHandler, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Digest: sha-256=:x:\r\n\r\n');
      assert.equal((await c.readResponse()).body.toString('latin1'), 'abc|["Content-Digest","sha-256=:x:"]');
      await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz');
      assert.equal((await c.readResponse()).body.toString('latin1'), 'z|[]');
    });
  });
});

describe('absolute-form: the target\'s authority is the host everywhere (issue #12, item 4; RFC 9112 §3.2.2)', () => {
  const CGI_ROOT = fileURLToPath(new URL('../fixtures/cgi-bin/', import.meta.url));
  before(() => chmodSync(`${CGI_ROOT}env.py`, 0o755)); // git does not always keep modes

  /** Every place a handler can learn the host from, as JSON. */
  const hostViews: Handler = (req, res) => {
    res.headers.set('Content-Type', 'application/json');
    res.end(
      JSON.stringify({
        header: req.header('host'),
        raw: req.rawHeaders,
        clientInfo: clientInfo(req, { trustedProxies: [] }).host,
        fetchUrl: toFetchRequest(req).url,
        path: req.path,
        query: req.query,
      }),
    );
  };

  test('Host: evil.example with GET http://good.example/x: every view says good.example', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(hostViews, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send('GET http://good.example/x?y=1 HTTP/1.1\r\nHost: evil.example\r\nX: 1\r\n\r\n');
      assert.deepEqual(JSON.parse((await c.readResponse()).body.toString('utf8')), {
        header: 'good.example',
        raw: ['Host', 'good.example', 'X', '1'],
        clientInfo: 'good.example',
        fetchUrl: 'http://good.example/x?y=1',
        path: '/x',
        query: 'y=1',
      });
    });
  });

  test('CGI: SERVER_NAME and HTTP_HOST come from the target\'s authority', { timeout: TEST_TIMEOUT_MS }, async () => {
    const cgi = cgiHandler({ root: CGI_ROOT, prefix: '/cgi-bin' });
    await withServer(cgi, NO_TIMEOUTS, async ({ connect }) => {
      for (const [request, serverName, httpHost] of [
        ['GET http://good.example:8080/cgi-bin/env.py HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n', 'good.example', 'good.example:8080'],
        // HTTP/1.0 may omit Host: the authority still names the server (it was the local address).
        ['GET http://good.example/cgi-bin/env.py HTTP/1.0\r\n\r\n', 'good.example', 'good.example'],
      ]) {
        const c = await connect();
        await c.send(request);
        const env = JSON.parse((await c.readResponse()).body.toString('utf8')) as Record<string, string>;
        assert.equal(env.SERVER_NAME, serverName);
        assert.equal(env.HTTP_HOST, httpHost);
      }
    });
  });

  for (const target of ['http://user:pw@good.example/', 'http://exa}ple.com/', 'ftp://good.example/', 'http:///x']) {
    test(`${target}: 400 before any handler`, { timeout: TEST_TIMEOUT_MS }, async () => {
      let calls = 0;
      await withServer(() => void calls++, NO_TIMEOUTS, async ({ connect }) => {
        const c = await connect();
        await c.send(`GET ${target} HTTP/1.1\r\nHost: good.example\r\n\r\n`);
        assert.equal((await c.readToEnd()).toString('latin1'), BAD_REQUEST);
        assert.equal(calls, 0);
      });
    });
  }
});

describe('field count default (issue #12, item 5; docs/limits.md)', () => {
  const countFields: Handler = (req, res) => res.end(String(req.rawHeaders.length / 2));
  test('Host and 100 fields of the client\'s own are served', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(countFields, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send(`GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 100 }, (_, i) => `X-F${i}: ${i}\r\n`).join('')}\r\n`);
      assert.equal((await c.readResponse()).body.toString('latin1'), '101');
    });
  });
  test('more than 1000 field lines: 431', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(countFields, NO_TIMEOUTS, async ({ connect }) => {
      const c = await connect();
      await c.send(`GET / HTTP/1.1\r\nHost: a\r\n${'a:\r\n'.repeat(1000)}\r\n`);
      assert.equal((await c.readToEnd()).toString('latin1'), protocolError(431, 'Request Header Fields Too Large'));
    });
  });
});

// keel's own cases (test/fixtures/wire/keel/wire-hardening.json, the format of the shared
// conformance suite) sent by the suite's socket runner to `keel echo` (the built CLI), in every
// delivery, with the echo app's log checked: the same bytes the parser test replays, end to end.
describe("keel's own wire cases over sockets against keel echo (issue #12)", () => {
  const cases = loadSocketCases(KEEL_CASES_DIR);
  let keel: RunningKeel | undefined;
  let port = 0;
  before(async () => {
    keel = startKeel(['echo', '--port', '0']);
    port = Number((await keel.waitFor(/keel echo listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
  });
  after(async () => keel?.stop());
  test('the case file is there', () => assert.ok(cases.length >= 20, `${cases.length} cases`));
  for (const delivery of ['whole', 'bytewise', 'split'] as const satisfies readonly Delivery[]) {
    test(`every case passes (delivery=${delivery})`, { timeout: 60_000 }, async () => {
      const opts = { host: '127.0.0.1', port, delivery, timeoutMs: DEFAULT_CASE_TIMEOUT_MS, lingerMs: DEFAULT_LINGER_MS, appLog: true };
      const failed: string[] = [];
      for (const c of cases) {
        const r = await runCase(c, opts);
        if (!r.isPassed) failed.push(`${r.id}: ${r.reason} {${r.observed}}`);
      }
      assert.deepEqual(failed, []);
    });
  }
});
