import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRequest, MemoryResponse, runFetchRequest } from '../../src/app/inject.js';
import { App, type RunningServer } from '../../src/app/index.js';
import { HeaderMap } from '../../src/wire/header-map.js';
import { exchange } from '../helpers/socket.js';
import { parseResponse } from '../helpers/http.js';

/** Field lines no response may carry (RFC 9110 §5.1 token names, §5.5 values; latin1 only on the wire). */
const INVALID_FIELDS: ReadonlyArray<{ name: string; input: readonly [string, string] }> = [
  { name: 'CRLF in value (response splitting)', input: ['x', 'a\r\nInjected: 1'] },
  { name: 'NUL in value', input: ['x', 'a\0b'] },
  { name: 'a control byte (\\x01) in value', input: ['x', 'a\x01b'] },
  { name: 'DEL in value', input: ['x', 'a\x7fb'] },
  { name: 'a char above U+00FF in value', input: ['x', 'caf\u0100'] },
  { name: 'an emoji in value', input: ['x', 'hi \u{1F600}'] },
  { name: 'space in name', input: ['x y', 'v'] },
  { name: 'colon in name', input: ['x:', 'v'] },
  { name: 'a char above U+00FF in name', input: ['x\u0100', 'v'] },
];

describe('MemoryResponse headers: the wire HeaderMap (issue #14 item 4)', () => {
  test('case-insensitive, order kept, names keep their case', () => {
    const h = new MemoryResponse().headers;
    assert.ok(h instanceof HeaderMap);
    h.set('Content-Type', 'text/plain').append('Set-Cookie', 'a=1').append('set-cookie', 'b=2').set('X-N', 5);
    assert.equal(h.get('content-type'), 'text/plain');
    assert.deepEqual(h.getAll('SET-COOKIE'), ['a=1', 'b=2']);
    assert.equal(h.get('x-n'), '5');
    assert.deepEqual([...h.entries()].map(([n]) => n), ['Content-Type', 'Set-Cookie', 'set-cookie', 'X-N']);
    assert.equal(h.delete('set-cookie'), true);
    assert.equal(h.has('Set-Cookie'), false);
    h.set('v', ['1', '2']);
    assert.deepEqual(h.getAll('v'), ['1', '2']);
  });
  for (const b of INVALID_FIELDS) {
    test(`rejects ${b.name}, as the socket's HeaderMap does`, () => {
      assert.throws(() => new HeaderMap().set(b.input[0], b.input[1]), TypeError);
      assert.throws(() => new MemoryResponse().headers.set(b.input[0], b.input[1]), TypeError);
      assert.throws(() => new MemoryResponse().writeEarlyHints({ [b.input[0]]: b.input[1] }), TypeError);
    });
  }

  // Before: MemoryHeaderMap let \x01 and chars above U+00FF through, so app.request() said 200
  // where a real socket said 500. Both must now give the same status and body.
  describe('a handler setting an invalid field fails the same way in app.request() and on a socket', () => {
    const app = new App({ onError: () => undefined });
    app.get('/set', (ctx) => {
      const row = INVALID_FIELDS[Number(ctx.query.get('row'))]!;
      ctx.res.headers.set(row.input[0], row.input[1]);
      return ctx.text('not reached');
    });
    let server: RunningServer;
    before(async () => {
      server = await app.listen(0, '127.0.0.1');
    });
    after(() => server.close());
    INVALID_FIELDS.forEach((b, i) => {
      // Bounded: before the fix, a value the WHATWG Headers refuses left app.request() pending forever.
      test(b.name, { timeout: 10_000 }, async () => {
        const inMemory = await app.request(`/set?row=${i}`);
        const memoryBody = await inMemory.text();
        const wire = await exchange(server.port, `GET /set?row=${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        const onSocket = parseResponse(wire.bytes);
        assert.equal(inMemory.status, 500);
        assert.equal(onSocket.status, 500);
        assert.equal(onSocket.body.toString('utf8'), memoryBody);
        assert.equal(onSocket.headers['content-type'], inMemory.headers.get('content-type'));
      });
    });
  });
});

describe('MemoryRequest', () => {
  test('splits target, finds headers, reads body once', async () => {
    const r = new MemoryRequest({ method: 'POST', target: '/a/b?x=1&y', headers: [['Host', 'h'], ['X', '1'], ['x', '2']], body: 'hello' });
    assert.equal(r.path, '/a/b');
    assert.equal(r.query, 'x=1&y');
    assert.equal(r.header('x'), '1, 2');
    assert.deepEqual(r.headerAll('X'), ['1', '2']);
    assert.equal(r.contentLength, 5);
    assert.equal(r.hasBody, true);
    assert.equal(await r.text(), 'hello');
    assert.throws(() => r.body, TypeError);
  });
  test('no body', () => {
    const r = new MemoryRequest({});
    assert.equal(r.hasBody, false);
    assert.equal(r.path, '/');
    assert.equal(r.query, '');
  });
});

describe('MemoryResponse', () => {
  test('end(body) adds Content-Length; onClose runs once', async () => {
    const res = new MemoryResponse();
    let closes = 0;
    res.onClose(() => closes++);
    res.status = 201;
    res.end('abc');
    res.end('ignored');
    const r = await res.response;
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('content-length'), '3');
    assert.equal(await r.text(), 'abc');
    assert.equal(closes, 1);
    assert.equal(res.finished, true);
  });

  test('writeEarlyHints records each 103, checks fields, and refuses after the head', async () => {
    const res = new MemoryResponse();
    res.writeEarlyHints({ Link: ['</a.css>; rel=preload', '</b.js>; rel=preload'] });
    assert.throws(() => res.writeEarlyHints({ Link: 'a\r\nX: 1' }), TypeError);
    res.end('ok');
    assert.deepEqual(res.earlyHints, [[['Link', '</a.css>; rel=preload'], ['Link', '</b.js>; rel=preload']]]);
    assert.throws(() => res.writeEarlyHints({ Link: '</c.css>' }), /after the response head/);
    assert.equal((await res.response).status, 200);
  });

  test('destroy() before the head rejects the Response (a network error); after it, the body errors', async () => {
    const early = new MemoryResponse();
    const rejected = assert.rejects(early.response, /gone/);
    early.destroy(new Error('gone'));
    early.end('ignored');
    assert.equal(early.write('x'), false);
    await rejected;

    const late = new MemoryResponse();
    late.write('part');
    late.destroy(new Error('upstream broke'));
    assert.equal(late.write('more'), false);
    late.end();
    const r = await late.response;
    await assert.rejects(r.text(), /upstream broke/);
  });

  test('destroy() through runFetchRequest aborts the handler req.signal, as a server does', async () => {
    let aborted: boolean | undefined;
    const response = await runFetchRequest(async (req, res) => {
      res.write('part');
      res.destroy(new Error('upstream broke'));
      aborted = req.signal.aborted;
    }, new Request('http://localhost/'));
    assert.equal(aborted, true);
    await assert.rejects(response.text(), /upstream broke/);
  });

  test('write() returns false until the reader pulls; drain() waits for it', async () => {
    const res = new MemoryResponse();
    assert.equal(res.write('a'), false, 'highWaterMark 1: the first chunk fills the queue');
    let drained = false;
    const d = res.drain().then(() => (drained = true));
    const r = await res.response;
    assert.equal(drained, false);
    const reader = r.body!.getReader();
    assert.equal(Buffer.from((await reader.read()).value!).toString(), 'a');
    await d;
    assert.equal(drained, true);
    res.end('b');
    assert.equal(Buffer.from((await reader.read()).value!).toString(), 'b');
    assert.equal((await reader.read()).done, true);
  });

  test('204 and HEAD have no body; writeHead sends the head', async () => {
    const a = new MemoryResponse();
    a.writeHead(204, { 'x-a': '1' });
    assert.equal(a.headersSent, true);
    assert.throws(() => a.writeHead(200));
    a.end();
    const ra = await a.response;
    assert.equal(ra.body, null);
    assert.equal(ra.headers.get('x-a'), '1');
    const h = new MemoryResponse({ isHead: true });
    h.end('body');
    const rh = await h.response;
    assert.equal(rh.body, null);
    assert.equal(rh.headers.get('content-length'), '4');
  });

  test('a bad status throws before anything is sent, so a 500 can still go out', async () => {
    const r = await runFetchRequest((_req, res) => {
      res.status = 999;
      res.end('x');
    }, new Request('http://h/'));
    assert.equal(r.status, 500);
    assert.equal(r.headers.get('content-length'), String((await r.clone().arrayBuffer()).byteLength));
  });

  test('runFetchRequest ends a handler that forgot to, and maps a throw to 500', async () => {
    const r1 = await runFetchRequest((_req, res) => {
      res.status = 202;
    }, new Request('http://h/'));
    assert.equal(r1.status, 202);
    const r2 = await runFetchRequest(async () => {
      throw new Error('x');
    }, new Request('http://h/'));
    assert.equal(r2.status, 500);
  });

  // docs/errors.md "Error bodies": the same plain-text 500 as a Connection writes, and the
  // handler's headers reset as the server resets them (issue #14 item 5).
  test('a handler that throws before the head gets the documented plain-text 500, its headers dropped', async () => {
    const r = await runFetchRequest((_req, res) => {
      res.headers.set('content-length', 99).set('etag', '"v1"').set('content-type', 'image/png');
      throw new Error('secret detail');
    }, new Request('http://h/'));
    assert.equal(r.status, 500);
    assert.deepEqual([...r.headers], [['content-length', '26'], ['content-type', 'text/plain; charset=utf-8']]);
    assert.equal(await r.text(), '500 Internal Server Error\n');
  });
});
