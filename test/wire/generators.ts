/**
 * Seeded generators of valid requests and HTTP-shaped noise, shared by the
 * property tests (through fast-check) and the fuzzer (through a plain PRNG).
 *
 * Owns the model of "a valid request" that round-trip checks compare against:
 * a `RequestModel` is turned into bytes with the wire serializer and must come
 * back out of the parser unchanged. It must not depend on fast-check, so the
 * fuzzer can run without it; fast-check arbitraries wrap these functions.
 */
import { encodeChunked, serializeRequestHead } from '../../src/wire/index.js';
import { FORBIDDEN_TRAILER_NAMES } from './harness.js';

/** A small, fast, seedable PRNG (mulberry32): good enough to drive test generation. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const TARGET_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%[]|{}^`\\\"<>";
/** VCHAR and obs-text (value bytes other than whitespace). */
const VALUE_CHARS = (() => {
  let s = '';
  for (let c = 0x21; c <= 0x7e; c++) s += String.fromCharCode(c);
  for (let c = 0x80; c <= 0xff; c += 7) s += String.fromCharCode(c);
  return s;
})();
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'M-SEARCH', 'purge'];
/** Field names the model must not generate freely: they change framing or are checked specially. */
const SPECIAL_FIELDS = new Set(['host', 'content-length', 'transfer-encoding', 'expect', 'connection']);

/** A valid request: what goes in, and what the parser must give back. */
export interface RequestModel {
  method: string;
  target: string;
  version: '1.0' | '1.1';
  /** Field lines other than the framing ones, which `toBytes` adds. */
  fields: [string, string][];
  host: string | null;
  framing: 'none' | 'length' | 'chunked';
  /** The body split as it is sent: one chunk per piece when chunked. */
  pieces: Buffer[];
  trailers: [string, string][];
  close: boolean;
}

function str(rng: Rng, chars: string, min: number, max: number): string {
  let s = '';
  const n = rng.range(min, max);
  for (let i = 0; i < n; i++) s += chars[rng.int(chars.length)];
  return s;
}

function token(rng: Rng, max = 12): string {
  return str(rng, TCHARS, 1, max);
}

/** A field value without leading or trailing whitespace (the parser trims OWS), possibly with inner SP/HTAB. */
function fieldValue(rng: Rng): string {
  if (rng.chance(0.1)) return '';
  const words: string[] = [];
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) words.push(str(rng, VALUE_CHARS, 1, 10));
  return words.join(rng.pick([' ', '  ', '\t', ' \t ']));
}

function fieldName(rng: Rng): string {
  for (;;) {
    const name = rng.chance(0.5) ? rng.pick(['Accept', 'User-Agent', 'Cookie', 'X-Forwarded-For', 'Content-Type', 'Authorization']) : token(rng, 16);
    if (!SPECIAL_FIELDS.has(name.toLowerCase())) return name;
  }
}

/** A field name a request may send as a trailer (not framing, routing, auth...: RFC 9110 §6.5.1). */
function trailerName(rng: Rng): string {
  for (;;) {
    const name = fieldName(rng);
    if (!FORBIDDEN_TRAILER_NAMES.has(name.toLowerCase())) return name;
  }
}

function target(rng: Rng): string {
  const r = rng.next();
  if (r < 0.1) return 'http://' + str(rng, 'abcdefgh.', 1, 10) + '/' + str(rng, TARGET_CHARS, 0, 20);
  return '/' + str(rng, TARGET_CHARS, 0, 40);
}

/** A random valid request. */
export function randomRequest(rng: Rng): RequestModel {
  const version = rng.chance(0.15) ? '1.0' : '1.1';
  const method = rng.chance(0.7) ? rng.pick(METHODS) : token(rng);
  const fields: [string, string][] = [];
  const nFields = rng.range(0, 6);
  for (let i = 0; i < nFields; i++) fields.push([fieldName(rng), fieldValue(rng)]);
  const host = version === '1.1' || rng.chance(0.5) ? rng.pick(['a', 'example.com', 'localhost:8080', '[::1]:80', '']) : null;
  const framing = version === '1.0' ? rng.pick(['none', 'length'] as const) : rng.pick(['none', 'length', 'chunked'] as const);
  const pieces: Buffer[] = [];
  if (framing !== 'none') {
    const n = rng.range(framing === 'length' ? 1 : 0, 4);
    for (let i = 0; i < n; i++) {
      const b = Buffer.alloc(rng.range(1, 40));
      for (let j = 0; j < b.length; j++) b[j] = rng.chance(0.3) ? rng.pick([0x0d, 0x0a, 0x30, 0x3b]) : rng.int(256);
      pieces.push(b);
    }
  }
  const trailers: [string, string][] = [];
  if (framing === 'chunked' && rng.chance(0.3)) {
    const n = rng.range(1, 3);
    for (let i = 0; i < n; i++) trailers.push([trailerName(rng), fieldValue(rng)]);
  }
  return { method, target: target(rng), version, fields, host, framing, pieces, trailers, close: rng.chance(0.1) };
}

/** The model's bytes: its head (Host first, framing fields last) and its body. */
export function requestBytes(m: RequestModel): Buffer {
  const fields: [string, string][] = [];
  if (m.host !== null) fields.push(['Host', m.host]);
  fields.push(...m.fields);
  if (m.close) fields.push(['Connection', 'close']);
  const body = Buffer.concat(m.pieces);
  if (m.framing === 'length') fields.push(['Content-Length', String(body.length)]);
  if (m.framing === 'chunked') fields.push(['Transfer-Encoding', 'chunked']);
  const head = Buffer.from(serializeRequestHead(m.method, m.target, fields, m.version), 'latin1');
  if (m.framing === 'chunked') return Buffer.concat([head, encodeChunked(m.pieces, m.trailers)]);
  return Buffer.concat([head, body]);
}

/**
 * The rawHeaders the parser must report for a model. With an absolute-form target the Host
 * value is the target's authority (RFC 9112 §3.2.2, issue #12) unless it names it already.
 */
export function expectedRawHeaders(m: RequestModel): string[] {
  const out: string[] = [];
  const authority = /^[a-z]+:\/\/([^/?]*)/i.exec(m.target)?.[1];
  if (m.host !== null) out.push('Host', authority !== undefined && authority.toLowerCase() !== m.host.toLowerCase() ? authority : m.host);
  else if (authority !== undefined) out.push('Host', authority);
  for (const [n, v] of m.fields) out.push(n, v);
  if (m.close) out.push('Connection', 'close');
  if (m.framing === 'length') out.push('Content-Length', String(Buffer.concat(m.pieces).length));
  if (m.framing === 'chunked') out.push('Transfer-Encoding', 'chunked');
  return out;
}

/** The host the parser must report for a model: the Host value of expectedRawHeaders, or ''. */
export function expectedHost(m: RequestModel): string {
  const h = expectedRawHeaders(m);
  return h[0] === 'Host' ? h[1] : '';
}

/** Sorted, distinct cut offsets in (0, length). */
export function randomCuts(rng: Rng, length: number, maxCuts: number): number[] {
  if (length < 2) return [];
  const set = new Set<number>();
  const n = rng.range(0, maxCuts);
  for (let i = 0; i < n; i++) set.add(rng.range(1, length - 1));
  return [...set].sort((a, b) => a - b);
}

/** Fragments HTTP parsers trip on, for building HTTP-shaped noise. */
export const HTTP_FRAGMENTS: readonly string[] = [
  'GET', 'POST', 'CONNECT', 'OPTIONS', ' ', '  ', '\t', '/', '*', 'http://a/', '?', '#', '%', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0',
  'HTTP/1.', '\r\n', '\r\n\r\n', '\r', '\n', '\0', ':', ': ', 'Host', 'Host: a', 'Host: a\r\n', 'Content-Length', 'Content-Length: ',
  'Transfer-Encoding: chunked', 'Transfer-Encoding: ', 'chunked', 'gzip', ',', ';', '=', '"', '\\', 'Expect: 100-continue',
  'Connection: close', '0', '1', '5', 'f', 'ff', 'fffffffffffffffff', '-1', '18446744073709551617', '9007199254740993',
  '0\r\n\r\n', '5\r\nhello\r\n', '\x7f', '\x80', '\xff', 'a', 'x-y', '[::1]', '\x0b', '\x0c',
];

/** A random sequence of HTTP fragments and random bytes. */
export function httpNoise(rng: Rng, maxParts: number): Buffer {
  const parts: Buffer[] = [];
  const n = rng.range(0, maxParts);
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.85)) parts.push(Buffer.from(rng.pick(HTTP_FRAGMENTS), 'latin1'));
    else parts.push(Buffer.from([rng.int(256)]));
  }
  return Buffer.concat(parts);
}

/** One slot of a shaped input: mostly valid choices, sometimes hostile ones. */
export interface Slot {
  readonly good: readonly string[];
  readonly bad: readonly string[];
}

/** Probability that a slot takes a hostile choice. */
export const SHAPE_BAD_PROBABILITY = 0.08;

/**
 * Slots of an HTTP-shaped message. A "shaped" input picks one choice per
 * slot: request line, a few field lines, the blank line, then body
 * fragments. Most choices are valid, so far more inputs reach the framing
 * and body code than uniform noise does; the hostile ones are the shapes of
 * issue #2 (smuggling, bare CR/LF, NUL, obs-fold, overflowing numbers).
 */
export const SHAPE: Readonly<Record<'method' | 'sep' | 'target' | 'version' | 'eol' | 'field' | 'body', Slot>> = {
  method: { good: ['GET', 'POST', 'PUT', 'OPTIONS', 'PATCH', 'X-Y'], bad: ['CONNECT', 'G ET', '', 'GET\0', '\x16\x03', 'G(T'] },
  sep: { good: [' '], bad: ['  ', '\t', '', '\x0b'] },
  target: { good: ['/', '/a?b=c', 'http://a/x', '/%41'], bad: ['*', 'a:443', '/%00', '/#f', '/\x7f', 'http:/x', '/a b', '/\xe9'] },
  version: { good: ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'], bad: ['HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.10', 'HTTP/1.', ''] },
  eol: { good: ['\r\n'], bad: ['\n', '\r', '\r\r\n', '', '\r\n '] },
  field: {
    good: [
      'Host: a', 'Host: a', 'Host: a', 'Host: example.com:80', 'Content-Length: 5', 'Content-Length: 0', 'Content-Length: 3',
      'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked', 'transfer-encoding: CHUNKED', 'Expect: 100-continue',
      'Connection: close', 'Connection: keep-alive', 'X-A: b', 'X-Empty:', 'Accept:  text/html \t', 'Trailer: T',
    ],
    bad: [
      'Content-Length: +5', 'Content-Length: -1', 'Content-Length: 5, 5', 'Content-Length: 1e1', 'Content-Length: 18446744073709551617',
      'Content-Length: 9007199254740993', 'Content-Length: 0000000000000005', 'Content-Length:', 'Transfer-Encoding: gzip, chunked',
      'Transfer-Encoding: chunked, gzip', 'Transfer-Encoding: identity', 'Transfer-Encoding: "chunked"', 'Transfer-Encoding: chunked;',
      'Transfer-Encoding: \xa0chunked', 'Transfer-Encoding : chunked', 'Host: a, b', 'Host: [::1', 'Host: a b', 'Expect: x-unknown',
      ' folded', '\tfolded', 'X: a\rb', 'X: a\0b', 'X Y: z', ': v', 'X\0: v', 'NoColon', 'X: \x7f',
    ],
  },
  body: {
    good: [
      'hello', 'abc', '0\r\n\r\n', '5\r\nhello\r\n', '5;a=b\r\nhello\r\n', '5;a="q\\"x"\r\nhello\r\n', '1\r\nx\r\n',
      '0\r\nT: v\r\n\r\n', '000\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', '\r\n',
    ],
    bad: [
      'f\r\n', 'ff\r\n', '10000000000000\r\n', '0000000000000000001\r\nx\r\n', '\n', '5\nhello\n', '0;' + 'e'.repeat(40) + '\r\n\r\n',
      '-5\r\n', 'x\r\n', '5 \r\nhello\r\n', '5;a="x\r\n', '0\r\nX: a\rb\r\n\r\n', '0\r\n x\r\n\r\n', '\0',
    ],
  },
};

function pickSlot(rng: Rng, slot: Slot): string {
  return rng.chance(SHAPE_BAD_PROBABILITY) ? rng.pick(slot.bad) : rng.pick(slot.good);
}

/** A shaped input built from a PRNG (the fuzzer's version of the fast-check arbitrary in properties.test.ts). */
export function shapedInput(rng: Rng): Buffer {
  let s = pickSlot(rng, SHAPE.method) + pickSlot(rng, SHAPE.sep) + pickSlot(rng, SHAPE.target) + pickSlot(rng, SHAPE.sep);
  s += pickSlot(rng, SHAPE.version) + pickSlot(rng, SHAPE.eol);
  const n = rng.range(0, 5);
  for (let i = 0; i < n; i++) s += pickSlot(rng, SHAPE.field) + pickSlot(rng, SHAPE.eol);
  s += pickSlot(rng, SHAPE.eol);
  const b = rng.range(0, 4);
  for (let i = 0; i < b; i++) s += pickSlot(rng, SHAPE.body);
  return Buffer.from(s, 'latin1');
}

/** The protocol-blind byte mutations both HTTP fuzzers apply (scripts/fuzz.ts, test/client/response-fuzz-cases.ts). */
export type ByteMutation = 'flip-bit' | 'insert-byte' | 'insert-special' | 'delete-range' | 'repeat-range' | 'splice-corpus' | 'insert-fragment' | 'duplicate-line';

/**
 * Applies one byte mutation at offset `at` (0..b.length, drawn by the caller before it picks `kind`,
 * so each fuzzer keeps its seed's sequence); `specials` are the bytes its parser treats specially
 * (CR, LF, NUL, separators).
 */
export function mutateBytes(kind: ByteMutation, rng: Rng, b: Buffer, at: number, corpus: readonly Buffer[], specials: readonly number[]): Buffer {
  switch (kind) {
    case 'flip-bit': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[rng.int(c.length)] ^= 1 << rng.int(8);
      return c;
    }
    case 'insert-byte':
      return Buffer.concat([b.subarray(0, at), Buffer.from([rng.int(256)]), b.subarray(at)]);
    case 'insert-special':
      return Buffer.concat([b.subarray(0, at), Buffer.from([rng.pick(specials)]), b.subarray(at)]);
    case 'delete-range':
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.range(1, 8)))]);
    case 'repeat-range': {
      const len = rng.range(1, 32);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.max(0, at - len), at), b.subarray(at)]);
    }
    case 'splice-corpus': {
      const other = rng.pick(corpus);
      return Buffer.concat([b.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
    }
    case 'insert-fragment':
      return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(HTTP_FRAGMENTS), 'latin1'), b.subarray(at)]);
    case 'duplicate-line': {
      // One whole line twice (a second Host, Content-Length, status line, chunk...).
      const lines = b.toString('latin1').split('\r\n');
      if (lines.length < 2) return b;
      const k = rng.int(lines.length - 1);
      lines.splice(k, 0, lines[k]);
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
  }
}
