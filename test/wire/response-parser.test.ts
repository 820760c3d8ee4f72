// Tests for src/wire/response-parser.ts: the client's response framing and its strict rules (#17).
//
// Every row is raw bytes (latin1, explicit \r\n), the methods of the requests they answer, and
// either the responses a correct client must read or the error code. Each row is fed whole, byte
// by byte and split at every offset; every delivery must give the same outcome (STYLE.md rule 7).
// A property test pairs the parser with the server's own response writer (src/server/response.ts):
// what one writes, the other reads; random bytes either parse or raise a ProtocolError.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../src/wire/errors.js';
import { NEED_DATA, PAUSED } from '../../src/wire/parser.js';
import { DEFAULT_MAX_RESPONSE_HEADER_COUNT, ResponseParser, type ResponseParserLimits, type ResponseHeadEvent } from '../../src/wire/response-parser.js';
import { DEFAULT_MAX_HEADER_COUNT } from '../../src/wire/limits.js';
import { OutgoingResponse, type ResponseSink } from '../../src/server/response.js';
import { bytes, bytewise, splitAt, splitAtAll, whole } from './harness.js';

interface ParsedResponse {
  status: number;
  reason: string;
  version: '1.0' | '1.1';
  rawHeaders: string[];
  bodyKind: ResponseHeadEvent['bodyKind'];
  contentLength: number;
  keepAlive: boolean;
  /** Statuses of the 1xx responses before this one. */
  informational: number[];
  body: string;
  /** null until the end event. */
  trailers: string[] | null;
}

interface Outcome {
  responses: ParsedResponse[];
  error: string | null;
  /** Bytes left unconsumed (after a 101: the new protocol's). */
  rest: string;
}

/** Feeds pieces to a fresh parser that expects `methods`; `eof` calls eof() after the last piece. */
function parseResponses(
  pieces: readonly Buffer[],
  methods: readonly string[],
  opts: { eof?: boolean; limits?: Partial<ResponseParserLimits>; canSwitch?: boolean } = {},
): Outcome {
  const p = new ResponseParser(opts.limits);
  for (const m of methods) p.expectResponse(m, opts.canSwitch ?? false);
  const responses: ParsedResponse[] = [];
  const views: Buffer[][] = [];
  let info: number[] = [];
  let error: string | null = null;
  let total = 0;
  for (const piece of pieces) total += piece.length;
  let steps = 0;
  const drain = (): boolean => {
    for (;;) {
      if (++steps > 4 + 2 * total + 4 * pieces.length + 4 * methods.length) throw new Error('step budget exceeded');
      let ev;
      try {
        ev = p.nextEvent();
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        error = err.code;
        assert.equal(err.status, 502);
        assert.throws(() => p.nextEvent(), (again) => again === err, 'a dead parser rethrows its error');
        return false;
      }
      if (ev === NEED_DATA || ev === PAUSED) return true;
      if (ev.type === 'informational') info.push(ev.status);
      else if (ev.type === 'response') {
        responses.push({ ...ev, informational: info, body: '', trailers: null } as ParsedResponse);
        delete (responses[responses.length - 1] as { type?: string }).type;
        views.push([]);
        info = [];
      } else if (ev.type === 'data') {
        assert.ok(ev.data.length > 0, 'no empty data events');
        views[views.length - 1].push(ev.data);
      } else {
        responses[responses.length - 1].trailers = [...ev.trailers];
      }
    }
  };
  let alive = true;
  for (const piece of pieces) {
    p.receive(piece);
    if (!(alive = drain())) break;
  }
  if (alive && opts.eof) {
    p.eof();
    drain();
  }
  responses.forEach((r, i) => (r.body = Buffer.concat(views[i]).toString('latin1')));
  return { responses, error, rest: error === null && p.state === 'switched' ? p.takeBufferedBytes().toString('latin1') : '' };
}

type Want = { responses: Array<Partial<ParsedResponse>>; rest?: string } | { error: string };
interface Row {
  name: string;
  input: string;
  methods?: string[];
  eof?: boolean;
  canSwitch?: boolean;
  limits?: Partial<ResponseParserLimits>;
  want: Want;
}

const OK = 'HTTP/1.1 200 OK\r\n';
const rows: Row[] = [
  // ---- framing by RFC 9112 §6.3
  {
    name: 'Content-Length body',
    input: `${OK}Content-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello`,
    want: { responses: [{ status: 200, reason: 'OK', version: '1.1', rawHeaders: ['Content-Length', '5', 'Content-Type', 'text/plain'], bodyKind: 'length', contentLength: 5, keepAlive: true, body: 'hello', trailers: [] }] },
  },
  {
    name: 'chunked body with extensions and trailers',
    input: `${OK}Transfer-Encoding: chunked\r\n\r\n5;a=1 ; b="x y"\r\nhello\r\n000\r\nX-Sum: 1\r\nX-Other:  two \r\n\r\n`,
    want: { responses: [{ bodyKind: 'chunked', contentLength: -1, body: 'hello', trailers: ['X-Sum', '1', 'X-Other', 'two'] }] },
  },
  {
    name: 'chunked, coding name in any case',
    input: `${OK}Transfer-Encoding: Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n`,
    want: { responses: [{ bodyKind: 'chunked', body: 'a', trailers: [] }] },
  },
  {
    name: 'no framing: read until close',
    input: `${OK}Content-Type: text/plain\r\n\r\nall of this\r\nuntil close`,
    eof: true,
    want: { responses: [{ bodyKind: 'close', keepAlive: false, body: 'all of this\r\nuntil close', trailers: [] }] },
  },
  {
    name: 'read until close: no end without eof',
    input: `${OK}\r\nabc`,
    want: { responses: [{ bodyKind: 'close', body: 'abc', trailers: null }] },
  },
  {
    name: 'response to HEAD has no body whatever Content-Length says',
    input: `${OK}Content-Length: 1000\r\n\r\n${OK}Content-Length: 1\r\n\r\nx`,
    methods: ['HEAD', 'GET'],
    want: { responses: [{ bodyKind: 'none', contentLength: 0, body: '', trailers: [] }, { bodyKind: 'length', body: 'x', trailers: [] }] },
  },
  {
    name: 'response to HEAD with Transfer-Encoding: chunked has no body',
    input: `${OK}Transfer-Encoding: chunked\r\n\r\n`,
    methods: ['HEAD'],
    want: { responses: [{ bodyKind: 'none', trailers: [] }] },
  },
  { name: '204 has no body', input: 'HTTP/1.1 204 No Content\r\n\r\n', want: { responses: [{ status: 204, bodyKind: 'none', keepAlive: true, trailers: [] }] } },
  {
    name: '304 has no body even with a Content-Length',
    input: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    methods: ['GET', 'GET'],
    want: { responses: [{ status: 304, bodyKind: 'none', trailers: [] }, { status: 200, bodyKind: 'none', trailers: [] }] },
  },
  {
    name: 'pipelined responses in order',
    input: `${OK}Content-Length: 1\r\n\r\na${OK}Transfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n${OK}Content-Length: 1\r\n\r\nc`,
    methods: ['GET', 'GET', 'GET'],
    want: { responses: [{ body: 'a', trailers: [] }, { body: 'b', trailers: [] }, { body: 'c', trailers: [] }] },
  },
  {
    name: 'identical Content-Length values are one (RFC 9110 §8.6)',
    input: `${OK}Content-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc`,
    want: { responses: [{ contentLength: 3, body: 'abc', trailers: [] }] },
  },
  // ---- 1xx
  {
    name: '100 Continue then the final response',
    input: `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
    want: { responses: [{ status: 200, informational: [100], body: 'ok', trailers: [] }] },
  },
  {
    name: '103 Early Hints twice, then 200',
    input: `HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n${OK}Content-Length: 0\r\n\r\n`,
    want: { responses: [{ status: 200, informational: [103, 103], trailers: [] }] },
  },
  {
    name: '1xx flood over maxInformationalResponses',
    input: 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(4),
    limits: { maxInformationalResponses: 3 },
    want: { error: 'ERR_RESPONSE_TOO_MANY_INFORMATIONAL' },
  },
  {
    name: '101 hands the rest of the bytes to the new protocol',
    input: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello',
    canSwitch: true,
    want: { responses: [{ status: 101, bodyKind: 'none', keepAlive: false, trailers: null }], rest: '\x81\x05hello' },
  },
  { name: '101 to a request that did not ask to upgrade', input: 'HTTP/1.1 101 Switching Protocols\r\n\r\n', want: { error: 'ERR_RESPONSE_UNEXPECTED_SWITCH' } },
  // ---- persistence (RFC 9112 §9.3)
  { name: 'Connection: close', input: `${OK}Connection: close\r\nContent-Length: 0\r\n\r\n`, want: { responses: [{ keepAlive: false }] } },
  { name: 'Connection list with close', input: `${OK}Connection: foo, CLOSE\r\nContent-Length: 0\r\n\r\n`, want: { responses: [{ keepAlive: false }] } },
  { name: 'HTTP/1.0 closes by default', input: 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', want: { responses: [{ version: '1.0', keepAlive: false }] } },
  { name: 'HTTP/1.0 keep-alive', input: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', want: { responses: [{ version: '1.0', keepAlive: true }] } },
  { name: 'HTTP/1.2 is read as 1.1', input: 'HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n', want: { responses: [{ version: '1.1', keepAlive: true }] } },
  // ---- status line
  { name: 'empty reason phrase', input: 'HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n', want: { responses: [{ status: 404, reason: '' }] } },
  { name: 'no SP after the status code', input: 'HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n', want: { responses: [{ status: 404, reason: '' }] } },
  { name: 'reason phrase with obs-text and tabs', input: 'HTTP/1.1 200 Tr\xe8s\tbien\r\nContent-Length: 0\r\n\r\n', want: { responses: [{ reason: 'Tr\xe8s\tbien' }] } },
  { name: 'HTTP/2.0 status line', input: 'HTTP/2.0 200 OK\r\n\r\n', want: { error: 'ERR_RESPONSE_VERSION' } },
  { name: 'lower-case http', input: 'http/1.1 200 OK\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'two-digit status', input: 'HTTP/1.1 20 OK\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'four-digit status', input: 'HTTP/1.1 2000 OK\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'status 600', input: 'HTTP/1.1 600 Nope\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'status 099', input: 'HTTP/1.1 099 Nope\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'two spaces after the version', input: 'HTTP/1.1  200 OK\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'NUL in the reason phrase', input: 'HTTP/1.1 200 O\x00K\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'bare CR in the reason phrase', input: 'HTTP/1.1 200 O\rK\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'empty line before the status line', input: `\r\n${OK}Content-Length: 0\r\n\r\n`, want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'an HTTP/0.9-style body without a head', input: '<html>hello</html>\r\n\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  { name: 'a bad status line is refused at its line end, before the head ends', input: 'SSH-2.0-OpenSSH_9.2\r\n', want: { error: 'ERR_RESPONSE_STATUS_LINE' } },
  // ---- smuggling and splitting shapes
  { name: 'Content-Length with Transfer-Encoding', input: `${OK}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, want: { error: 'ERR_RESPONSE_CONFLICTING_FRAMING' } },
  { name: 'Transfer-Encoding with Content-Length, even on a 204', input: 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n', want: { error: 'ERR_RESPONSE_CONFLICTING_FRAMING' } },
  { name: 'differing Content-Length lines', input: `${OK}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, want: { error: 'ERR_RESPONSE_CONTENT_LENGTH' } },
  { name: 'differing Content-Length list', input: `${OK}Content-Length: 5, 6\r\n\r\nhello!`, want: { error: 'ERR_RESPONSE_CONTENT_LENGTH' } },
  { name: 'signed Content-Length', input: `${OK}Content-Length: +5\r\n\r\nhello`, want: { error: 'ERR_RESPONSE_CONTENT_LENGTH' } },
  { name: 'hex Content-Length', input: `${OK}Content-Length: 0x5\r\n\r\nhello`, want: { error: 'ERR_RESPONSE_CONTENT_LENGTH' } },
  { name: 'empty Content-Length', input: `${OK}Content-Length: \r\n\r\n`, want: { error: 'ERR_RESPONSE_CONTENT_LENGTH' } },
  { name: 'Content-Length past 2^53', input: `${OK}Content-Length: 9999999999999999\r\n\r\n`, want: { error: 'ERR_RESPONSE_CONTENT_LENGTH' } },
  { name: 'chunked not final', input: `${OK}Transfer-Encoding: chunked, gzip\r\n\r\n`, want: { error: 'ERR_RESPONSE_TRANSFER_ENCODING' } },
  { name: 'chunked twice', input: `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`, want: { error: 'ERR_RESPONSE_TRANSFER_ENCODING' } },
  { name: 'unknown transfer coding', input: `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n`, want: { error: 'ERR_RESPONSE_TRANSFER_ENCODING' } },
  { name: 'empty Transfer-Encoding', input: `${OK}Transfer-Encoding: ,\r\n\r\n`, want: { error: 'ERR_RESPONSE_TRANSFER_ENCODING' } },
  { name: 'quoted transfer coding', input: `${OK}Transfer-Encoding: "chunked"\r\n\r\n`, want: { error: 'ERR_RESPONSE_TRANSFER_ENCODING' } },
  { name: 'Transfer-Encoding in HTTP/1.0', input: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', want: { error: 'ERR_RESPONSE_TRANSFER_ENCODING' } },
  { name: 'bare LF ends a field line', input: `${OK}Content-Length: 0\n\r\n`, want: { error: 'ERR_RESPONSE_BARE_LF' } },
  { name: 'bare LF ends the status line', input: 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', want: { error: 'ERR_RESPONSE_BARE_LF' } },
  { name: 'bare LF head end', input: `${OK}Content-Length: 0\r\n\n`, want: { error: 'ERR_RESPONSE_BARE_LF' } },
  { name: 'bare CR inside a value', input: `${OK}X: a\rb\r\nContent-Length: 0\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_VALUE' } },
  { name: 'bare CR as a line end', input: `${OK}X: a\rContent-Length: 0\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_VALUE' } },
  { name: 'NUL in a value', input: `${OK}X: a\x00b\r\nContent-Length: 0\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_VALUE' } },
  { name: 'DEL in a value', input: `${OK}X: a\x7fb\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_VALUE' } },
  { name: 'obs-fold', input: `${OK}X: a\r\n  b\r\nContent-Length: 0\r\n\r\n`, want: { error: 'ERR_RESPONSE_OBS_FOLD' } },
  { name: 'space before the colon', input: `${OK}Content-Length : 5\r\n\r\nhello`, want: { error: 'ERR_RESPONSE_HEADER_NAME' } },
  { name: 'no colon', input: `${OK}Content-Length\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_NAME' } },
  { name: 'empty field name', input: `${OK}: x\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_NAME' } },
  { name: 'non-token byte in a name', input: `${OK}X\x01Y: 1\r\n\r\n`, want: { error: 'ERR_RESPONSE_HEADER_NAME' } },
  // ---- chunked body errors
  { name: 'chunk size not hex', input: `${OK}Transfer-Encoding: chunked\r\n\r\nz\r\n`, want: { error: 'ERR_RESPONSE_CHUNK' } },
  { name: 'chunk size with a sign', input: `${OK}Transfer-Encoding: chunked\r\n\r\n-1\r\n`, want: { error: 'ERR_RESPONSE_CHUNK' } },
  { name: 'chunk size overflow', input: `${OK}Transfer-Encoding: chunked\r\n\r\n${'f'.repeat(14)}\r\n`, want: { error: 'ERR_RESPONSE_CHUNK' } },
  { name: 'chunk data longer than its size', input: `${OK}Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n`, want: { error: 'ERR_RESPONSE_CHUNK' } },
  { name: 'chunk size with a trailing space', input: `${OK}Transfer-Encoding: chunked\r\n\r\n1 \r\na\r\n0\r\n\r\n`, want: { error: 'ERR_RESPONSE_CHUNK' } },
  { name: 'bare LF after a chunk size', input: `${OK}Transfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n`, want: { error: 'ERR_RESPONSE_BARE_LF' } },
  {
    name: 'chunk-size line too long',
    input: `${OK}Transfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(64)}\r\na\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 16 },
    want: { error: 'ERR_RESPONSE_CHUNK_LINE_TOO_LONG' },
  },
  { name: 'obs-fold in trailers', input: `${OK}Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n 2\r\n\r\n`, want: { error: 'ERR_RESPONSE_OBS_FOLD' } },
  // ---- limits
  { name: 'status line over maxStatusLineBytes', input: `HTTP/1.1 200 ${'x'.repeat(40)}\r\n\r\n`, limits: { maxStatusLineBytes: 32 }, want: { error: 'ERR_RESPONSE_HEAD_TOO_LARGE' } },
  { name: 'status line exactly at the limit', input: `HTTP/1.1 200 ${'x'.repeat(19)}\r\nContent-Length: 0\r\n\r\n`, limits: { maxStatusLineBytes: 32 }, want: { responses: [{ status: 200 }] } },
  { name: 'head over maxHeaderBytes', input: `${OK}X: ${'a'.repeat(100)}\r\n\r\n`, limits: { maxHeaderBytes: 64 }, want: { error: 'ERR_RESPONSE_HEAD_TOO_LARGE' } },
  { name: 'a never-ending head', input: `${OK}X: ${'a'.repeat(200)}`, limits: { maxHeaderBytes: 64 }, want: { error: 'ERR_RESPONSE_HEAD_TOO_LARGE' } },
  { name: 'more fields than maxHeaderCount', input: `${OK}${'A: 1\r\n'.repeat(4)}\r\n`, limits: { maxHeaderCount: 3 }, want: { error: 'ERR_RESPONSE_HEAD_TOO_LARGE' } },
  { name: 'exactly maxHeaderCount fields', input: `${OK}${'A: 1\r\n'.repeat(2)}Content-Length: 0\r\n\r\n`, limits: { maxHeaderCount: 3 }, want: { responses: [{ status: 200 }] } },
  { name: 'Content-Length over maxBodyBytes fails at the head', input: `${OK}Content-Length: 10737418240\r\n\r\n`, limits: { maxBodyBytes: 1024 }, want: { error: 'ERR_RESPONSE_BODY_TOO_LARGE' } },
  { name: 'chunked body over maxBodyBytes', input: `${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n`, limits: { maxBodyBytes: 5 }, want: { error: 'ERR_RESPONSE_BODY_TOO_LARGE' } },
  { name: 'close-delimited body over maxBodyBytes', input: `${OK}\r\n${'a'.repeat(10)}`, limits: { maxBodyBytes: 5 }, eof: true, want: { error: 'ERR_RESPONSE_BODY_TOO_LARGE' } },
  // ---- the connection ends early, or says too much
  { name: 'closed before any byte', input: '', eof: true, want: { error: 'ERR_CLOSED_BEFORE_RESPONSE' } },
  { name: 'closed in the head', input: 'HTTP/1.1 200 OK\r\nContent-Le', eof: true, want: { error: 'ERR_RESPONSE_INCOMPLETE' } },
  { name: 'closed after a 100 Continue', input: 'HTTP/1.1 100 Continue\r\n\r\n', eof: true, want: { error: 'ERR_RESPONSE_INCOMPLETE' } },
  { name: 'closed in a Content-Length body', input: `${OK}Content-Length: 10\r\n\r\nhello`, eof: true, want: { error: 'ERR_RESPONSE_INCOMPLETE' } },
  { name: 'closed in a chunk', input: `${OK}Transfer-Encoding: chunked\r\n\r\na\r\nhello`, eof: true, want: { error: 'ERR_RESPONSE_INCOMPLETE' } },
  { name: 'closed before the last chunk', input: `${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`, eof: true, want: { error: 'ERR_RESPONSE_INCOMPLETE' } },
  { name: 'closed in the trailers', input: `${OK}Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n`, eof: true, want: { error: 'ERR_RESPONSE_INCOMPLETE' } },
  { name: 'a response to a request never sent', input: `${OK}Content-Length: 0\r\n\r\n${OK}Content-Length: 0\r\n\r\n`, want: { error: 'ERR_UNSOLICITED_RESPONSE' } },
  { name: 'bytes after a body, before any request', input: `${OK}Content-Length: 1\r\n\r\nab`, want: { error: 'ERR_UNSOLICITED_RESPONSE' } },
];

/** The outcome, keeping only the fields a row names. */
function project(o: Outcome, want: Want): unknown {
  if ('error' in want) return { error: o.error };
  return {
    responses: o.responses.map((r, i) => {
      const w = want.responses[i] ?? {};
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(w)) out[k] = r[k as keyof ParsedResponse];
      if (!('body' in w)) out.body = r.body;
      return out;
    }),
    error: o.error,
    ...(want.rest === undefined ? {} : { rest: o.rest }),
  };
}

function expected(want: Want): unknown {
  if ('error' in want) return want;
  return {
    responses: want.responses.map((w) => ({ ...w, body: w.body ?? '' })),
    error: null,
    ...(want.rest === undefined ? {} : { rest: want.rest }),
  };
}

describe('ResponseParser table', () => {
  for (const row of rows) {
    test(row.name, () => {
      const input = bytes(row.input);
      const methods = row.methods ?? ['GET'];
      const opts = { eof: row.eof, limits: row.limits, canSwitch: row.canSwitch };
      const ref = parseResponses(whole(input), methods, opts);
      assert.deepEqual(project(ref, row.want), expected(row.want), 'whole');
      assert.deepEqual(parseResponses(bytewise(input), methods, opts), ref, 'byte by byte');
      for (let cut = 1; cut < input.length; cut++) {
        assert.deepEqual(parseResponses(splitAt(input, cut), methods, opts), ref, `split at ${cut}`);
      }
    });
  }
});

describe('ResponseParser API', () => {
  test('the default field count is the request side\'s 1000: 1000 fields pass, 1001 are refused (#14)', () => {
    const head = (fields: number): Buffer => bytes(`${OK}${'A: 1\r\n'.repeat(fields - 1)}Content-Length: 0\r\n\r\n`);
    assert.equal(DEFAULT_MAX_RESPONSE_HEADER_COUNT, DEFAULT_MAX_HEADER_COUNT);
    const ok = parseResponses(whole(head(1000)), ['GET']);
    assert.equal(ok.error, null);
    assert.equal(ok.responses[0].rawHeaders.length, 2000);
    assert.equal(parseResponses(whole(head(1001)), ['GET']).error, 'ERR_RESPONSE_HEAD_TOO_LARGE');
  });

  test('PAUSED when no response is expected; expectResponse() resumes', () => {
    const p = new ResponseParser();
    assert.equal(p.nextEvent(), PAUSED);
    p.expectResponse('GET');
    assert.equal(p.nextEvent(), NEED_DATA);
    p.receive(bytes(`${OK}Content-Length: 0\r\n\r\n`));
    assert.equal((p.nextEvent() as ResponseHeadEvent).status, 200);
    assert.deepEqual(p.nextEvent(), { type: 'end', trailers: [] });
    assert.equal(p.nextEvent(), PAUSED);
    assert.equal(p.state, 'idle');
    assert.equal(p.pendingResponses, 0);
  });

  test('data events are views that later input never overwrites', () => {
    const p = new ResponseParser();
    p.expectResponse('GET');
    p.receive(bytes(`${OK}Content-Length: 6\r\n\r\nabc`));
    p.nextEvent();
    const first = p.nextEvent();
    assert.ok(first !== NEED_DATA && first !== PAUSED && first.type === 'data');
    p.receive(bytes('def'));
    const second = p.nextEvent();
    assert.ok(second !== NEED_DATA && second !== PAUSED && second.type === 'data');
    assert.equal(first.data.toString(), 'abc');
    assert.equal(second.data.toString(), 'def');
  });

  test('a 10 GB Content-Length streams without buffering: only what arrived is held', () => {
    const p = new ResponseParser();
    p.expectResponse('GET');
    p.receive(bytes(`${OK}Content-Length: 10737418240\r\n\r\n`));
    const head = p.nextEvent() as ResponseHeadEvent;
    assert.equal(head.contentLength, 10737418240);
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 16; i++) {
      p.receive(chunk);
      const ev = p.nextEvent();
      assert.ok(ev !== NEED_DATA && ev !== PAUSED && ev.type === 'data' && ev.data.length === chunk.length);
      assert.equal(p.bufferedBytes, 0);
    }
    assert.equal(p.state, 'body');
  });
});

// ---- properties ---------------------------------------------------------------

/** A ResponseSink that collects what the server's response writer puts on the wire. */
class CollectingSink implements ResponseSink {
  readonly parts: Buffer[] = [];
  isClosed = false;
  write(data: string | Uint8Array, encoding?: BufferEncoding): boolean {
    this.parts.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    return true;
  }
  writeLatin1(data: string): boolean {
    this.parts.push(Buffer.from(data, 'latin1'));
    return true;
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
  abort(): void {
    this.isClosed = true;
  }
  canKeepAlive(): boolean {
    return true;
  }
  responseDone(): void {}
  now(): number {
    return Date.UTC(2026, 0, 1);
  }
  reportError(err: unknown): void {
    throw err;
  }
}

const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const nameArb = fc
  .stringMatching(new RegExp(`^${TCHAR}{1,12}$`))
  .filter((n) => !['content-length', 'transfer-encoding', 'connection', 'date', 'trailer'].includes(n.toLowerCase()));
const valueArb = fc.stringMatching(/^([\x21-\x7e]([\x20-\x7e]{0,10}[\x21-\x7e])?)?$/);
const exchangeArb = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST'),
  status: fc.oneof(fc.constantFrom(200, 204, 304, 404, 500), fc.integer({ min: 200, max: 599 })),
  fields: fc.array(fc.tuple(nameArb, valueArb), { maxLength: 5 }),
  /** 'end': end(body) (Content-Length); 'write': write() pieces then end() (chunked). */
  mode: fc.constantFrom('end' as const, 'write' as const),
  pieces: fc.array(fc.uint8Array({ minLength: 1, maxLength: 30 }), { maxLength: 4 }),
  trailers: fc.array(fc.tuple(nameArb, valueArb), { maxLength: 2 }),
});

describe('ResponseParser properties', () => {
  test('what the server writes (src/server/response.ts), the parser reads, in any split', () => {
    fc.assert(
      fc.property(fc.array(exchangeArb, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 6 }), (exchanges, cutSeeds) => {
        const sink = new CollectingSink();
        const expectedBodies: string[] = [];
        for (const x of exchanges) {
          const res = new OutgoingResponse(sink, x.method, '1.1');
          res.status = x.status;
          for (const [k, v] of x.fields) res.headers.append(k, v);
          const body = Buffer.concat(x.pieces);
          const bodiless = x.method === 'HEAD' || x.status === 204 || x.status === 304;
          if (x.mode === 'end') res.end(body);
          else {
            for (const p of x.pieces) res.write(p);
            if (x.trailers.length > 0 && !bodiless) for (const [k, v] of x.trailers) res.setTrailer(k, v);
            res.end();
          }
          expectedBodies.push(bodiless ? '' : body.toString('latin1'));
        }
        const wire = Buffer.concat(sink.parts);
        const pieces = splitAtAll(wire, [...new Set(cutSeeds.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b));
        const o = parseResponses(pieces, exchanges.map((x) => x.method));
        assert.equal(o.error, null);
        assert.equal(o.responses.length, exchanges.length);
        o.responses.forEach((r, i) => {
          assert.equal(r.status, exchanges[i].status);
          assert.equal(r.body, expectedBodies[i]);
          assert.notEqual(r.trailers, null, 'each response ended');
          // Every field the handler set arrives, in order, before the server's own.
          const names = r.rawHeaders.filter((_, j) => j % 2 === 0).map((n) => n.toLowerCase());
          let at = 0;
          for (const [k] of exchanges[i].fields) {
            at = names.indexOf(k.toLowerCase(), at);
            assert.notEqual(at, -1, `field ${k} arrived`);
            at++;
          }
        });
      }),
      { numRuns: 400 },
    );
  });

  test('any bytes either parse or raise a ProtocolError, the same however they are split', () => {
    const fragment = fc.constantFrom(
      'HTTP/1.1 ', 'HTTP/1.0 ', '200 OK', '100 Continue', '204', '304', '\r\n', '\n', '\r', ' ', ':', 'Content-Length: ',
      'Transfer-Encoding: chunked', 'Connection: close', '5', '0', 'a', ';x=1', '\x00', 'hello',
    );
    const inputArb = fc.array(fc.oneof(fragment, fc.string({ maxLength: 4 })), { maxLength: 30 }).map((parts) => bytes(parts.join('')));
    fc.assert(
      fc.property(inputArb, fc.constantFrom('GET', 'HEAD'), fc.boolean(), fc.nat(), (input, method, eof, cut) => {
        const methods = [method, 'GET'];
        const ref = parseResponses(whole(input), methods, { eof });
        assert.deepEqual(parseResponses(bytewise(input), methods, { eof }), ref);
        assert.deepEqual(parseResponses(splitAt(input, cut % (input.length + 1)), methods, { eof }), ref);
      }),
      { numRuns: 2000 },
    );
  });
});
