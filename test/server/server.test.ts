// Tests for src/server/server.ts and response.ts over real sockets: exact response bytes (issue #3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, until, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;

/** One request on a fresh connection; `want` is every byte the server sends before closing or the next read. */
interface ExactRow {
  name: string;
  handler: Handler;
  request: string;
  /** Exact bytes of the response. */
  want: string;
  /** Whether the server must close the connection after it. */
  closes: boolean;
  isHead?: boolean;
}

const rows: ExactRow[] = [
  {
    name: 'end(string) gets a Content-Length',
    handler: (_req, res) => {
      res.headers.set('Content-Type', 'text/plain');
      res.end('hello');
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${D}Content-Length: 5\r\n\r\nhello`,
    closes: false,
  },
  {
    name: 'end(string) counts UTF-8 bytes, not characters',
    handler: (_req, res) => res.end('h\u00e9'),
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\n\r\nh\u00c3\u00a9`,
    closes: false,
  },
  {
    name: 'end(Buffer) with binary bytes',
    handler: (_req, res) => res.end(Buffer.from([0, 0xff, 0x0d, 0x0a])),
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 4\r\n\r\n\x00\xff\r\n`,
    closes: false,
  },
  {
    name: 'end() with no body: Content-Length 0',
    handler: (_req, res) => res.end(),
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'a handler that returns without a response gets an empty 200',
    handler: () => {},
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'write+end on HTTP/1.1 is chunked (RFC 9112 §7.1)',
    handler: (_req, res) => {
      res.write('hello');
      res.write(Buffer.from(' world'));
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'write+end(chunk) on HTTP/1.1 sends the last piece as a chunk',
    handler: (_req, res) => {
      res.write('ab');
      res.end('cde');
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'write+end on HTTP/1.0 is delimited by close (RFC 9112 §6.3)',
    handler: (_req, res) => {
      res.write('hello');
      res.end(' world');
    },
    request: 'GET / HTTP/1.0\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Connection: close\r\n\r\nhello world`,
    closes: true,
  },
  {
    name: 'write+end on HTTP/1.0 keep-alive still closes: no length is known',
    handler: (_req, res) => {
      res.write('hi');
      res.end();
    },
    request: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Connection: close\r\n\r\nhi`,
    closes: true,
  },
  {
    name: '204 has neither body nor Content-Length (RFC 9110 §8.6)',
    handler: (_req, res) => {
      res.status = 204;
      res.headers.set('Content-Length', '10');
      res.end('ignored');
    },
    request: 'DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 204 No Content\r\n${D}\r\n`,
    closes: false,
  },
  {
    name: '304 has no body and keeps a declared Content-Length (RFC 9110 §8.6)',
    handler: (_req, res) => {
      res.status = 304;
      res.headers.set('ETag', '"a"');
      res.headers.set('Content-Length', '42');
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: "a"\r\n\r\n',
    want: `HTTP/1.1 304 Not Modified\r\nETag: "a"\r\nContent-Length: 42\r\n${D}\r\n`,
    closes: false,
  },
  {
    name: '304 without a declared length gets no Content-Length',
    handler: (_req, res) => {
      res.status = 304;
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 304 Not Modified\r\n${D}\r\n`,
    closes: false,
  },
  {
    name: 'a user Content-Length is honoured over several writes (no chunking)',
    handler: (_req, res) => {
      res.headers.set('Content-Length', 5);
      res.write('hel');
      res.write('lo');
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n${D}\r\nhello`,
    closes: false,
  },
  {
    name: 'a user Transfer-Encoding is dropped: the server owns framing',
    handler: (_req, res) => {
      res.headers.set('Transfer-Encoding', 'gzip, chunked');
      res.end('x');
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 1\r\n\r\nx`,
    closes: false,
  },
  {
    name: 'a Date set by the handler is kept, not doubled',
    handler: (_req, res) => {
      res.headers.set('Date', 'Mon, 02 Feb 2026 10:00:00 GMT');
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: 'HTTP/1.1 200 OK\r\nDate: Mon, 02 Feb 2026 10:00:00 GMT\r\nContent-Length: 0\r\n\r\n',
    closes: false,
  },
  {
    name: 'trailers after the last chunk (RFC 9112 §7.1.2)',
    handler: (_req, res) => {
      res.headers.set('Trailer', 'X-Checksum');
      res.setTrailer('X-Checksum', 'abc');
      res.write('data');
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\n${D}Transfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\nX-Checksum: abc\r\n\r\n`,
    closes: false,
  },
  {
    name: 'end(body) with a trailer set is chunked, since a length cannot carry trailers',
    handler: (_req, res) => {
      res.setTrailer('X-A', '1');
      res.setTrailer('X-B', '2');
      res.end('hey');
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Transfer-Encoding: chunked\r\n\r\n3\r\nhey\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n`,
    closes: false,
  },
  {
    name: 'writeHead with a status and headers sends the head at once',
    handler: (_req, res) => {
      res.writeHead(201, { Location: '/items/1', 'X-Multi': ['a', 'b'] });
      res.end('made');
    },
    request: 'POST /items HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
    want: `HTTP/1.1 201 Created\r\nLocation: /items/1\r\nX-Multi: a\r\nX-Multi: b\r\n${D}Transfer-Encoding: chunked\r\n\r\n4\r\nmade\r\n0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'an unregistered status gets an empty reason phrase',
    handler: (_req, res) => {
      res.status = 299;
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 299 \r\n${D}Content-Length: 0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'Connection: close from the client: answered with close, then closed (RFC 9112 §9.6)',
    handler: (_req, res) => res.end('bye'),
    request: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\nConnection: close\r\n\r\nbye`,
    closes: true,
  },
  {
    name: 'Connection: close from the handler closes after the response',
    handler: (_req, res) => {
      res.headers.set('Connection', 'Close');
      res.end('bye');
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\nConnection: close\r\n\r\nbye`,
    closes: true,
  },
  {
    name: 'Connection: keep-alive from the handler is the server\'s call, not repeated',
    handler: (_req, res) => {
      res.headers.set('Connection', 'keep-alive');
      res.end();
    },
    request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 0\r\n\r\n`,
    closes: false,
  },
  {
    name: 'HTTP/1.0 without keep-alive: Connection: close, then closed',
    handler: (_req, res) => res.end('ok'),
    request: 'GET / HTTP/1.0\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\nConnection: close\r\n\r\nok`,
    closes: true,
  },
  {
    name: 'HEAD with end(body): same Content-Length as GET, no body (RFC 9110 §9.3.2)',
    handler: (_req, res) => {
      res.headers.set('Content-Type', 'text/plain');
      res.end('hello');
    },
    request: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${D}Content-Length: 5\r\n\r\n`,
    closes: false,
    isHead: true,
  },
  {
    name: 'HEAD with write+end: chunked header, no chunks at all',
    handler: (_req, res) => {
      res.write('hello');
      res.end('!');
    },
    request: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Transfer-Encoding: chunked\r\n\r\n`,
    closes: false,
    isHead: true,
  },
  {
    name: 'HEAD with a declared Content-Length and writes: no body, connection kept',
    handler: (_req, res) => {
      res.headers.set('Content-Length', '5');
      res.write('hello');
      res.end();
    },
    request: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n${D}\r\n`,
    closes: false,
    isHead: true,
  },
  {
    name: 'HEAD with a declared Content-Length and no body written: connection kept',
    handler: (_req, res) => {
      res.headers.set('Content-Length', '1000');
      res.end();
    },
    request: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: `HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n${D}\r\n`,
    closes: false,
    isHead: true,
  },
];

const FOLLOW_UP = 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n';

for (const row of rows) {
  test(`response bytes: ${row.name}`, { timeout: TEST_TIMEOUT_MS }, async () => {
    // The same handler answers the follow-up request, so the row's handler is wrapped.
    const handler: Handler = (req, res) => (req.path === '/next' ? res.end('next') : row.handler(req, res));
    await withServer(handler, { clock }, async ({ connect }) => {
      const c = await connect();
      await c.send(row.request);
      const res = await c.readResponse(row.isHead);
      assert.equal(res.raw.toString('latin1'), row.want);
      if (row.closes) {
        assert.equal((await c.readToEnd()).length, 0, 'nothing after the response');
      } else {
        // The connection is still usable and in step: the next response follows exactly.
        await c.send(FOLLOW_UP);
        const next = await c.readResponse();
        assert.equal(next.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 4\r\n\r\nnext`);
      }
    });
  });
}

test('HTTP/1.0 keep-alive: Connection: keep-alive echoed and the connection reused', { timeout: TEST_TIMEOUT_MS }, async () => {
  let n = 0;
  await withServer((_req, res) => res.end(`r${++n}`), { clock }, async ({ connect }) => {
    const c = await connect();
    for (const i of [1, 2, 3]) {
      await c.send('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const res = await c.readResponse();
      assert.equal(res.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\nConnection: keep-alive\r\n\r\nr${i}`);
    }
    await c.send('GET / HTTP/1.0\r\n\r\n');
    const last = await c.readResponse();
    assert.equal(last.headers.connection, 'close');
    assert.equal((await c.readToEnd()).length, 0);
  });
});

test('HEAD then GET on one connection: same headers, the GET has the body', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (_req, res) => {
    res.headers.set('Content-Type', 'text/html');
    res.end('<p>hi</p>');
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('HEAD /p HTTP/1.1\r\nHost: a\r\n\r\n');
    const head = await c.readResponse(true);
    await c.send('GET /p HTTP/1.1\r\nHost: a\r\n\r\n');
    const get = await c.readResponse();
    assert.equal(head.head, get.head);
    assert.equal(head.body.length, 0);
    assert.equal(get.body.toString(), '<p>hi</p>');
  });
});

test('Date header: IMF-fixdate from the injected clock (RFC 9110 §6.6.1, §5.6.7)', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = Date.UTC(2026, 5, 15, 13, 45, 30, 999);
  await withServer((_req, res) => res.end(), { clock: () => now }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).headers.date, 'Mon, 15 Jun 2026 13:45:30 GMT');
    now += 1; // next second: the cached line must be refreshed
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).headers.date, 'Mon, 15 Jun 2026 13:45:31 GMT');
  });
});

test('Date header with the real clock is within a few seconds of now', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((_req, res) => res.end(), {}, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const date = (await c.readResponse()).headers.date;
    assert.match(date, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
    assert.ok(Math.abs(Date.parse(date) - Date.now()) < 5000);
  });
});

test('a body longer than its Content-Length throws in the handler and the connection is closed', { timeout: TEST_TIMEOUT_MS }, async () => {
  const thrown: unknown[] = [];
  const handler: Handler = (_req, res) => {
    res.headers.set('Content-Length', '5');
    res.write('hel');
    try {
      res.write('lo, world');
    } catch (err) {
      thrown.push(err);
      throw err;
    }
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const all = (await c.readToEnd()).toString('latin1');
    // Whatever went out before the reset is a prefix of the head and the bytes that fit;
    // the excess never does.
    assert.ok(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\n${D}\r\nhel`.startsWith(all), JSON.stringify(all));
    assert.equal(thrown.length, 1);
    assert.ok(thrown[0] instanceof RangeError);
    assert.equal(errors.length, 1);
  });
});

test('errors found while building the head are a clean 500: nothing was on the wire yet', { timeout: TEST_TIMEOUT_MS }, async () => {
  const cases: Array<[string, Handler]> = [
    ['end(body) longer than the declared Content-Length', (_req, res) => {
      res.headers.set('Content-Length', '2');
      res.end('too long');
    }],
    ['a status outside 100-999', (_req, res) => {
      res.status = 1000;
      res.end('x');
    }],
    ['a status below 100 via writeHead', (_req, res) => void res.writeHead(99)],
    // A 1xx as the final response would leave the client waiting for the real one (RFC 9110 §15.2).
    ['an informational status as the response', (_req, res) => {
      res.status = 103;
      res.end('x');
    }],
    ['a Content-Length that is not digits', (_req, res) => {
      res.headers.set('Content-Length', '12abc');
      res.end('x');
    }],
  ];
  for (const [name, handler] of cases) {
    const wrapped: Handler = (req, res) => (req.path === '/ok' ? res.end('fine') : handler(req, res));
    await withServer(wrapped, { clock }, async ({ connect, errors }) => {
      const c = await connect();
      await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      const res = await c.readResponse();
      assert.equal(
        res.raw.toString('latin1'),
        `HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n${D}Content-Length: 26\r\n\r\n500 Internal Server Error\n`,
        name,
      );
      assert.equal(errors.length, 1, name);
      await c.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await c.readResponse()).body.toString(), 'fine', name);
    });
  }
});

test('a body shorter than its Content-Length: the connection is closed after it', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const [name, handler] of [
    ['write then end', ((_req, res) => {
      res.headers.set('Content-Length', '10');
      res.write('short');
      res.end();
    }) as Handler],
    ['end(short body)', ((_req, res) => {
      res.headers.set('Content-Length', '10');
      res.end('short');
    }) as Handler],
    ['end() with nothing', ((_req, res) => {
      res.headers.set('Content-Length', '10');
      res.end();
    }) as Handler],
  ] as const) {
    await withServer(handler, { clock }, async ({ connect }) => {
      const c = await connect();
      await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      // Only the close can end such a response: the client must not wait forever.
      const all = (await c.readToEnd(2000)).toString('latin1');
      assert.ok(all.startsWith('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n'), `${name}: ${JSON.stringify(all)}`);
    });
  }
});

test('header injection: CR/LF in a value gives 500, nothing injected, and the server survives', { timeout: TEST_TIMEOUT_MS }, async () => {
  const attempts: Array<[string, Handler]> = [
    ['headers.set', (_req, res) => void res.headers.set('X-Evil', 'a\r\nSet-Cookie: pwned=1')],
    ['headers.append', (_req, res) => void res.headers.append('X-Evil', 'a\nSet-Cookie: pwned=1')],
    ['writeHead headers', (_req, res) => void res.writeHead(200, { 'X-Evil': 'a\r\n\r\n<script>' })],
    ['header name', (_req, res) => void res.headers.set('X-Evil\r\nSet-Cookie', 'pwned=1')],
    ['NUL in a value', (_req, res) => void res.headers.set('X-Evil', 'a\0b')],
  ];
  for (const [name, handler] of attempts) {
    const wrapped: Handler = (req, res) => (req.path === '/ok' ? res.end('fine') : handler(req, res));
    await withServer(wrapped, { clock }, async ({ connect, errors }) => {
      const c = await connect();
      await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      const res = await c.readResponse();
      assert.equal(
        res.raw.toString('latin1'),
        `HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n${D}Content-Length: 26\r\n\r\n500 Internal Server Error\n`,
        name,
      );
      assert.equal(errors.length, 1, name);
      // Same connection, then a new one: both still served.
      await c.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await c.readResponse()).body.toString(), 'fine');
      const d = await connect();
      await d.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await d.readResponse()).body.toString(), 'fine');
    });
  }
});

test('header injection in a trailer after the head is sent: the connection is reset, no trailer line leaks', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (req, res) => {
    if (req.path === '/ok') return res.end('fine');
    res.setTrailer('X-Evil', 'a\r\nSet-Cookie: pwned=1');
    res.write('data');
    res.end();
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const all = (await c.readToEnd()).toString('latin1');
    assert.ok(!all.includes('pwned'), JSON.stringify(all));
    assert.ok(!all.endsWith('0\r\n\r\n'), 'the body must not look complete');
    const d = await connect();
    await d.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await d.readResponse()).body.toString(), 'fine');
  });
});

test('request fields reach the handler: method, target, path, query, version, headers, addresses', { timeout: TEST_TIMEOUT_MS }, async () => {
  let seen: Record<string, unknown> = {};
  const handler: Handler = (req, res) => {
    seen = {
      method: req.method,
      target: req.target,
      path: req.path,
      query: req.query,
      version: req.version,
      rawHeaders: req.rawHeaders,
      host: req.header('HOST'),
      accept: req.header('accept'),
      acceptAll: req.headerAll('Accept'),
      cookie: req.header('cookie'),
      hasBody: req.hasBody,
      contentLength: req.contentLength,
      remoteAddress: req.remoteAddress,
      localAddress: req.localAddress,
      isSecure: req.isSecure,
    };
    res.end();
  };
  await withServer(handler, { clock }, async ({ connect, port }) => {
    const c = await connect();
    await c.send('GET /a%20b/c?x=1&y=%2F HTTP/1.1\r\nHost: example\r\nAccept: text/html\r\nAccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n');
    await c.readResponse();
    assert.deepEqual(seen, {
      method: 'GET',
      target: '/a%20b/c?x=1&y=%2F',
      path: '/a%20b/c',
      query: 'x=1&y=%2F',
      version: '1.1',
      rawHeaders: ['Host', 'example', 'Accept', 'text/html', 'Accept', '*/*', 'Cookie', 'a=1', 'Cookie', 'b=2'],
      host: 'example',
      accept: 'text/html, */*',
      acceptAll: ['text/html', '*/*'],
      cookie: 'a=1; b=2',
      hasBody: false,
      contentLength: 0,
      remoteAddress: '127.0.0.1',
      localAddress: '127.0.0.1',
      isSecure: false,
    });
    assert.equal(c.socket.localPort !== undefined && c.socket.remotePort, port);
  });
});

test('the peer address is recorded at accept: a handler still sees it after the client left (issue #12)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const started = deferred();
  const gate = deferred();
  const seen = deferred<{ address: string; port: number }>();
  const handler: Handler = async (req, res) => {
    started.resolve();
    await gate.promise; // the client is gone by now: an access log line is written at this point
    seen.resolve({ address: req.remoteAddress, port: req.remotePort });
    res.end();
  };
  await withServer(handler, { clock }, async ({ connect, server }) => {
    const c = await connect();
    const port = c.socket.localPort;
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await started.promise;
    c.socket.resetAndDestroy(); // leaves at once: the server's socket is destroyed, its peer unknown to Node
    await until(() => server.connectionStates().active === 0, 'the server to see the connection gone');
    gate.resolve();
    assert.deepEqual(await seen.promise, { address: '127.0.0.1', port });
  });
});

test('request bodies: Content-Length and chunked, read with text() and json()', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = async (req, res) => {
    if (req.path === '/json') {
      const v = (await req.json()) as { n: number };
      res.end(String(v.n * 2));
    } else {
      res.end(`${req.contentLength}:${await req.text()}:${JSON.stringify(req.trailers)}`);
    }
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST /json HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n{"n":21}');
    assert.equal((await c.readResponse()).body.toString(), '42');
    await c.send('POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'undefined:abcde:["X-T","1"]');
  });
});

test('the server answers over several connections in parallel', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((req, res) => res.end(req.path), { clock }, async ({ connect }) => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connect()));
    await Promise.all(clients.map((c, i) => c.send(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`)));
    const bodies = await Promise.all(clients.map(async (c) => (await c.readResponse()).body.toString()));
    assert.deepEqual(bodies, ['/0', '/1', '/2', '/3', '/4']);
  });
});

test('response heads: pipelined responses that differ in one piece each get their own exact head', { timeout: TEST_TIMEOUT_MS }, async () => {
  // The server reuses the previous head string when nothing it is built from changed; each
  // request below changes one piece (a field value, a field name, the field order, the status,
  // the length, framing, Connection, a handler-set Date, no fields), so a reuse would show.
  const handler: Handler = (req, res) => {
    const p = req.path;
    if (p !== '/none') res.headers.set('Content-Type', p === '/value' ? 'text/html' : 'text/plain');
    if (p === '/name') res.headers.set('X-B', '1');
    if (p === '/order') {
      res.headers.delete('Content-Type');
      res.headers.set('X-B', '1');
      res.headers.set('Content-Type', 'text/plain');
    }
    if (p === '/status') res.status = 201;
    if (p === '/date') res.headers.set('Date', 'Mon, 01 Jan 2024 00:00:00 GMT');
    if (p === '/chunked') {
      res.write('ab');
      res.end('c');
      return;
    }
    if (p === '/close') res.headers.set('Connection', 'close');
    res.end(p === '/len' ? 'abcd' : 'abc');
  };
  const paths = ['/same', '/same', '/value', '/same', '/name', '/order', '/status', '/len', '/date', '/none', '/chunked', '/same', '/close'];
  const ct = 'Content-Type: text/plain\r\n';
  const want: Record<string, string> = {
    '/same': `HTTP/1.1 200 OK\r\n${ct}${D}Content-Length: 3\r\n\r\nabc`,
    '/value': `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n${D}Content-Length: 3\r\n\r\nabc`,
    '/name': `HTTP/1.1 200 OK\r\n${ct}X-B: 1\r\n${D}Content-Length: 3\r\n\r\nabc`,
    '/order': `HTTP/1.1 200 OK\r\nX-B: 1\r\n${ct}${D}Content-Length: 3\r\n\r\nabc`,
    '/status': `HTTP/1.1 201 Created\r\n${ct}${D}Content-Length: 3\r\n\r\nabc`,
    '/len': `HTTP/1.1 200 OK\r\n${ct}${D}Content-Length: 4\r\n\r\nabcd`,
    '/date': `HTTP/1.1 200 OK\r\n${ct}Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 3\r\n\r\nabc`,
    '/none': `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\n\r\nabc`,
    '/chunked': `HTTP/1.1 200 OK\r\n${ct}${D}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n`,
    '/close': `HTTP/1.1 200 OK\r\n${ct}${D}Content-Length: 3\r\nConnection: close\r\n\r\nabc`,
  };
  await withServer(handler, { clock: () => FIXED_NOW_MS }, async ({ connect }) => {
    const c = await connect();
    await c.send(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join(''));
    const got = (await c.readToEnd()).toString('latin1');
    assert.equal(got, paths.map((p) => want[p]).join(''));
  });
});

test('103 Early Hints (RFC 8297): interim heads before the final response, in order, pipelined too', { timeout: TEST_TIMEOUT_MS }, async () => {
  const errors: string[] = [];
  const handler: Handler = (req, res) => {
    if (req.path === '/two') {
      res.writeEarlyHints({ Link: ['</a.css>; rel=preload; as=style', '</b.js>; rel=preload; as=script'] });
      res.writeEarlyHints({ Link: '</c.png>; rel=preload; as=image' });
    } else if (req.path === '/bad') {
      try {
        res.writeEarlyHints({ Link: '</a.css>\r\nX-Injected: 1' });
      } catch (e) {
        errors.push((e as Error).name);
      }
    } else if (req.path === '/late') {
      res.writeHead(200, { 'Content-Length': 3 });
      try {
        res.writeEarlyHints({ Link: '</a.css>; rel=preload' });
      } catch (e) {
        errors.push((e as Error).message);
      }
    } else {
      res.writeEarlyHints({ Link: '</a.css>; rel=preload; as=style' });
    }
    res.end('abc');
  };
  const ok = `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\n\r\nabc`;
  await withServer(handler, { clock: () => FIXED_NOW_MS }, async ({ connect }) => {
    const c = await connect();
    await c.send(['/two', '/bad', '/late', '/one'].map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join('') + 'GET /one HTTP/1.0\r\n\r\n');
    const got = (await c.readToEnd()).toString('latin1');
    assert.equal(
      got,
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload; as=style\r\nLink: </b.js>; rel=preload; as=script\r\n\r\n' +
        'HTTP/1.1 103 Early Hints\r\nLink: </c.png>; rel=preload; as=image\r\n\r\n' +
        ok +
        ok + // /bad: the bad field threw, nothing was sent for it
        `HTTP/1.1 200 OK\r\nContent-Length: 3\r\n${D}\r\nabc` + // /late: the head went first
        'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload; as=style\r\n\r\n' +
        ok +
        // HTTP/1.0: no 1xx at all (RFC 9110 §15.2), and the connection closes after it.
        `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\nConnection: close\r\n\r\nabc`,
    );
  });
  assert.deepEqual(errors, ['TypeError', 'early hints after the response head']);
});

test('103 Early Hints: names differing in case are separate lines; framing fields never go into a 1xx', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (_req, res) => {
    res.writeEarlyHints({ Link: '</a.css>', link: '</b.css>', 'Content-Length': '5', 'Transfer-Encoding': 'chunked', Connection: 'close' });
    res.end('x');
  };
  await withServer(handler, { clock: () => FIXED_NOW_MS }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).raw.toString('latin1'), 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nlink: </b.css>\r\n\r\n');
    assert.equal((await c.readResponse()).raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 1\r\n\r\nx`);
  });
});
