// Tests for src/wire/serializer.ts: status lines, response heads and request heads as exact bytes,
// and serialize -> parse round trips (issue #2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeChunked, HeaderMap, serializeRequestHead, serializeResponseHead, statusLine } from '../../src/wire/index.js';
import { bytes, bytewise, outcomeKey, parsePieces, whole } from './harness.js';

describe('statusLine', () => {
  const rows: { name: string; input: [number, string?]; want: string }[] = [
    { name: '200 with its reason', input: [200], want: 'HTTP/1.1 200 OK\r\n' },
    { name: '404', input: [404], want: 'HTTP/1.1 404 Not Found\r\n' },
    { name: '413 uses the RFC 9110 name', input: [413], want: 'HTTP/1.1 413 Content Too Large\r\n' },
    { name: '100 Continue', input: [100], want: 'HTTP/1.1 100 Continue\r\n' },
    { name: 'unregistered code: empty reason, SP kept (RFC 9112 §4)', input: [299], want: 'HTTP/1.1 299 \r\n' },
    { name: 'custom reason', input: [200, 'Fine Thanks'], want: 'HTTP/1.1 200 Fine Thanks\r\n' },
    { name: 'empty custom reason', input: [503, ''], want: 'HTTP/1.1 503 \r\n' },
    { name: 'obs-text and HTAB are allowed in a reason', input: [200, 'caf\xe9\tok'], want: 'HTTP/1.1 200 caf\xe9\tok\r\n' },
    { name: 'highest three-digit code', input: [999], want: 'HTTP/1.1 999 \r\n' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(statusLine(...input), want));

  const bad: { name: string; input: [number, string?]; want: typeof RangeError | typeof TypeError }[] = [
    { name: 'below 100', input: [99], want: RangeError },
    { name: 'four digits', input: [1000], want: RangeError },
    { name: 'fraction', input: [200.5], want: RangeError },
    { name: 'NaN', input: [Number.NaN], want: RangeError },
    { name: 'CRLF in the reason (response splitting)', input: [200, 'OK\r\nSet-Cookie: x=1'], want: TypeError },
    { name: 'LF in the reason', input: [200, 'OK\n'], want: TypeError },
    { name: 'NUL in the reason', input: [200, 'O\0K'], want: TypeError },
    { name: 'non-latin1 reason', input: [200, 'ok \u2713'], want: TypeError },
  ];
  for (const { name, input, want } of bad) test(`rejects ${name}`, () => assert.throws(() => statusLine(...input), want));
});

describe('serializeResponseHead', () => {
  test('status line, fields in insertion order, extra lines, blank line', () => {
    const h = new HeaderMap().set('Content-Type', 'text/plain').append('Set-Cookie', 'a=1').append('Set-Cookie', 'b=2');
    assert.equal(
      serializeResponseHead(201, h, 'Content-Length: 5\r\nDate: x\r\n'),
      'HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\nDate: x\r\n\r\n',
    );
  });
  test('no fields at all', () => assert.equal(serializeResponseHead(204, new HeaderMap()), 'HTTP/1.1 204 No Content\r\n\r\n'));
  test('custom reason', () => assert.equal(serializeResponseHead(200, new HeaderMap(), '', 'Yes'), 'HTTP/1.1 200 Yes\r\n\r\n'));
  test('a bad reason throws before anything is produced', () => {
    assert.throws(() => serializeResponseHead(200, new HeaderMap(), '', 'a\r\nb'), TypeError);
  });
});

describe('serializeRequestHead', () => {
  const rows = [
    {
      name: 'GET with fields',
      input: { method: 'GET', target: '/a?b=c', fields: [['Host', 'example.com'], ['Accept', '*/*']] as [string, string][] },
      want: 'GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n',
    },
    { name: 'no fields, HTTP/1.0', input: { method: 'GET', target: '/', fields: [], version: '1.0' }, want: 'GET / HTTP/1.0\r\n\r\n' },
    { name: 'asterisk-form', input: { method: 'OPTIONS', target: '*', fields: [['Host', 'a']] as [string, string][] }, want: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n' },
    { name: 'empty value', input: { method: 'X', target: '/', fields: [['A', '']] as [string, string][] }, want: 'X / HTTP/1.1\r\nA: \r\n\r\n' },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => assert.equal(serializeRequestHead(input.method, input.target, input.fields, input.version), want));
  }

  const bad: { name: string; input: [string, string, [string, string][], string?] }[] = [
    { name: 'method with a space', input: ['GE T', '/', []] },
    { name: 'empty method', input: ['', '/', []] },
    { name: 'target with a space (would split the request line)', input: ['GET', '/a b', []] },
    { name: 'target with CRLF', input: ['GET', '/\r\nX: y', []] },
    { name: 'empty target', input: ['GET', '', []] },
    { name: 'target with a fragment', input: ['GET', '/#f', []] },
    { name: 'version with CRLF', input: ['GET', '/', [], '1.1\r\nX: y'] },
    { name: 'version 1.10', input: ['GET', '/', [], '1.10'] },
    { name: 'field name with a colon', input: ['GET', '/', [['A:', 'b']]] },
    { name: 'field name with a space', input: ['GET', '/', [['A b', 'c']]] },
    { name: 'empty field name', input: ['GET', '/', [['', 'c']]] },
    { name: 'CR in a value', input: ['GET', '/', [['A', 'b\rc']]] },
    { name: 'LF in a value', input: ['GET', '/', [['A', 'b\nX: y']]] },
    { name: 'CRLF in a value', input: ['GET', '/', [['A', 'b\r\nX: y']]] },
    { name: 'NUL in a value', input: ['GET', '/', [['A', 'b\0']]] },
    { name: 'non-latin1 in a value', input: ['GET', '/', [['A', '\u20ac']]] },
  ];
  for (const { name, input } of bad) test(`rejects ${name}`, () => assert.throws(() => serializeRequestHead(...input), TypeError));
});

describe('serialize -> parse round trip', () => {
  const rows: { name: string; head: [string, string, [string, string][], string?]; body?: Buffer[]; trailers?: [string, string][] }[] = [
    { name: 'GET', head: ['GET', '/x?y=1', [['Host', 'example.com'], ['Accept', 'text/html'], ['X-Empty', '']]] },
    { name: 'HTTP/1.0 GET', head: ['GET', '/', [['User-Agent', 'x/1.0']], '1.0'] },
    { name: 'POST with Content-Length', head: ['POST', '/form', [['Host', 'a'], ['Content-Length', '11']]], body: [bytes('hello world')] },
    {
      name: 'chunked with trailers',
      head: ['PUT', '/up', [['Host', 'a'], ['Transfer-Encoding', 'chunked']]],
      body: [bytes('abc'), bytes(''), bytes('\r\n0\r\n\r\n'), Buffer.alloc(300, 0xff)],
      trailers: [['Checksum', 'abc'], ['X-T', '']],
    },
    { name: 'obs-text value', head: ['GET', '/', [['Host', 'a'], ['X', '\xe9t\xe9']]] },
  ];
  for (const { name, head, body, trailers } of rows) {
    test(name, () => {
      const chunked = head[2].some(([n, v]) => n === 'Transfer-Encoding' && v === 'chunked');
      const payload = body ? (chunked ? encodeChunked(body, trailers) : Buffer.concat(body)) : Buffer.alloc(0);
      const wire = Buffer.concat([bytes(serializeRequestHead(...head)), payload]);
      const got = parsePieces(whole(wire));
      assert.equal(got.error, null);
      assert.equal(got.requests.length, 1);
      const r = got.requests[0];
      assert.equal(r.method, head[0]);
      assert.equal(r.target, head[1]);
      assert.equal(r.version, head[3] ?? '1.1');
      assert.deepEqual(r.rawHeaders, head[2].flat());
      assert.equal(r.body, Buffer.concat(body ?? []).toString('latin1'));
      assert.deepEqual(r.trailers, (trailers ?? []).flat());
      assert.equal(outcomeKey(parsePieces(bytewise(wire))), outcomeKey(got));
    });
  }
});
