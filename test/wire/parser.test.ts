// Tests for src/wire/parser.ts: the request parser's framing and validation rules (issue #2, item 3).
//
// Every row is raw bytes (latin1, explicit \r\n) and the outcome a correct
// HTTP/1.1 parser must produce: the requests (head fields, concatenated body,
// trailers) or the ProtocolError status and code. Each row is fed whole, byte
// by byte, split at every offset (two receives) and with bytes of a following
// request left in the buffer; every delivery must give the same outcome
// (STYLE.md rule 7).
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FIELD_VALUE, TOKEN } from '../../src/wire/chars.js';
import assert from 'node:assert/strict';
import {
  NEED_DATA,
  PAUSED,
  ProtocolError,
  RequestParser,
  type ParserLimits,
  type RequestEvent,
  DEFAULT_PARSER_LIMITS,
  isValidHost,
} from '../../src/wire/index.js';
import { bytes, bytewise, FORBIDDEN_TRAILER_NAMES, outcomeKey, parsePieces, splitAt, whole, type Outcome, type ParsedRequest } from './harness.js';

/** What a row expects of one request. Fields left out are not compared, except body ('') and trailers ([]). */
interface ReqWant {
  method: string;
  target: string;
  /** rawHeaders: [name, value, ...]. */
  headers: string[];
  version?: '1.0' | '1.1';
  bodyKind?: ParsedRequest['bodyKind'];
  contentLength?: number;
  keepAlive?: boolean;
  expectContinue?: boolean;
  host?: string;
  body?: string;
  /** Trailers; null when the request has not ended yet (input cut short). */
  trailers?: string[] | null;
}

interface Want {
  requests?: ReqWant[];
  /** [status, code] of the ProtocolError, after `requests` were delivered. */
  error?: [number, string];
  /** True when the input ends mid-message (the parser wants more bytes). */
  pending?: boolean;
}

interface Row {
  name: string;
  input: string;
  limits?: Partial<ParserLimits>;
  want: Want;
}

const HOST = ['Host', 'a'];
/** A GET / with Host: a; override anything. */
const get = (extra: Partial<ReqWant> = {}): ReqWant => ({ method: 'GET', target: '/', headers: HOST, ...extra });
const post = (headers: string[], body: string, extra: Partial<ReqWant> = {}): ReqWant => ({
  method: 'POST',
  target: '/',
  headers: ['Host', 'a', ...headers],
  body,
  ...extra,
});
const err = (status: number, code: string, requests: ReqWant[] = []): Want => ({ requests, error: [status, code] });
const TE = 'Transfer-Encoding: chunked\r\n';
const CHUNKED = ['Transfer-Encoding', 'chunked'];
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

const basics: Row[] = [
  {
    name: 'simple GET',
    input: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: {
      requests: [get({ version: '1.1', bodyKind: 'none', contentLength: 0, keepAlive: true, expectContinue: false, host: 'a' })],
    },
  },
  {
    name: 'HTTP/1.0 without Host closes by default',
    input: 'GET /x HTTP/1.0\r\n\r\n',
    want: { requests: [{ method: 'GET', target: '/x', headers: [], version: '1.0', keepAlive: false, host: '' }] },
  },
  {
    name: 'HTTP/1.0 keep-alive',
    input: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    want: { requests: [{ method: 'GET', target: '/', headers: ['Connection', 'keep-alive'], version: '1.0', keepAlive: true }] },
  },
  {
    name: 'HTTP/1.0 keep-alive and close: close wins',
    input: 'GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n',
    want: { requests: [{ method: 'GET', target: '/', headers: ['Connection', 'keep-alive, close'], keepAlive: false }] },
  },
  {
    name: 'HTTP/1.1 Connection: close',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    want: { requests: [get({ headers: ['Host', 'a', 'Connection', 'close'], keepAlive: false })] },
  },
  {
    name: 'Connection tokens are case-insensitive and may come on a second line',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: Upgrade, CLOSE\t\r\n\r\n',
    want: { requests: [get({ headers: ['Host', 'a', 'Connection', 'foo', 'Connection', 'Upgrade, CLOSE'], keepAlive: false })] },
  },
  {
    name: 'NBSP is not OWS: "\\xa0close" is not the close option',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: \xa0close\r\n\r\n',
    want: { requests: [get({ headers: ['Host', 'a', 'Connection', '\xa0close'], keepAlive: true })] },
  },
  {
    name: 'OWS around values is trimmed, inner whitespace kept',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nA:b\r\nB:   c \t \r\nC: d  e \t f\r\nD:\r\nE: \t\r\n\r\n',
    want: { requests: [get({ headers: ['Host', 'a', 'A', 'b', 'B', 'c', 'C', 'd  e \t f', 'D', '', 'E', ''] })] },
  },
  {
    name: 'field names keep their case; every tchar is allowed',
    input: "GET / HTTP/1.1\r\nhOsT: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
    want: { requests: [get({ headers: ['hOsT', 'a', "!#$%&'*+-.^_`|~09azAZ", 'v'], host: 'a' })] },
  },
  {
    name: 'colons and obs-text in a value are data',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo:: a:b::c\r\nUser: \x85admin\xa0\r\n\r\n',
    want: { requests: [get({ headers: ['Host', 'a', 'Foo', ': a:b::c', 'User', '\x85admin\xa0'] })] },
  },
  {
    name: 'repeated fields stay separate, in order',
    input: 'GET / HTTP/1.1\r\nCookie: a=1\r\nHost: a\r\nCookie: b=2\r\n\r\n',
    want: { requests: [get({ headers: ['Cookie', 'a=1', 'Host', 'a', 'Cookie', 'b=2'] })] },
  },
  {
    name: 'methods are case-sensitive tokens of any length',
    input: 'MKCALENDARXXXXXXXXXXXXXXXXXXXXXX /m HTTP/1.1\r\nHost: a\r\n\r\nget / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get({ method: 'MKCALENDARXXXXXXXXXXXXXXXXXXXXXX', target: '/m' }), get({ method: 'get' })] },
  },
  {
    name: 'target is passed through as received',
    input: 'GET /a/../b/./c%20%2F%00?x=1&y=%zz|{} HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get({ target: '/a/../b/./c%20%2F%00?x=1&y=%zz|{}' })] },
  },
  {
    name: 'one leading CRLF is ignored (RFC 9112 §2.2)',
    input: '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get()] },
  },
  {
    name: 'several leading CRLFs are ignored',
    input: '\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get()] },
  },
  { name: 'only CRLFs: idle, nothing pending', input: '\r\n\r\n', want: { requests: [] } },
  { name: 'empty input', input: '', want: { requests: [] } },
  { name: 'a lone CR waits for its LF', input: '\r', want: { requests: [], pending: true } },
  {
    name: 'incomplete head waits',
    input: 'GET / HTTP/1.1\r\nHost: a\r\n',
    want: { requests: [], pending: true },
  },
  {
    name: 'Upgrade is just a field to the parser',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    want: { requests: [get({ headers: ['Host', 'a', 'Connection', 'Upgrade', 'Upgrade', 'websocket'], keepAlive: true })] },
  },
];

const bodies: Row[] = [
  {
    name: 'Content-Length body',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
    want: { requests: [post(['Content-Length', '5'], 'hello', { bodyKind: 'length', contentLength: 5 })] },
  },
  {
    name: 'Content-Length: 0 is no body',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
    want: { requests: [post(['Content-Length', '0'], '', { bodyKind: 'none', contentLength: 0 })] },
  },
  {
    name: 'leading zeros in Content-Length are digits (1*DIGIT)',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 000000000000005\r\n\r\nhello',
    want: { requests: [post(['Content-Length', '000000000000005'], 'hello', { contentLength: 5 })] },
  },
  {
    name: 'a POST without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3)',
    input: 'POST / HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [post([], '', { bodyKind: 'none' }), get({ target: '/second' })] },
  },
  {
    name: 'GET with a body that looks like a request',
    input: `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\n${SMUGGLED}`,
    want: { requests: [get({ headers: ['Host', 'a', 'Content-Length', '35'], body: SMUGGLED })] },
  },
  {
    name: 'binary body bytes are passed through',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n\x00\r\n\xff\x7f\n\r\x01',
    want: { requests: [post(['Content-Length', '8'], '\x00\r\n\xff\x7f\n\r\x01')] },
  },
  {
    name: 'HTTP/1.0 Content-Length body',
    input: 'POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello',
    want: { requests: [{ method: 'POST', target: '/', headers: ['Content-Length', '5'], version: '1.0', body: 'hello' }] },
  },
  {
    name: 'truncated Content-Length body waits',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel',
    want: { requests: [post(['Content-Length', '5'], 'hel', { trailers: null })], pending: true },
  },
  {
    name: 'chunked body',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
    want: { requests: [post(CHUNKED, 'hello world', { bodyKind: 'chunked', contentLength: -1 })] },
  },
  {
    name: 'chunked: upper and lower case hex, leading zeros',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0A\r\n0123456789\r\n00b\r\nabcdefghijk\r\n000\r\n\r\n`,
    want: { requests: [post(CHUNKED, '0123456789abcdefghijk')] },
  },
  {
    name: 'chunked: coding name is case-insensitive, field name too',
    input: 'POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: cHuNkEd\r\n\r\n1\r\nx\r\n0\r\n\r\n',
    want: { requests: [post(['transfer-encoding', 'cHuNkEd'], 'x', { bodyKind: 'chunked' })] },
  },
  {
    name: 'chunked: OWS and empty list elements around the coding',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \t, chunked ,\r\n\r\n1\r\nx\r\n0\r\n\r\n',
    want: { requests: [post(['Transfer-Encoding', ', chunked ,'], 'x', { bodyKind: 'chunked' })] },
  },
  {
    name: 'chunked: data that looks like framing is data',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\nb\r\n0\r\n\r\nab\r\ncd\r\n4\r\n\x00\xff\r\n\r\n0\r\n\r\n`,
    want: { requests: [post(CHUNKED, '0\r\n\r\nab\r\ncd\x00\xff\r\n')] },
  },
  {
    name: 'chunked GET',
    input: `GET / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\n\r\n`,
    want: { requests: [get({ headers: ['Host', 'a', ...CHUNKED], body: 'hello' })] },
  },
  {
    name: 'chunked: empty body',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\n\r\n`,
    want: { requests: [post(CHUNKED, '')] },
  },
  {
    name: 'chunk extensions: names, values, quoted strings, BWS (RFC 9112 §7.1.1)',
    input:
      `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n` +
      '5;a=b;c=d\r\nhello\r\n1 ; name\r\n \r\n5;q="a \\"quoted\\" ;=\\\\ value"\r\nworld\r\n1;a = b ;c\t=\t"x"\r\n!\r\n0;last=1\r\n\r\n',
    want: { requests: [post(CHUNKED, 'hello world!')] },
  },
  {
    // RFC 9112 §7.1.1: BWS only before ";" and around "=" (issue #12).
    name: 'chunk size followed by whitespace only: 400',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5 \t\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'trailers are delivered apart from the headers (RFC 9110 §6.5)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\nX-Trailer: t\r\nChecksum:  abc \r\n\r\n`,
    want: { requests: [post(CHUNKED, 'hello', { trailers: ['X-Trailer', 't', 'Checksum', 'abc'] })] },
  },
  {
    // RFC 9110 §6.5.1: a framing field cannot be a trailer; refused, never kept (issue #12).
    name: 'trailer named like a framing field: 400',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n1\r\nx\r\n0\r\nContent-Length: 50\r\n\r\n`,
    want: err(400, 'ERR_FORBIDDEN_TRAILER', [post(CHUNKED, 'x', { trailers: null })]),
  },
  {
    name: 'truncated chunked body waits',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhel`,
    want: { requests: [post(CHUNKED, 'hel', { trailers: null })], pending: true },
  },
  {
    name: 'chunked body waits for the final CRLF',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\n`,
    want: { requests: [post(CHUNKED, 'hello', { trailers: null })], pending: true },
  },
];

const smuggling: Row[] = [
  // RFC 9112 §6.3 ¶3: Transfer-Encoding with Content-Length. We reject rather than let TE win.
  {
    name: 'CL then TE',
    input: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n${TE}\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  {
    name: 'TE then CL',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}Content-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  {
    name: 'odd-case TE with CL',
    input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: cHuNkEd\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  {
    name: 'TE with a leading HTAB and CL',
    input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \tchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  {
    name: 'TE with a leading comma and CL',
    input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  {
    name: 'CL: 0 with TE',
    input: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n${TE}\r\n5\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  {
    name: 'TE: chunked, identity with CL (TE first fails on order)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}Transfer-Encoding: identity\r\nContent-Length: 50\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_CONFLICTING_FRAMING'),
  },
  // RFC 9112 §6.3 ¶5, RFC 9110 §8.6: Content-Length must be one 1*DIGIT value.
  {
    name: 'duplicate CL, same value',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  {
    name: 'duplicate CL, different values',
    input: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 0\r\n\r\nZ${SMUGGLED}`,
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  {
    name: 'CL as a list',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello',
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  {
    name: 'empty CL then a real one',
    input: `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\nContent-Length: 35\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  { name: 'CL empty', input: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n${SMUGGLED}`, want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL +5', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL -0', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -0\r\n\r\n', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL -1', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL 1e1', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e1\r\n\r\n0123456789', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL 0x10', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL inner space', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL underscore', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\n', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL alpha suffix', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5Z\r\n\r\nhello', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  { name: 'CL full-width digit', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \xb9\r\n\r\nh', want: err(400, 'ERR_INVALID_CONTENT_LENGTH') },
  {
    name: 'CL 2^64+1 (overflow)',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551617\r\n\r\n',
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  {
    name: 'CL of 16 digits is refused before it can lose precision',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000005\r\n\r\nhello',
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  {
    name: 'CL continued by obs-fold',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n 0\r\n\r\nhello',
    want: err(400, 'ERR_OBS_FOLD'),
  },
  // RFC 9112 §6.3 ¶4 and §6.1: chunked must be last, once; other codings are not implemented.
  { name: 'TE chunked, gzip (chunked not last)', input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE gzip alone', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE identity', input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\nhello${SMUGGLED}`, want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE unknown alone', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: pigeons\r\n\r\nhello', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE chunkedchunked', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedchunked\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE chunked-false', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked-false\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE quoted "chunked"', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE chunked; (parameter syntax)', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE chunked;q=1', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE with NBSP before chunked', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \xa0chunked\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE empty', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE only commas', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , ,\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  {
    name: 'TE chunked on two lines (applied twice)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}${TE}\r\n1\r\nZ\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_TRANSFER_ENCODING'),
  },
  { name: 'TE chunked, chunked', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE in HTTP/1.0', input: `POST / HTTP/1.0\r\n${TE}\r\n0\r\n\r\n`, want: err(400, 'ERR_INVALID_TRANSFER_ENCODING') },
  { name: 'TE gzip, chunked: 501', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', want: err(501, 'ERR_UNSUPPORTED_TRANSFER_CODING') },
  { name: 'TE x-custom, chunked: 501', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x-custom, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', want: err(501, 'ERR_UNSUPPORTED_TRANSFER_CODING') },
  {
    name: 'TE gzip and chunked on two lines: 501',
    input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n${TE}\r\n0\r\n\r\n`,
    want: err(501, 'ERR_UNSUPPORTED_TRANSFER_CODING'),
  },
  { name: 'space before the colon of TE', input: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 50\r\n\r\n0\r\n\r\n`, want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'NBSP before the colon of TE', input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\xa0: chunked\r\n\r\n0\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  {
    name: 'field name continued on the next line',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-\r\nEncoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    want: err(400, 'ERR_INVALID_HEADER_NAME'),
  },
  // RFC 9112 §7.1: chunk-size = 1*HEXDIG, bounded so it cannot overflow.
  {
    name: 'chunk size of 14 hex digits (overflow guard)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n10000000000000\r\nx\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size 2^64 (wraps to 0 in a 64-bit parser)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n10000000000000000\r\nx\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size of 13 hex digits is over the body limit',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\nfffffffffffff\r\nx`,
    want: err(413, 'ERR_BODY_TOO_LARGE', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size -5',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n-5\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size 0x5',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0x5\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size missing',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size with leading space',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n 5\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk size then a word without ";"',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5 foo\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'extra CRLF before the last chunk',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'chunk data longer than its size',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n3\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, 'hel', { trailers: null })]),
  },
  {
    name: 'chunk data followed by LF only',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'chunk data followed by CR and a non-LF',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\rX0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'chunk extension with an unbalanced quote',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;a="abc\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk extension quoted string with a control byte',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;a="a\x00b"\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk extension quoted string with a bare CR',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;a="a\rb"\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk extension without a name',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;=b\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk extension with "=" but no value',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;a=\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk extension with a bare CR in a token',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;a\rb\r\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'chunk extension on the last chunk is validated too',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0;"x"\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'bare LF ending a chunk-size line',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\nhello\r\n0\r\n\r\n`,
    want: err(400, 'ERR_BARE_LF', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'bare LF ending the last chunk line',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\n\r\n`,
    want: err(400, 'ERR_BARE_LF', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'bare LF ending the trailer section',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\n\n`,
    want: err(400, 'ERR_BARE_LF', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'bare CR in a trailer value',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n`,
    want: err(400, 'ERR_BARE_CR', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'obs-fold in trailers',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n`,
    want: err(400, 'ERR_OBS_FOLD', [post(CHUNKED, 'hello', { trailers: null })]),
  },
  {
    name: 'invalid trailer name',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5\r\nhello\r\n0\r\nX Y: a\r\n\r\n`,
    want: err(400, 'ERR_INVALID_HEADER_NAME', [post(CHUNKED, 'hello', { trailers: null })]),
  },
];

const syntax: Row[] = [
  // RFC 9112 §5.2: obs-fold is refused, not unfolded.
  { name: 'obs-fold with SP', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\r\n b\r\n\r\n', want: err(400, 'ERR_OBS_FOLD') },
  { name: 'obs-fold with HTAB', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\r\n\tb\r\n\r\n', want: err(400, 'ERR_OBS_FOLD') },
  { name: 'obs-fold of Host', input: 'GET / HTTP/1.1\r\nHost: a\r\n .evil\r\n\r\n', want: err(400, 'ERR_OBS_FOLD') },
  { name: 'first field line starts with HTAB', input: 'GET / HTTP/1.1\r\n\tContent-Length: 1\r\nHost: a\r\n\r\nX', want: err(400, 'ERR_OBS_FOLD') },
  // RFC 9112 §2.2: bare CR is refused, with one code wherever it is (more in 'bare CR' below).
  { name: 'bare CR inside a field name', input: 'PUT / HTTP/1.1\r\nHost: a\r\nContent\rLength: 3\r\n\r\nabc', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR inside a field value', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\rb\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR used to smuggle a field', input: 'GET / HTTP/1.1\r\nHost: a\r\nVisible: :/\rSmuggled: :)\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR ending the request line', input: 'GET / HTTP/1.1\rHost: a\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR inside the target', input: 'GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  // RFC 9112 §2.2: a bare LF line terminator is refused.
  { name: 'bare LF everywhere', input: 'GET / HTTP/1.1\nHost: a\nFoo: bar\n\n', want: err(400, 'ERR_BARE_LF') },
  { name: 'bare LF after the request line', input: 'GET / HTTP/1.1\nHost: a\r\n\r\n', want: err(400, 'ERR_BARE_LF') },
  { name: 'bare LF after a field line', input: 'GET / HTTP/1.1\r\nHost: a\nFoo: bar\r\n\r\n', want: err(400, 'ERR_BARE_LF') },
  { name: 'bare LF as the final empty line', input: 'GET / HTTP/1.1\r\nHost: a\r\n\n', want: err(400, 'ERR_BARE_LF') },
  { name: 'bare LF with a body', input: 'POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello', want: err(400, 'ERR_BARE_LF') },
  { name: 'leading bare LF', input: '\nGET / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_BARE_LF') },
  // RFC 9110 §5.5: NUL and other controls are refused in values; tokens refuse them anyway.
  { name: 'NUL in a field value', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x00b\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_VALUE') },
  { name: 'NUL at the end of a value', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x00\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_VALUE') },
  { name: 'NUL in a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nFo\x00o: b\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'NUL in the target', input: 'GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'NUL in the method', input: 'G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'NUL in Host', input: 'GET / HTTP/1.1\r\nHost: exa\x00mple.com\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_VALUE') },
  { name: 'DEL in a value', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x7fb\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_VALUE') },
  { name: 'ESC in a value', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x1b[31mb\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_VALUE') },
  { name: '0x1F in a value', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo: a\x1fb\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_VALUE') },
  // RFC 9112 §5.1: no whitespace between field name and colon.
  { name: 'SP before the colon', input: 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'HTAB before the colon', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo\t: b\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  // RFC 9110 §5.6.2: field names and methods are tokens.
  { name: 'space inside a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nFo o: x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: '"@" in a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nFo@: x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'parentheses in a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo(1): x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: '"/" in a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo/Bar: x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'control in a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nFo\x01o: x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'non-ASCII in a field name', input: 'GET / HTTP/1.1\r\nHost: a\r\nF\xf6o: x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'empty field name', input: 'GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'colon-only line', input: 'POST / HTTP/1.1\r\nHost: a\r\n:\r\nContent-Length: 5\r\n\r\nhello', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'field line without a colon', input: 'GET / HTTP/1.1\r\nHost: a\r\nFoo\r\n\r\n', want: err(400, 'ERR_INVALID_HEADER_NAME') },
  { name: 'method with separators', input: 'G=":<>(e),[T];?" / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'method with non-ASCII', input: 'G\xc3\x89T / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'method with a control', input: 'G\x01ET / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'empty method', input: ' / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'HTAB separators', input: 'GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'VT separator', input: 'GET\x0b/ HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  { name: 'two spaces before the target', input: 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'space inside the target', input: 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'trailing space after the version', input: 'GET / HTTP/1.1 \r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'no version (HTTP/0.9 simple request)', input: 'GET /\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'method only', input: 'GET\r\n\r\n', want: err(400, 'ERR_INVALID_REQUEST_LINE') },
  {
    name: 'TLS ClientHello on the plain port',
    input: '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + '\x00'.repeat(32) + '\x00\x04\x13\x01\x13\x02\x01\x00\r\n\r\n',
    want: err(400, 'ERR_INVALID_REQUEST_LINE'),
  },
  { name: 'fragment in the target', input: 'GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'DEL in the target', input: 'GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'control in the target', input: 'GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'raw UTF-8 in the target', input: 'GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
];

const hostRules: Row[] = [
  // RFC 9112 §3.2: exactly one valid Host on 1.1, else 400.
  { name: 'missing Host on 1.1', input: 'GET / HTTP/1.1\r\n\r\n', want: err(400, 'ERR_MISSING_HOST') },
  { name: 'missing Host on 1.1 with other fields', input: 'GET / HTTP/1.1\r\nFoo: bar\r\n\r\n', want: err(400, 'ERR_MISSING_HOST') },
  { name: 'duplicate Host, same value', input: 'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', want: err(400, 'ERR_DUPLICATE_HOST') },
  { name: 'duplicate Host, second empty', input: 'GET / HTTP/1.1\r\nHost: a\r\nHost:\r\n\r\n', want: err(400, 'ERR_DUPLICATE_HOST') },
  { name: 'duplicate Host, different case', input: 'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', want: err(400, 'ERR_DUPLICATE_HOST') },
  { name: 'duplicate Host on 1.0', input: 'GET / HTTP/1.0\r\nHost: a\r\nHost: evil.example\r\n\r\n', want: err(400, 'ERR_DUPLICATE_HOST') },
  { name: 'Host as a list', input: 'GET / HTTP/1.1\r\nHost: example.com, evil.example\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with a bad port', input: 'GET / HTTP/1.1\r\nHost: example.com:abc\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with an unclosed IPv6 literal', input: 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with an empty IPv6 literal', input: 'GET / HTTP/1.1\r\nHost: []\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with junk after an IPv6 literal', input: 'GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with userinfo', input: 'GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with a space', input: 'GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with a slash', input: 'GET / HTTP/1.1\r\nHost: example.com/x\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with two ports', input: 'GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'invalid Host on 1.0', input: 'GET / HTTP/1.0\r\nHost: a b\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'Host with a port', input: 'GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n', want: { requests: [get({ headers: ['Host', 'example.com:8080'], host: 'example.com:8080' })] } },
  { name: 'Host IPv6 literal with port', input: 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n', want: { requests: [get({ headers: ['Host', '[::1]:8080'], host: '[::1]:8080' })] } },
  { name: 'Host IPv4', input: 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', want: { requests: [get({ headers: ['Host', '127.0.0.1'], host: '127.0.0.1' })] } },
  { name: 'Host with a trailing dot', input: 'GET / HTTP/1.1\r\nHost: example.com.\r\n\r\n', want: { requests: [get({ headers: ['Host', 'example.com.'], host: 'example.com.' })] } },
  { name: 'empty Host is allowed (authority without host)', input: 'GET / HTTP/1.1\r\nHost:\r\n\r\n', want: { requests: [get({ headers: ['Host', ''], host: '' })] } },
  { name: 'Host with OWS', input: 'GET / HTTP/1.1\r\nHost: \t a.example \r\n\r\n', want: { requests: [get({ headers: ['Host', 'a.example'], host: 'a.example' })] } },
];

const targets: Row[] = [
  // RFC 9112 §3.2.2: absolute-form is accepted from any client (the server ignores Host for it later).
  {
    name: 'absolute-form',
    input: 'GET http://example.com/abs/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n',
    want: { requests: [get({ target: 'http://example.com/abs/path?q=1', headers: ['Host', 'example.com'] })] },
  },
  {
    name: 'absolute-form https with port',
    input: 'GET https://example.com:8443/x HTTP/1.1\r\nHost: example.com:8443\r\n\r\n',
    want: { requests: [get({ target: 'https://example.com:8443/x', headers: ['Host', 'example.com:8443'] })] },
  },
  {
    name: 'absolute-form with upper-case scheme and no path: the authority is the host',
    input: 'GET HTTP://EXAMPLE.COM HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get({ target: 'HTTP://EXAMPLE.COM', headers: ['Host', 'EXAMPLE.COM'], host: 'EXAMPLE.COM' })] },
  },
  {
    name: 'absolute-form with a valid scheme that is not http(s): 400',
    input: 'GET a1+b-c.d://h/ HTTP/1.1\r\nHost: a\r\n\r\n',
    want: err(400, 'ERR_INVALID_TARGET'),
  },
  { name: 'absolute-form without "//"', input: 'GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'scheme starting with a digit', input: 'GET 1http://x/ HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'scheme with "_"', input: 'GET ht_tp://x/ HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'relative target', input: 'GET example.com/x HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'empty scheme', input: 'GET ://x/ HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  // RFC 9112 §3.2.4: asterisk-form only with OPTIONS.
  { name: 'OPTIONS *', input: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', want: { requests: [get({ method: 'OPTIONS', target: '*' })] } },
  { name: 'GET *', input: 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  { name: 'OPTIONS *x', input: 'OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
  // RFC 9112 §3.2.3, RFC 9110 §9.3.6: CONNECT (authority-form) is not implemented.
  { name: 'CONNECT authority-form: 501', input: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', want: err(501, 'ERR_CONNECT_NOT_SUPPORTED') },
  { name: 'CONNECT with origin-form: 501', input: 'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(501, 'ERR_CONNECT_NOT_SUPPORTED') },
  { name: 'authority-form with another method', input: 'GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
];

const versions: Row[] = [
  // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; RFC 9110 §6.2: 1.x minors are 1.1 to us.
  { name: 'HTTP/1.0', input: 'GET / HTTP/1.0\r\n\r\n', want: { requests: [{ method: 'GET', target: '/', headers: [], version: '1.0' }] } },
  { name: 'HTTP/1.1', input: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', want: { requests: [get({ version: '1.1' })] } },
  { name: 'HTTP/1.2 is handled as 1.1', input: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', want: { requests: [get({ version: '1.1', keepAlive: true })] } },
  { name: 'HTTP/1.9 needs Host like 1.1', input: 'GET / HTTP/1.9\r\n\r\n', want: err(400, 'ERR_MISSING_HOST') },
  { name: 'HTTP/2.0: 505', input: 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', want: err(505, 'ERR_VERSION_NOT_SUPPORTED') },
  { name: 'HTTP/0.9: 505', input: 'GET / HTTP/0.9\r\nHost: a\r\n\r\n', want: err(505, 'ERR_VERSION_NOT_SUPPORTED') },
  { name: 'HTTP/9.9: 505', input: 'GET / HTTP/9.9\r\nHost: a\r\n\r\n', want: err(505, 'ERR_VERSION_NOT_SUPPORTED') },
  { name: 'http/1.1 (lower case)', input: 'GET / http/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/1.10', input: 'GET / HTTP/1.10\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/1.', input: 'GET / HTTP/1.\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/11', input: 'GET / HTTP/11\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/2', input: 'GET / HTTP/2\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTPS/1.1', input: 'GET / HTTPS/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/ 1.1', input: 'GET / HTTP/ 1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/1,1', input: 'GET / HTTP/1,1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/4294967295.255', input: 'GET / HTTP/4294967295.255\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'HTTP/1.1x', input: 'GET / HTTP/1.1x\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'garbage version', input: 'GET / HTTP/a.b\r\nHost: a\r\n\r\n', want: err(400, 'ERR_INVALID_VERSION') },
  { name: 'garbage line', input: 'hello world\r\n\r\n', want: err(400, 'ERR_INVALID_TARGET') },
];

const expectRules: Row[] = [
  // RFC 9110 §10.1.1.
  {
    name: 'Expect: 100-continue with a body',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello',
    want: { requests: [post(['Expect', '100-continue', 'Content-Length', '5'], 'hello', { expectContinue: true })] },
  },
  {
    name: 'Expect: 100-continue with a chunked body',
    input: `POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n${TE}\r\n0\r\n\r\n`,
    want: { requests: [post(['Expect', '100-Continue', ...CHUNKED], '', { expectContinue: true })] },
  },
  {
    name: 'Expect: 100-continue without a body: nothing to wait for',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n',
    want: { requests: [post(['Expect', '100-continue', 'Content-Length', '0'], '', { expectContinue: false })] },
  },
  {
    name: 'Expect: 100-continue from HTTP/1.0 is ignored',
    input: 'POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello',
    want: { requests: [{ method: 'POST', target: '/', headers: ['Expect', '100-continue', 'Content-Length', '5'], body: 'hello', expectContinue: false }] },
  },
  { name: 'unknown expectation: 417', input: 'GET / HTTP/1.1\r\nHost: a\r\nExpect: x-unknown\r\n\r\n', want: err(417, 'ERR_EXPECTATION_FAILED') },
  { name: 'expectation list: 417', input: 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\nContent-Length: 1\r\n\r\nx', want: err(417, 'ERR_EXPECTATION_FAILED') },
  { name: 'empty Expect: 417', input: 'GET / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n', want: err(417, 'ERR_EXPECTATION_FAILED') },
];

const REQ_LINE_32 = `GET /${'a'.repeat(18)} HTTP/1.1`; // exactly 32 bytes
const limits: Row[] = [
  {
    name: 'request line at maxRequestLineBytes',
    input: `${REQ_LINE_32}\r\nHost: a\r\n\r\n`,
    limits: { maxRequestLineBytes: 32 },
    want: { requests: [get({ target: `/${'a'.repeat(18)}` })] },
  },
  {
    name: 'request line one byte over maxRequestLineBytes: 414',
    input: `GET /${'a'.repeat(19)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    limits: { maxRequestLineBytes: 32 },
    want: err(414, 'ERR_URI_TOO_LONG'),
  },
  {
    name: 'unterminated request line over the limit fails early: 414',
    input: `GET /${'a'.repeat(40)}`,
    limits: { maxRequestLineBytes: 32 },
    want: err(414, 'ERR_URI_TOO_LONG'),
  },
  {
    name: 'request line at the limit waiting for its LF',
    input: `${REQ_LINE_32}\r`,
    limits: { maxRequestLineBytes: 32 },
    want: { requests: [], pending: true },
  },
  {
    name: 'too-long request line ended by a bare LF: 414 in every delivery (regression: whole gave 400)',
    input: `GET /${'a'.repeat(40)} HTTP/1.1\nHost: a\r\n\r\n`,
    limits: { maxRequestLineBytes: 32 },
    want: err(414, 'ERR_URI_TOO_LONG'),
  },
  {
    name: 'too-long header section ended by a bare LF: 431 in every delivery',
    input: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(40)}\n\r\n`,
    limits: { maxHeaderBytes: 20 },
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    name: 'too-long trailer ended by a bare LF: 431 in every delivery',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\nX: ${'y'.repeat(60)}\n\r\n`,
    limits: { maxHeaderBytes: 40 },
    want: err(431, 'ERR_HEADER_TOO_LARGE', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'too-long chunk-size line ended by a bare LF: same status in every delivery',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;${'a'.repeat(40)}\nhello\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 8 },
    want: err(400, 'ERR_CHUNK_EXTENSION_TOO_LONG', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'leading CRLFs do not count toward the request line',
    input: `\r\n\r\n${REQ_LINE_32}\r\nHost: a\r\n\r\n`,
    limits: { maxRequestLineBytes: 32 },
    want: { requests: [get({ target: `/${'a'.repeat(18)}` })] },
  },
  {
    // "Host: a\r\n" (9) + "X: 123456\r\n" (11) = 20 bytes of field lines.
    name: 'header section at maxHeaderBytes',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nX: 123456\r\n\r\n',
    limits: { maxHeaderBytes: 20 },
    want: { requests: [get({ headers: ['Host', 'a', 'X', '123456'] })] },
  },
  {
    name: 'header section one byte over maxHeaderBytes: 431',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nX: 1234567\r\n\r\n',
    limits: { maxHeaderBytes: 20 },
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    name: 'unterminated header section over the limit fails early: 431',
    input: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(40)}`,
    limits: { maxHeaderBytes: 20 },
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    name: 'header section at the limit waiting for its final LF (regression: split gave 431)',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nX: 123456\r\n\r',
    limits: { maxHeaderBytes: 20 },
    want: { requests: [], pending: true },
  },
  {
    name: 'maxHeaderCount fields',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n',
    limits: { maxHeaderCount: 3 },
    want: { requests: [get({ headers: ['Host', 'a', 'A', '1', 'B', '2'] })] },
  },
  {
    name: 'one field over maxHeaderCount: 431',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n',
    limits: { maxHeaderCount: 3 },
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    // The default counts Host: 1000 field lines pass, 1001 do not (issue #12, docs/limits.md).
    name: 'Host and 999 fields of the client\'s own: accepted by default',
    input: `GET / HTTP/1.1\r\nHost: a\r\n${'a:\r\n'.repeat(999)}\r\n`,
    want: { requests: [get({ headers: ['Host', 'a', ...Array.from({ length: 999 }, () => ['a', '']).flat()] })] },
  },
  {
    name: 'Host and 100 fields of the client\'s own: accepted by default (was 431 with the old default of 100)',
    input: `GET / HTTP/1.1\r\nHost: a\r\n${'a:\r\n'.repeat(100)}\r\n`,
    want: { requests: [get({ headers: ['Host', 'a', ...Array.from({ length: 100 }, () => ['a', '']).flat()] })] },
  },
  {
    name: 'many tiny fields: 431',
    input: `GET / HTTP/1.1\r\nHost: a\r\n${'a:\r\n'.repeat(1000)}\r\n`,
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    name: 'Content-Length at maxBodyBytes',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n12345678',
    limits: { maxBodyBytes: 8 },
    want: { requests: [post(['Content-Length', '8'], '12345678')] },
  },
  {
    name: 'Content-Length over maxBodyBytes: 413 before any body byte',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n123456789',
    limits: { maxBodyBytes: 8 },
    want: err(413, 'ERR_BODY_TOO_LARGE'),
  },
  {
    name: 'chunked body at maxBodyBytes',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n4\r\n1234\r\n4\r\n5678\r\n0\r\n\r\n`,
    limits: { maxBodyBytes: 8 },
    want: { requests: [post(CHUNKED, '12345678')] },
  },
  {
    name: 'chunked body over maxBodyBytes: 413 at the chunk that crosses it',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n4\r\n1234\r\n5\r\n56789\r\n0\r\n\r\n`,
    limits: { maxBodyBytes: 8 },
    want: err(413, 'ERR_BODY_TOO_LARGE', [post(CHUNKED, '1234', { trailers: null })]),
  },
  {
    name: 'chunk extension at maxChunkExtensionBytes',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;abc=def\r\nhello\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 8 },
    want: { requests: [post(CHUNKED, 'hello')] },
  },
  {
    name: 'chunk extension over maxChunkExtensionBytes',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;abc=defg\r\nhello\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 8 },
    want: err(400, 'ERR_CHUNK_EXTENSION_TOO_LONG', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'unterminated chunk-size line fails early',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n5;${'a'.repeat(100)}`,
    limits: { maxChunkExtensionBytes: 8 },
    want: err(400, 'ERR_CHUNK_EXTENSION_TOO_LONG', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'long run of leading zeros in a chunk size (regression: passed whole, failed split)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n${'0'.repeat(40)}1\r\nx\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 4 },
    want: err(400, 'ERR_CHUNK_EXTENSION_TOO_LONG', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    // Trailer "X: " + 13 x "y" + CRLF = 18 bytes.
    name: 'trailer section at maxHeaderBytes (regression: split gave 431)',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\nX: ${'y'.repeat(13)}\r\n\r\n`,
    limits: { maxHeaderBytes: 40 },
    want: { requests: [post(CHUNKED, '', { trailers: ['X', 'y'.repeat(13)] })] },
  },
  {
    name: 'trailer section over maxHeaderBytes: 431',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\nX: ${'y'.repeat(36)}\r\n\r\n`,
    limits: { maxHeaderBytes: 40 },
    want: err(431, 'ERR_HEADER_TOO_LARGE', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'unterminated trailer over maxHeaderBytes fails early',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\nX: ${'y'.repeat(60)}`,
    limits: { maxHeaderBytes: 40 },
    want: err(431, 'ERR_HEADER_TOO_LARGE', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'trailer count at maxHeaderCount',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\nA: 1\r\nB: 2\r\n\r\n`,
    limits: { maxHeaderCount: 2 },
    want: { requests: [post(CHUNKED, '', { trailers: ['A', '1', 'B', '2'] })] },
  },
  {
    name: 'trailer count over maxHeaderCount: 431',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n`,
    limits: { maxHeaderCount: 2 },
    want: err(431, 'ERR_HEADER_TOO_LARGE', [post(CHUNKED, '', { trailers: null })]),
  },
];

const pipelining: Row[] = [
  {
    name: 'two GETs in one buffer',
    input: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get({ target: '/1' }), get({ target: '/2' })] },
  },
  {
    name: 'ten GETs',
    input: Array.from({ length: 10 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join(''),
    want: { requests: Array.from({ length: 10 }, (_, i) => get({ target: `/${i}` })) },
  },
  {
    name: 'Content-Length body then GET',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [post(['Content-Length', '5'], 'hello'), get({ target: '/2' })] },
  },
  {
    name: 'Content-Length: 0 then GET',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [post(['Content-Length', '0'], ''), get({ target: '/second' })] },
  },
  {
    name: 'chunked body with trailers then POST',
    input: `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi`,
    want: { requests: [post(CHUNKED, 'abc', { trailers: ['T', '1'] }), post(['Content-Length', '2'], 'hi', { target: '/2' })] },
  },
  {
    name: 'CRLF between pipelined requests is ignored',
    input: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [get({ target: '/1' }), get({ target: '/2' })] },
  },
  {
    name: 'HTTP/1.0 then HTTP/1.1',
    input: 'GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
    want: { requests: [{ method: 'GET', target: '/1', headers: [], keepAlive: false }, get({ target: '/2', keepAlive: true })] },
  },
  {
    name: 'bad first request: nothing delivered',
    input: 'GET /bad HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n',
    want: err(400, 'ERR_INVALID_CONTENT_LENGTH'),
  },
  {
    name: 'good request then a bad one: the first is complete before the error',
    input: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n',
    want: err(400, 'ERR_MISSING_HOST', [get({ target: '/1' })]),
  },
  {
    name: 'second request incomplete',
    input: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo',
    want: { requests: [get({ target: '/1' })], pending: true },
  },
];

// ---- issue #12: the wire's last lenient shapes -----------------------------------------------

const CHUNKED_HEAD = `POST / HTTP/1.1\r\nHost: a\r\n${TE}\r\n`;
/** A chunked request whose body is "hel" and whose last chunk is followed by `trailers` (lines with CRLF). */
const withTrailers = (trailers: string): string => `${CHUNKED_HEAD}3\r\nhel\r\n0\r\n${trailers}\r\n`;

// RFC 9112 §2.2: a bare CR is refused as soon as the byte after it arrives, in every line kind.
// Rows without a complete message prove it: the error comes before the head (or line) ends.
const bareCr: Row[] = [
  { name: 'lines ended by bare CRs, no LF ever (was: wait for the header timeout)', input: 'GET / HTTP/1.1\rHost: a\r\r', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR before the final CRLF', input: 'GET / HTTP/1.1\r\nHost: a\r\n\r\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR before the final CRLF, nothing after it', input: 'GET / HTTP/1.1\r\nHost: a\r\n\rX', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR before a field line\'s CRLF', input: 'GET / HTTP/1.1\r\nHost: a\r\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR in a field value, line not ended', input: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR in a complete field line of an unfinished head', input: 'GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR in the request line, line not ended', input: 'GET /\r HTTP/1.1', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR as the first byte', input: '\rGET / HTTP/1.1\r\nHost: a\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'bare CR after leading empty lines', input: '\r\n\r\n\r\rGET / HTTP/1.1\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'CRCRLF ending the request line', input: 'GET / HTTP/1.1\r\r\nHost: a\r\n\r\n', want: err(400, 'ERR_BARE_CR') },
  { name: 'a CR as the last byte received waits for its LF', input: 'GET / HTTP/1.1\r\nHost: a\r', want: { requests: [], pending: true } },
  { name: 'a CR as the last byte of the head waits for its LF', input: 'GET / HTTP/1.1\r\nHost: a\r\n\r', want: { requests: [], pending: true } },
  {
    name: 'bare CR in a head whose request is otherwise 505: the bare CR wins, as it comes first',
    input: 'GET / HTTP/2.0\r\nHost: a\r\nX: a\rb\r\n\r\n',
    want: err(400, 'ERR_BARE_CR'),
  },
  {
    name: 'bare CR in the second, pipelined head',
    input: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\rHost: a\r\r',
    want: err(400, 'ERR_BARE_CR', [get({ target: '/1' })]),
  },
  {
    name: 'bare CR in a repeated section\'s request line (the remembered-section path)',
    input: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\rX\r\nHost: a\r\n\r\n',
    want: err(400, 'ERR_BARE_CR', [get({ target: '/1' })]),
  },
  // Chunk-size lines.
  { name: 'chunk-size line ended by bare CRs', input: `${CHUNKED_HEAD}3\r\r`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]) },
  { name: 'bare CR inside a chunk size', input: `${CHUNKED_HEAD}3\rX`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]) },
  { name: 'bare CR before a chunk-size line\'s CRLF', input: `${CHUNKED_HEAD}3\r\r\nhel\r\n0\r\n\r\n`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]) },
  { name: 'bare CR in a chunk extension', input: `${CHUNKED_HEAD}3;a=b\r;c\r\nhel\r\n0\r\n\r\n`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]) },
  { name: 'bare CR in the last-chunk line', input: `${CHUNKED_HEAD}3\r\nhel\r\n0\r0\r\n\r\n`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, 'hel', { trailers: null })]) },
  // Trailer lines.
  { name: 'trailer line ended by bare CRs', input: `${CHUNKED_HEAD}3\r\nhel\r\n0\r\nX: a\r\r`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, 'hel', { trailers: null })]) },
  { name: 'bare CR before the trailer section\'s final CRLF', input: `${CHUNKED_HEAD}3\r\nhel\r\n0\r\n\r\r\n`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, 'hel', { trailers: null })]) },
  { name: 'bare CR in a trailer name, line not ended', input: `${CHUNKED_HEAD}3\r\nhel\r\n0\r\nX\rY`, want: err(400, 'ERR_BARE_CR', [post(CHUNKED, 'hel', { trailers: null })]) },
  // Which error comes first is decided by byte order, so a split cannot change it (STYLE.md rule 7).
  {
    name: 'bare CR before the request line passes its limit: bare CR',
    input: 'GET /\rxxxxxxxxxxxxxxxxxxx HTTP/1.1\r\nHost: a\r\n\r\n',
    limits: { maxRequestLineBytes: 10 },
    want: err(400, 'ERR_BARE_CR'),
  },
  {
    // "GET /xxxxx" is 10 bytes: the limit is passed by the byte after the CR, which also shows the CR is bare.
    name: 'bare CR found by the byte that passes the limit: the limit',
    input: 'GET /xxxxx\rxxxxxxxxxxxxxx HTTP/1.1\r\nHost: a\r\n\r\n',
    limits: { maxRequestLineBytes: 10 },
    want: err(414, 'ERR_URI_TOO_LONG'),
  },
  {
    name: 'bare CR after the request line passed its limit: the limit',
    input: 'GET /xxxxxxxxxxxxxxxx\rx HTTP/1.1\r\nHost: a\r\n\r\n',
    limits: { maxRequestLineBytes: 10 },
    want: err(414, 'ERR_URI_TOO_LONG'),
  },
  {
    name: 'bare CR in an early field, section later over maxHeaderBytes: bare CR',
    input: `GET / HTTP/1.1\r\nHost: a\r\nA: \rb\r\nX: ${'x'.repeat(40)}\r\n\r\n`,
    limits: { maxHeaderBytes: 20 },
    want: err(400, 'ERR_BARE_CR'),
  },
  {
    name: 'bare CR after the section passed maxHeaderBytes: 431',
    input: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(40)}\rb\r\n\r\n`,
    limits: { maxHeaderBytes: 20 },
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    name: 'bare CR in a field line beyond maxHeaderCount: bare CR (it comes before that line\'s LF)',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: \r2\r\n\r\n',
    limits: { maxHeaderCount: 2 },
    want: err(400, 'ERR_BARE_CR'),
  },
  {
    // Regression (fuzz seed 5): the count check came first and used the LF as its byte, so a
    // whole delivery said bare CR where a split one, seeing the byte limit pass earlier, said 431.
    name: 'line over both the field count and maxHeaderBytes, bare CR after the byte limit: 431',
    input: 'GET / HTTP/1.1\r\nAccept: text/html\rX: b\r\n\r\n',
    limits: { maxHeaderBytes: 6, maxHeaderCount: 0 },
    want: err(431, 'ERR_HEADER_TOO_LARGE'),
  },
  {
    name: 'line over both the field count and maxHeaderBytes, bare CR before the byte limit: bare CR',
    input: 'GET / HTTP/1.1\r\nA\r: text/html\r\n\r\n',
    limits: { maxHeaderBytes: 6, maxHeaderCount: 0 },
    want: err(400, 'ERR_BARE_CR'),
  },
  {
    name: 'bare CR in a line ended by a bare LF: bare CR',
    input: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\n\r\n',
    want: err(400, 'ERR_BARE_CR'),
  },
  {
    name: 'bare CR in a chunk-size line before its limit: bare CR',
    input: `${CHUNKED_HEAD}3;a\r${'b'.repeat(40)}\r\nhel\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 8 },
    want: err(400, 'ERR_BARE_CR', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'bare CR in a chunk-size line after its limit: the limit',
    input: `${CHUNKED_HEAD}3;${'b'.repeat(40)}\rb\r\nhel\r\n0\r\n\r\n`,
    limits: { maxChunkExtensionBytes: 8 },
    want: err(400, 'ERR_CHUNK_EXTENSION_TOO_LONG', [post(CHUNKED, '', { trailers: null })]),
  },
  {
    name: 'bare CR in a trailer before the trailer limit: bare CR',
    input: withTrailers(`X: \r${'y'.repeat(60)}\r\n`),
    limits: { maxHeaderBytes: 40 },
    want: err(400, 'ERR_BARE_CR', [post(CHUNKED, 'hel', { trailers: null })]),
  },
  {
    name: 'bare CR in a trailer after the trailer limit: 431',
    input: withTrailers(`X: ${'y'.repeat(60)}\ry\r\n`),
    limits: { maxHeaderBytes: 40 },
    want: err(431, 'ERR_HEADER_TOO_LARGE', [post(CHUNKED, 'hel', { trailers: null })]),
  },
];

// RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ); no other whitespace.
const chunkLines: Row[] = [
  ...['3 ', '3\t', '3 \t ', '3;a=b\t', '3;a=b ', '3;a ', '3;a="x" ', '3 ;a ', '3;a=b; c ', ' 3', '3 3'].map((line): Row => ({
    name: `${JSON.stringify(line)}: 400`,
    input: `${CHUNKED_HEAD}${line}\r\nhel\r\n0\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, '', { trailers: null })]),
  })),
  ...['0 ', '0\t', '0;a=b\t', '00 '].map((line): Row => ({
    name: `last chunk ${JSON.stringify(line)}: 400`,
    input: `${CHUNKED_HEAD}3\r\nhel\r\n${line}\r\n\r\n`,
    want: err(400, 'ERR_INVALID_CHUNK', [post(CHUNKED, 'hel', { trailers: null })]),
  })),
  ...['3 ;a', '3\t;a', '3; a', '3;\ta', '3;a =b', '3;a= b', '3;a = "b c"', '3 ; a = b ; c', '3;a;b=c'].map((line): Row => ({
    name: `${JSON.stringify(line)}: BWS where the grammar allows it`,
    input: `${CHUNKED_HEAD}${line}\r\nhel\r\n0 ;z\r\n\r\n`,
    want: { requests: [post(CHUNKED, 'hel')] },
  })),
];

/** Trailer names refused (RFC 9110 §6.5.1; harness.ts restates the list), spelled as clients send them: "Content-Length". */
const FORBIDDEN_TRAILERS = [...FORBIDDEN_TRAILER_NAMES].map((n) => n.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()));
const trailerRules: Row[] = [
  ...FORBIDDEN_TRAILERS.map((name): Row => ({
    name: `${name} in trailers: 400`,
    input: withTrailers(`X-Sum: 1\r\n${name}: v\r\n`),
    want: err(400, 'ERR_FORBIDDEN_TRAILER', [post(CHUNKED, 'hel', { trailers: null })]),
  })),
  {
    name: 'Connection: close in a trailer neither closes nor is kept: 400',
    input: withTrailers('connection: close\r\n') + 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n',
    want: err(400, 'ERR_FORBIDDEN_TRAILER', [post(CHUNKED, 'hel', { trailers: null })]),
  },
  {
    name: 'forbidden names match case-insensitively',
    input: withTrailers('cOnTeNt-LeNgTh: 0\r\n'),
    want: err(400, 'ERR_FORBIDDEN_TRAILER', [post(CHUNKED, 'hel', { trailers: null })]),
  },
  {
    name: 'other trailers are kept apart, in order',
    input: withTrailers('Content-Digest: sha-256=:x:\r\nServer-Timing: a\r\nX-Content-Length: 5\r\nHosts: b\r\n'),
    want: { requests: [post(CHUNKED, 'hel', { trailers: ['Content-Digest', 'sha-256=:x:', 'Server-Timing', 'a', 'X-Content-Length', '5', 'Hosts', 'b'] })] },
  },
];

// RFC 9112 §3.2.2: with an absolute-form target, the target's authority is the request's host.
const absoluteForm: Row[] = [
  {
    name: 'the authority replaces another Host value',
    input: 'GET http://good.example/x HTTP/1.1\r\nHost: evil.example\r\n\r\n',
    want: { requests: [get({ target: 'http://good.example/x', headers: ['Host', 'good.example'], host: 'good.example' })] },
  },
  {
    name: 'the authority with its port replaces a Host without one',
    input: 'GET https://a.example:8443?q HTTP/1.1\r\nX: 1\r\nhost: a.example\r\n\r\n',
    want: { requests: [get({ target: 'https://a.example:8443?q', headers: ['X', '1', 'host', 'a.example:8443'], host: 'a.example:8443' })] },
  },
  {
    name: 'a Host naming the same authority in another case is kept as sent',
    input: 'GET http://A.Example/ HTTP/1.1\r\nHost: a.example\r\n\r\n',
    want: { requests: [get({ target: 'http://A.Example/', headers: ['Host', 'a.example'], host: 'a.example' })] },
  },
  {
    name: 'IP literal authority',
    input: 'GET http://[::1]:8080/ HTTP/1.1\r\nHost: evil\r\n\r\n',
    want: { requests: [get({ target: 'http://[::1]:8080/', headers: ['Host', '[::1]:8080'], host: '[::1]:8080' })] },
  },
  {
    name: 'HTTP/1.0 without Host: the authority becomes its Host field',
    input: 'GET http://a.example/x HTTP/1.0\r\nX: 1\r\n\r\n',
    want: { requests: [{ method: 'GET', target: 'http://a.example/x', headers: ['Host', 'a.example', 'X', '1'], host: 'a.example', version: '1.0' }] },
  },
  { name: 'HTTP/1.1 still needs a Host field', input: 'GET http://a.example/ HTTP/1.1\r\n\r\n', want: err(400, 'ERR_MISSING_HOST') },
  { name: 'an invalid Host is still refused', input: 'GET http://a.example/ HTTP/1.1\r\nHost: a b\r\n\r\n', want: err(400, 'ERR_INVALID_HOST') },
  { name: 'two Host fields are still refused', input: 'GET http://a.example/ HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', want: err(400, 'ERR_DUPLICATE_HOST') },
  ...[
    ['userinfo', 'http://user:pw@a.example/'],
    ['empty userinfo', 'http://@a.example/'],
    ['userinfo without a path', 'http://user@a.example'],
    ['"}" in the host', 'http://exa}ple.com/'],
    ['"<" in the host', 'http://a<b/'],
    ['empty host', 'http:///x'],
    ['empty host with a port', 'http://:80/'],
    ['port that is not digits', 'http://a:8x/'],
    ['unclosed IP literal', 'http://[::1/'],
    ['scheme ftp', 'ftp://a.example/'],
    ['scheme ws', 'ws://a.example/'],
    ['scheme httpx', 'httpx://a.example/'],
    ['scheme file', 'file:///etc/passwd'],
  ].map(([what, target]): Row => ({
    name: `${what} (${target}): 400`,
    input: `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`,
    want: err(400, 'ERR_INVALID_TARGET'),
  })),
  {
    // The second request repeats the first one's field section: the remembered-section path.
    name: 'repeated section: origin-form then absolute-form',
    input: 'GET /1 HTTP/1.1\r\nHost: evil\r\nX: 1\r\n\r\nGET http://good/2 HTTP/1.1\r\nHost: evil\r\nX: 1\r\n\r\n',
    want: {
      requests: [
        get({ target: '/1', headers: ['Host', 'evil', 'X', '1'], host: 'evil' }),
        get({ target: 'http://good/2', headers: ['Host', 'good', 'X', '1'], host: 'good' }),
      ],
    },
  },
  {
    name: 'repeated section: absolute-form then origin-form keeps the second request\'s own Host',
    input: 'GET http://good/1 HTTP/1.1\r\nHost: evil\r\nX: 1\r\n\r\nGET /2 HTTP/1.1\r\nHost: evil\r\nX: 1\r\n\r\n',
    want: {
      requests: [
        get({ target: 'http://good/1', headers: ['Host', 'good', 'X', '1'], host: 'good' }),
        get({ target: '/2', headers: ['Host', 'evil', 'X', '1'], host: 'evil' }),
      ],
    },
  },
];

const tables: [string, Row[]][] = [
  ['bare CR (#12)', bareCr],
  ['chunk-size lines (#12)', chunkLines],
  ['trailers (#12)', trailerRules],
  ['absolute-form (#12)', absoluteForm],
  ['basics', basics],
  ['bodies', bodies],
  ['smuggling', smuggling],
  ['syntax', syntax],
  ['Host', hostRules],
  ['targets', targets],
  ['versions', versions],
  ['Expect', expectRules],
  ['limits', limits],
  ['pipelining', pipelining],
];

/** Bytes of a following request, left incomplete in the buffer after a case. */
const TRAILING = 'GET /next HTTP/1.1\r\nHost: a\r\nX: y';
/** Above this many bytes, "every offset" becomes every STRIDE-th offset (keeps the suite fast). */
const EVERY_OFFSET_MAX_BYTES = 600;

function checkAgainstWant(got: Outcome, want: Want): void {
  const wantReqs = want.requests ?? [];
  assert.equal(got.requests.length, wantReqs.length, `requests: ${JSON.stringify(got.requests.map((r) => `${r.method} ${r.target}`))}, error ${JSON.stringify(got.error)}`);
  wantReqs.forEach((w, i) => {
    const r = got.requests[i];
    assert.equal(r.method, w.method, `request ${i} method`);
    assert.equal(r.target, w.target, `request ${i} target`);
    assert.deepEqual(r.rawHeaders, w.headers, `request ${i} headers`);
    assert.equal(r.body, w.body ?? '', `request ${i} body`);
    assert.deepEqual(r.trailers, w.trailers === undefined ? [] : w.trailers, `request ${i} trailers`);
    for (const k of ['version', 'bodyKind', 'contentLength', 'keepAlive', 'expectContinue', 'host'] as const) {
      if (w[k] !== undefined) assert.equal(r[k], w[k], `request ${i} ${k}`);
    }
  });
  assert.deepEqual(got.error, want.error ? { status: want.error[0], code: want.error[1] } : null, 'error');
  assert.equal(got.pending, want.pending ?? false, 'pending');
}

for (const [group, rows] of tables) {
  describe(`parser: ${group}`, () => {
    for (const row of rows) {
      test(row.name, () => {
        const input = bytes(row.input);
        const ref = parsePieces(whole(input), row.limits);
        checkAgainstWant(ref, row.want);
        const key = outcomeKey(ref);

        assert.equal(outcomeKey(parsePieces(bytewise(input), row.limits)), key, 'byte by byte');
        const stride = input.length > EVERY_OFFSET_MAX_BYTES ? Math.ceil(input.length / EVERY_OFFSET_MAX_BYTES) : 1;
        for (let off = 1; off < input.length; off += stride) {
          assert.equal(outcomeKey(parsePieces(splitAt(input, off), row.limits)), key, `split at ${off}`);
        }

        if (!row.want.pending) {
          // With a following request's first bytes left in the buffer, nothing changes but `pending`.
          const more = Buffer.concat([input, bytes(TRAILING)]);
          const wantMore = outcomeKey({ ...ref, pending: ref.error === null });
          assert.equal(outcomeKey(parsePieces(whole(more), row.limits)), wantMore, 'whole + trailing bytes');
          assert.equal(outcomeKey(parsePieces(bytewise(more), row.limits)), wantMore, 'byte by byte + trailing bytes');
          assert.equal(outcomeKey(parsePieces(splitAt(more, input.length), row.limits)), wantMore, 'split at the boundary + trailing bytes');
        }
      });
    }
  });
}

describe('parser: event protocol', () => {
  test('PAUSED after end until startNextRequest(), even with the next request buffered', () => {
    const p = new RequestParser();
    p.receive(bytes('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n'));
    const first = p.nextEvent();
    assert.ok(first !== NEED_DATA && first !== PAUSED && first.type === 'request' && first.target === '/1');
    const end = p.nextEvent();
    assert.ok(end !== NEED_DATA && end !== PAUSED && end.type === 'end');
    assert.equal(p.nextEvent(), PAUSED);
    assert.equal(p.nextEvent(), PAUSED);
    assert.equal(p.state, 'paused');
    assert.ok(p.bufferedBytes > 0);
    p.startNextRequest();
    const second = p.nextEvent();
    assert.ok(second !== NEED_DATA && second !== PAUSED && second.type === 'request' && second.target === '/2');
  });

  test('a bad request after a good one is not reported before the good one is answered', () => {
    const p = new RequestParser();
    p.receive(bytes('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n'));
    assert.equal((p.nextEvent() as { type: string }).type, 'request');
    assert.equal((p.nextEvent() as { type: string }).type, 'end');
    assert.equal(p.nextEvent(), PAUSED);
    p.startNextRequest();
    assert.throws(() => p.nextEvent(), (e: unknown) => e instanceof ProtocolError && e.status === 400);
  });

  test('startNextRequest() outside PAUSED is a programming error, not a ProtocolError', () => {
    const p = new RequestParser();
    assert.throws(() => p.startNextRequest(), (e: unknown) => e instanceof Error && !(e instanceof ProtocolError));
  });

  test('a dead parser rethrows the same error and ignores input', () => {
    const p = new RequestParser();
    p.receive(bytes('GET / HTTP/2.0\r\nHost: a\r\n\r\n'));
    let first: unknown;
    assert.throws(() => p.nextEvent(), (e: unknown) => ((first = e), e instanceof ProtocolError && e.status === 505));
    p.receive(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    assert.throws(() => p.nextEvent(), (e: unknown) => e === first);
    assert.equal(p.state, 'error');
    assert.throws(() => p.startNextRequest(), (e: unknown) => e === first);
  });

  test('isIdle and bufferedBytes tell idle from mid-request', () => {
    const p = new RequestParser();
    assert.equal(p.isIdle, true);
    p.receive(bytes('GET / HT'));
    assert.equal(p.nextEvent(), NEED_DATA);
    assert.equal(p.isIdle, false);
    assert.equal(p.bufferedBytes, 8);
  });

  test('data events are views that stay valid after more input arrives', () => {
    const p = new RequestParser();
    p.receive(bytes('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello'));
    assert.equal((p.nextEvent() as { type: string }).type, 'request');
    const first = p.nextEvent() as { type: 'data'; data: Buffer };
    assert.equal(first.data.toString(), 'hello');
    p.receive(bytes('world'));
    const second = p.nextEvent() as { type: 'data'; data: Buffer };
    assert.equal(second.data.toString(), 'world');
    assert.equal(first.data.toString(), 'hello');
  });

  test('accepts a plain Uint8Array as input', () => {
    const p = new RequestParser();
    p.receive(new Uint8Array(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n')));
    const ev = p.nextEvent();
    assert.ok(ev !== NEED_DATA && ev !== PAUSED && ev.type === 'request' && ev.host === 'a');
  });

  test('errors carry a public message that never echoes request bytes', () => {
    const p = new RequestParser();
    p.receive(bytes('GET / HTTP/1.1\r\nHost: <script>evil</script>\r\n\r\n'));
    assert.throws(
      () => p.nextEvent(),
      (e: unknown) => e instanceof ProtocolError && e.publicMessage === 'Bad Request' && !e.message.includes('evil'),
    );
  });
});

/**
 * The parser reuses what it learned from the previous request's field section when the next
 * one repeats it (whole, byte for byte) or repeats single lines. These pin the rules that keep
 * that shortcut invisible: every request gets its own rawHeaders array, version-dependent rules
 * are applied again, and a line that differs in any byte is validated in full.
 */
describe('parser: repeated field sections', () => {
  /** Parses every request of `input` on one parser; a ProtocolError becomes [status, code]. */
  function parseAll(input: string): Array<RequestEvent | [number, string]> {
    const p = new RequestParser();
    p.receive(bytes(input));
    const out: Array<RequestEvent | [number, string]> = [];
    for (;;) {
      let ev;
      try {
        ev = p.nextEvent();
      } catch (e) {
        assert.ok(e instanceof ProtocolError);
        out.push([e.status, e.code]);
        return out;
      }
      if (ev === NEED_DATA) return out;
      if (ev === PAUSED) p.startNextRequest();
      else if (ev.type === 'request') out.push(ev);
    }
  }
  const req = (x: RequestEvent | [number, string] | undefined): RequestEvent => {
    assert.ok(x !== undefined && !Array.isArray(x), `expected a request, got ${JSON.stringify(x)}`);
    return x;
  };

  test('a repeated section gives equal fields in a new array each time', () => {
    const head = 'GET /a HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nX-Long: ' + 'v'.repeat(300) + '\r\n\r\n';
    const [a, b, c] = parseAll(head + head + head.replace('/a', '/c')).map(req);
    assert.deepEqual(b.rawHeaders, a.rawHeaders);
    assert.deepEqual(c.rawHeaders, a.rawHeaders);
    assert.notEqual(b.rawHeaders, a.rawHeaders);
    assert.notEqual(c.rawHeaders, b.rawHeaders);
    assert.equal(c.target, '/c');
    assert.equal(b.host, 'example.com:8080');
    // A change to one request's array does not leak into the next one's.
    a.rawHeaders[1] = 'changed';
    const [, d] = parseAll(head + head).map(req);
    assert.equal(d.rawHeaders[1], 'example.com:8080');
  });

  test("a handler changing its request's rawHeaders changes nothing for the next request", () => {
    const p = new RequestParser();
    const head = 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n';
    p.receive(bytes(head + head + head.replace('Host: a', 'Host: bad host')));
    const first = p.nextEvent() as RequestEvent;
    first.rawHeaders.push('X-Internal-Auth', 'admin');
    first.rawHeaders[1] = 'bad host';
    first.rawHeaders[3] = 'ctl\x01';
    assert.equal((p.nextEvent() as { type: string }).type, 'end');
    p.startNextRequest();
    const second = p.nextEvent() as RequestEvent;
    assert.deepEqual(second.rawHeaders, ['Host', 'a', 'X-A', '1']);
    assert.equal(second.host, 'a');
    assert.equal((p.nextEvent() as { type: string }).type, 'end');
    p.startNextRequest();
    assert.throws(() => p.nextEvent(), (e: unknown) => e instanceof ProtocolError && e.code === 'ERR_INVALID_HOST');
  });

  test('limits are fixed when the parser is made: changing the object passed in changes nothing (#14)', () => {
    // A remembered section passed the parser's limits once and is not checked again, which
    // is sound only because those limits cannot change (resolveParserLimits freezes them).
    const head = 'GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n';
    const other = 'GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nD: 4\r\n\r\n';
    // Each field section with its last CRLF is 27 bytes and holds 4 fields.
    for (const change of [{ maxHeaderBytes: 26 }, { maxHeaderCount: 3 }]) {
      const limits = { ...DEFAULT_PARSER_LIMITS };
      const p = new RequestParser(limits);
      p.receive(bytes(head));
      assert.equal((p.nextEvent() as { type: string }).type, 'request');
      assert.equal((p.nextEvent() as { type: string }).type, 'end');
      p.startNextRequest();
      Object.assign(limits, change);
      // The repeated section and a new one are both held to the limits the parser was made with.
      p.receive(bytes(head + other));
      const types: string[] = [];
      for (let ev = p.nextEvent(); ev !== NEED_DATA; ev = p.nextEvent()) {
        if (ev === PAUSED) p.startNextRequest();
        else types.push(ev.type);
      }
      assert.deepEqual(types, ['request', 'end', 'request', 'end'], JSON.stringify(change));
      // The same change made before the parser is made is in force (the section is over it).
      const q = new RequestParser({ ...DEFAULT_PARSER_LIMITS, ...change });
      q.receive(bytes(head));
      assert.throws(() => q.nextEvent(), (e: unknown) => e instanceof ProtocolError && e.status === 431, JSON.stringify(change));
    }
  });

  test('isValidHost checks a Host value as the parser does', () => {
    const good = ['', 'a', 'example.com:8080', '[::1]:80', '127.0.0.1', "a!$&'()*+,;=b", 'a:'];
    const bad = ['a b', 'a:b', 'a,b\x00', '[::1', 'user@host', ':80x', '[]', 'a\tb', 'é:1'];
    for (const v of good) assert.equal(isValidHost(v), true, v);
    for (const v of bad) assert.equal(isValidHost(v), false, v);
    for (const v of [...good, ...bad]) {
      const p = new RequestParser();
      p.receive(bytes(`GET / HTTP/1.1\r\nHost: ${v}\r\n\r\n`));
      let accepted = true;
      try {
        p.nextEvent();
      } catch {
        accepted = false;
      }
      assert.equal(accepted, isValidHost(v), `the parser and isValidHost agree on ${JSON.stringify(v)}`);
    }
    assert.equal(isValidHost('h\u0100st'), false, 'a character above U+00FF is not a byte');
  });

  test('the facts of a repeated section are applied to each request version again', () => {
    const fields = 'Host: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc';
    const [one, ten] = parseAll(`POST / HTTP/1.1\r\n${fields}POST / HTTP/1.0\r\n${fields}`).map(req);
    assert.equal(one.expectContinue, true);
    assert.equal(ten.expectContinue, false); // RFC 9110 §10.1.1: not to an HTTP/1.0 client
    assert.equal(ten.keepAlive, false);

    const chunked = 'Host: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
    const out = parseAll(`POST / HTTP/1.1\r\n${chunked}POST / HTTP/1.0\r\n${chunked}`);
    assert.equal(req(out[0]).bodyKind, 'chunked');
    assert.deepEqual(out[1], [400, 'ERR_INVALID_TRANSFER_ENCODING']);

    const keep = 'Host: a\r\nConnection: keep-alive\r\n\r\n';
    const [k11, k10] = parseAll(`GET / HTTP/1.1\r\n${keep}GET / HTTP/1.0\r\n${keep}`).map(req);
    assert.equal(k11.keepAlive, true);
    assert.equal(k10.keepAlive, true);
  });

  test('one changed byte in a repeated line is validated in full', () => {
    const ok = 'GET / HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\n\r\n';
    // Same length, same name, one byte different: an invalid Host, then an invalid value.
    assert.deepEqual(parseAll(ok + ok.replace('example.com', 'example com'))[1], [400, 'ERR_INVALID_HOST']);
    assert.deepEqual(parseAll(ok + ok.replace('X-A: 1', 'X-A: \x01'))[1], [400, 'ERR_INVALID_HEADER_VALUE']);
    // The name changes case: still the Host field, still checked.
    assert.deepEqual(parseAll(ok + ok.replace('Host: example.com', 'host: exa mple.c'))[1], [400, 'ERR_INVALID_HOST']);
    // A duplicate Host after a request that had one.
    const dup = 'GET / HTTP/1.1\r\nHost: example.com\r\nHost: example.com\r\n\r\n';
    assert.deepEqual(parseAll(ok + dup)[1], [400, 'ERR_DUPLICATE_HOST']);
    // A name that extends the previous one is a different field, not a repeat of it.
    const [, longer] = parseAll(ok + ok.replace('X-A:', 'X-AB:')).map(req);
    assert.deepEqual(longer.rawHeaders, ['Host', 'example.com', 'X-AB', '1']);
  });

  test('a section that starts with the previous one but goes on is parsed in full', () => {
    const a = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    const b = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nxy';
    const c = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nHost: b\r\n\r\n';
    const out = parseAll(a + b + a + c);
    assert.deepEqual(req(out[1]).rawHeaders, ['Host', 'a', 'Content-Length', '2']);
    assert.equal(req(out[1]).contentLength, 2);
    assert.deepEqual(req(out[2]).rawHeaders, ['Host', 'a']);
    assert.deepEqual(out[3], [400, 'ERR_DUPLICATE_HOST']);
  });

  test('a head too long to remember is parsed in full every time, with the same result', () => {
    const head = `POST /big HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(5000)}\r\nContent-Length: 1\r\n\r\nx`;
    const out = parseAll(head + head + head.replace('Host: a', 'Host: a b')).slice(0, 3);
    for (const r of out.slice(0, 2).map(req)) {
      assert.equal(r.rawHeaders[3]!.length, 5000);
      assert.equal(r.contentLength, 1);
      assert.equal(r.host, 'a');
    }
    assert.deepEqual(out[2], [400, 'ERR_INVALID_HOST']);
  });

  test('a section seen after a different one is parsed, not taken for the older one', () => {
    const a = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n';
    const b = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx';
    const out = parseAll(a + b + a + b).map(req);
    assert.deepEqual(out.map((r) => r.contentLength), [0, 1, 0, 1]);
    assert.deepEqual(out.map((r) => r.bodyKind), ['none', 'length', 'none', 'length']);
  });
});

describe('parser: remembering the previous request changes no outcome (property)', () => {
  /** The first request's outcome from a parser that has seen nothing before these bytes (null: incomplete). */
  function fresh(input: Buffer): RequestEvent | [number, string] | null {
    const p = new RequestParser();
    p.receive(input);
    try {
      const ev = p.nextEvent();
      if (ev === NEED_DATA) return null;
      assert.ok(ev !== PAUSED && ev.type === 'request', 'the first event is a request');
      return ev;
    } catch (e) {
      assert.ok(e instanceof ProtocolError, String(e));
      return [e.status, e.code];
    }
  }
  const FIELDS: Array<[string, string]> = [
    ['Host', 'a.example'], ['host', 'a.example:80'], ['Connection', 'close'], ['Connection', 'keep-alive'],
    ['Expect', '100-continue'], ['Content-Length', '0'], ['Transfer-Encoding', 'chunked'], ['X-A', '1'],
    ['Accept', '*/*'], ['User-Agent', 'test/1.0 (x)'],
  ];
  const opArb = fc.oneof(
    fc.constant({ kind: 'same' as const }),
    fc.constant({ kind: 'version' as const }),
    fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('drop' as const), idx: fc.nat() }),
    fc.record({ kind: fc.constant('add' as const), field: fc.constantFrom(...FIELDS) }),
  );

  test('a pipelined sequence of near-copies gives, request by request, what fresh parsers give', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('1.0', '1.1'),
        fc.array(opArb, { minLength: 1, maxLength: 8 }),
        (fields, firstVersion, ops) => {
          let version = firstVersion;
          let section = fields.map(([n, v]) => `${n}: ${v}`).join('\r\n');
          const heads: string[] = [];
          const push = (): void => void heads.push(`GET /${heads.length} HTTP/${version}\r\n${section}\r\n\r\n`);
          push();
          for (const op of ops) {
            if (op.kind === 'version') version = version === '1.0' ? '1.1' : '1.0';
            else if (op.kind === 'flip' && section.length > 0) {
              const at = op.pos % section.length;
              section = section.slice(0, at) + String.fromCharCode(op.byte) + section.slice(at + 1);
            } else if (op.kind === 'drop') {
              const lines = section.split('\r\n');
              if (lines.length > 1) lines.splice(op.idx % lines.length, 1);
              section = lines.join('\r\n');
            } else if (op.kind === 'add') section += `\r\n${op.field[0]}: ${op.field[1]}`;
            push();
          }
          const stream = bytes(heads.join(''));
          const p = new RequestParser();
          p.receive(stream);
          for (;;) {
            // A fresh parser given the same remaining bytes (a changed byte may have made two
            // heads run together or split one: the remaining bytes, not `heads`, are the truth).
            const rest = stream.subarray(stream.length - p.bufferedBytes);
            const want = fresh(rest);
            let got: RequestEvent | [number, string] | null;
            try {
              const ev = p.nextEvent();
              if (ev === NEED_DATA) got = null;
              else {
                assert.ok(ev !== PAUSED && ev.type === 'request');
                got = ev;
              }
            } catch (e) {
              assert.ok(e instanceof ProtocolError, String(e));
              got = [e.status, e.code];
            }
            assert.deepEqual(got, want, JSON.stringify(rest.toString('latin1')));
            // Stop at the end, at an error, or where a body makes the rest framing, not heads.
            if (got === null || Array.isArray(got) || got.bodyKind !== 'none') return;
            const end = p.nextEvent();
            assert.ok(end !== NEED_DATA && end !== PAUSED && end.type === 'end');
            p.startNextRequest();
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('parser: byte classes agree with chars.ts for every byte', () => {
  const accepts = (head: string): boolean => {
    const p = new RequestParser();
    p.receive(bytes(head));
    try {
      const ev = p.nextEvent();
      return ev !== NEED_DATA && ev !== PAUSED && ev.type === 'request';
    } catch (e) {
      assert.ok(e instanceof ProtocolError);
      return false;
    }
  };
  test('a field-value byte is accepted exactly when FIELD_VALUE allows it (RFC 9110 §5.5)', () => {
    for (let b = 0; b < 256; b++) {
      const head = `GET / HTTP/1.1\r\nHost: a\r\nX-A: a${String.fromCharCode(b)}a\r\n\r\n`;
      assert.equal(accepts(head), FIELD_VALUE[b] === 1, `byte 0x${b.toString(16)}`);
    }
  });
  test('a field-name byte is accepted exactly when TOKEN allows it (RFC 9110 §5.1)', () => {
    for (let b = 0; b < 256; b++) {
      const head = `GET / HTTP/1.1\r\nHost: a\r\nX${String.fromCharCode(b)}A: 1\r\n\r\n`;
      // ":" ends the name early ("X" with the value "A: 1"), which is valid too.
      assert.equal(accepts(head), TOKEN[b] === 1 || b === 0x3a, `byte 0x${b.toString(16)}`);
    }
  });
});
