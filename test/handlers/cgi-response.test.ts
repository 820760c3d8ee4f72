// Unit tests for the CGI response header-block parser (RFC 3875 §6).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CgiResponseError,
  findHeaderBlockEnd,
  parseCgiFieldLines,
  planCgiResponse,
  planNphResponse,
  type CgiField,
} from '../../src/handlers/cgi-response.js';

/** One subtest per row: `parse(row.input)` must throw a CgiResponseError (a 502 for the gateway). */
function itRejects<I>(rows: ReadonlyArray<{ name: string; input: I }>, parse: (input: I) => unknown): void {
  for (const row of rows) it(`rejects: ${row.name}`, () => assert.throws(() => parse(row.input), CgiResponseError));
}

describe('findHeaderBlockEnd', () => {
  const rows: { name: string; input: string; want: { headerEnd: number; bodyStart: number } | null }[] = [
    { name: 'LF LF', input: 'Content-Type: a\n\nbody', want: { headerEnd: 15, bodyStart: 17 } },
    { name: 'CRLF CRLF', input: 'Content-Type: a\r\n\r\nbody', want: { headerEnd: 15, bodyStart: 19 } },
    { name: 'CRLF then LF', input: 'Content-Type: a\r\n\nbody', want: { headerEnd: 15, bodyStart: 18 } },
    { name: 'LF then CRLF', input: 'Content-Type: a\n\r\nbody', want: { headerEnd: 15, bodyStart: 18 } },
    { name: 'two fields', input: 'A: 1\nB: 2\n\n', want: { headerEnd: 9, bodyStart: 11 } },
    { name: 'empty block (LF)', input: '\nbody', want: { headerEnd: 0, bodyStart: 1 } },
    { name: 'empty block (CRLF)', input: '\r\nbody', want: { headerEnd: 0, bodyStart: 2 } },
    { name: 'incomplete', input: 'Content-Type: a\n', want: null },
    { name: 'incomplete after CR', input: 'Content-Type: a\r\n\r', want: null },
    { name: 'no line end yet', input: 'Content-Ty', want: null },
    { name: 'blank line inside body is not the end', input: 'A: 1\n\nx\n\ny', want: { headerEnd: 4, bodyStart: 6 } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(findHeaderBlockEnd(Buffer.from(row.input, 'latin1')), row.want);
    });
  }

  it('finds the same end when fed byte by byte with a resume index', () => {
    for (const row of rows) {
      const all = Buffer.from(row.input, 'latin1');
      let got: ReturnType<typeof findHeaderBlockEnd> = null;
      for (let n = 1; n <= all.length && got === null; n++) {
        got = findHeaderBlockEnd(all.subarray(0, n), Math.max(0, n - 1 - 2));
      }
      assert.deepEqual(got, row.want, row.name);
    }
  });
});

describe('parseCgiFieldLines', () => {
  const ok: { name: string; input: string; want: CgiField[] }[] = [
    { name: 'empty block', input: '', want: [] },
    { name: 'one field', input: 'Content-Type: text/html', want: [['Content-Type', 'text/html']] },
    { name: 'CRLF lines, OWS trimmed', input: 'A:  1 \r\nB:\t2\t', want: [['A', '1'], ['B', '2']] },
    { name: 'no space after colon', input: 'X-A:b', want: [['X-A', 'b']] },
    { name: 'empty value', input: 'X-Empty:', want: [['X-Empty', '']] },
    { name: 'latin1 bytes kept', input: 'X-Name: caf\xe9', want: [['X-Name', 'caf\xe9']] },
  ];
  for (const row of ok) {
    it(`accepts: ${row.name}`, () => assert.deepEqual(parseCgiFieldLines(row.input), row.want));
  }
  const bad: { name: string; input: string }[] = [
    { name: 'no colon', input: 'hello world' },
    { name: 'empty name', input: ': x' },
    { name: 'space before colon', input: 'Content-Type : x' },
    { name: 'obs-fold', input: 'A: 1\n  continued' },
    { name: 'bare CR in value', input: 'A: 1\r2' },
    { name: 'NUL in value', input: 'A: 1\x002' },
    { name: 'non-token name', input: 'A(b): 1' },
  ];
  itRejects(bad, parseCgiFieldLines);
});

describe('planCgiResponse', () => {
  const rows: { name: string; input: CgiField[]; want: unknown }[] = [
    {
      name: 'document, default 200',
      input: [['Content-Type', 'text/plain'], ['X-A', '1']],
      want: { kind: 'document', status: 200, fields: [['Content-Type', 'text/plain'], ['X-A', '1']], contentLength: undefined },
    },
    {
      name: 'Status sets the code; reason dropped',
      input: [['Status', '404 Not Found'], ['Content-Type', 'text/plain']],
      want: { kind: 'document', status: 404, fields: [['Content-Type', 'text/plain']], contentLength: undefined },
    },
    {
      name: 'Status without reason phrase, no Content-Type',
      input: [['status', '204']],
      want: { kind: 'document', status: 204, fields: [], contentLength: undefined },
    },
    {
      name: 'local redirect',
      input: [['Location', '/cgi-bin/x.sh?a=1']],
      want: { kind: 'local-redirect', location: '/cgi-bin/x.sh?a=1' },
    },
    {
      name: 'local path with a Status is a client redirect',
      input: [['Status', '303 See Other'], ['Location', '/done']],
      want: { kind: 'document', status: 303, fields: [['Location', '/done']], contentLength: undefined },
    },
    {
      name: 'client redirect defaults to 302',
      input: [['Location', 'https://example.com/x']],
      want: { kind: 'document', status: 302, fields: [['Location', 'https://example.com/x']], contentLength: undefined },
    },
    {
      name: 'hop-by-hop fields dropped',
      input: [['Content-Type', 'a'], ['Connection', 'close'], ['Transfer-Encoding', 'chunked'], ['Keep-Alive', '5'], ['Upgrade', 'h2c'], ['TE', 'x'], ['Trailer', 'x']],
      want: { kind: 'document', status: 200, fields: [['Content-Type', 'a']], contentLength: undefined },
    },
    {
      name: 'valid Content-Length honoured',
      input: [['Content-Type', 'a'], ['Content-Length', '42']],
      want: { kind: 'document', status: 200, fields: [['Content-Type', 'a']], contentLength: 42 },
    },
    {
      name: 'repeated identical Content-Length honoured',
      input: [['Content-Type', 'a'], ['Content-Length', '7'], ['Content-Length', '7']],
      want: { kind: 'document', status: 200, fields: [['Content-Type', 'a']], contentLength: 7 },
    },
    {
      name: 'conflicting Content-Length ignored with a warning',
      input: [['Content-Type', 'a'], ['Content-Length', '7'], ['Content-Length', '8']],
      want: {
        kind: 'document',
        status: 200,
        fields: [['Content-Type', 'a']],
        contentLength: undefined,
        warning: 'ignored an invalid or conflicting Content-Length from script',
      },
    },
    {
      name: 'malformed Content-Length ignored with a warning',
      input: [['Content-Type', 'a'], ['Content-Length', '-1']],
      want: {
        kind: 'document',
        status: 200,
        fields: [['Content-Type', 'a']],
        contentLength: undefined,
        warning: 'ignored an invalid or conflicting Content-Length from script',
      },
    },
    {
      name: 'multiple Set-Cookie kept in order',
      input: [['Content-Type', 'a'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']],
      want: { kind: 'document', status: 200, fields: [['Content-Type', 'a'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']], contentLength: undefined },
    },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(planCgiResponse(row.input), row.want));
  }

  const bad: { name: string; input: CgiField[] }[] = [
    { name: 'no fields', input: [] },
    { name: 'only an unknown field', input: [['X-A', '1']] },
    { name: 'Status not a number', input: [['Status', 'abc'], ['Content-Type', 'a']] },
    { name: 'Status with 4 digits', input: [['Status', '2000'], ['Content-Type', 'a']] },
    { name: 'Status 1xx', input: [['Status', '101 Switching Protocols']] },
    { name: 'Status 600', input: [['Status', '600']] },
    { name: 'two Status fields', input: [['Status', '200'], ['Status', '404']] },
    { name: 'relative Location', input: [['Location', 'elsewhere.html']] },
    { name: 'network-path Location', input: [['Location', '//evil.example/']] },
    { name: 'two Locations', input: [['Location', '/a'], ['Location', '/b']] },
    { name: 'two Content-Types', input: [['Content-Type', 'a'], ['Content-Type', 'b']] },
  ];
  itRejects(bad, planCgiResponse);
});

describe('planNphResponse', () => {
  it('parses the status line and fields, dropping hop-by-hop ones', () => {
    assert.deepEqual(planNphResponse('HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 3'), {
      kind: 'document',
      status: 201,
      fields: [['Content-Type', 'text/plain']],
      contentLength: 3,
    });
  });
  it('accepts HTTP/1.0 and an empty reason phrase', () => {
    assert.equal(planNphResponse('HTTP/1.0 200 \nX: 1').status, 200);
    assert.equal(planNphResponse('HTTP/1.0 204').status, 204);
  });
  const bad = [
    { name: 'CGI header instead of status line', input: 'Content-Type: text/plain' },
    { name: 'HTTP/2', input: 'HTTP/2 200 OK' },
    { name: 'bad code', input: 'HTTP/1.1 2x0 OK' },
    { name: '1xx', input: 'HTTP/1.1 100 Continue' },
    { name: 'Transfer-Encoding', input: 'HTTP/1.1 200 OK\nTransfer-Encoding: chunked' },
    { name: 'bad field', input: 'HTTP/1.1 200 OK\nnot a field' },
  ];
  itRejects(bad, planNphResponse);
});
