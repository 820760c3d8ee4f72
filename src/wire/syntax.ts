/**
 * HTTP/1.1 message syntax on bytes: the pure checks both parsers share.
 *
 * Owns the grammar that the request parser (parser.ts) and the response parser
 * (response-parser.ts) read alike: a field line's name and value (RFC 9112 §5,
 * RFC 9110 §5.5), #list values (RFC 9110 §5.6.1), Content-Length (RFC 9110
 * §8.6), Host (RFC 9110 §7.2), HTTP-version (RFC 9112 §2.3), the chunk-size
 * line with its extensions (RFC 9112 §7.1, §7.1.1) and bare CRs (RFC 9112
 * §2.2). One implementation of each, so the two sides cannot drift apart.
 *
 * Every function is pure: bytes (or a string) in, a value out, or a thrown
 * error. The error comes from the `fail` factory the caller passes
 * (errors.ts: `requestSyntaxError` answers 400s, `responseSyntaxError` 502s),
 * so a rule is written once and each side keeps its own codes. This module
 * keeps no state, decides nothing about framing (which fields frame a message
 * and how is each parser's job) and never sees a limit other than the one a
 * caller passes in.
 */
import { FIELD_VALUE, HEX, HOST_IP_LITERAL, HOST_NAME, TOKEN, isToken, trimOws } from './chars.js';
import type { SyntaxErrorFactory } from './errors.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

/** Hex digits of a chunk size beyond which it cannot fit in 2^53 (RFC 9112 §7.1: guard against overflow). */
export const MAX_CHUNK_SIZE_DIGITS = 13;
/** Decimal digits of a Content-Length beyond which it cannot fit in 2^53. */
const MAX_CONTENT_LENGTH_DIGITS = 15;

/** Where scanFieldLine found a field line's parts (indices into the buffer). */
export interface FieldLine {
  /** Index of the ":" that ends the name (the name is [line start, colon)). */
  colon: number;
  /** The value, OWS excluded: [valueStart, valueEnd). */
  valueStart: number;
  valueEnd: number;
}

/**
 * Validates the field line buf[s, e) (CRLF excluded) and leaves where its parts are in `line`:
 *   field-line = field-name ":" OWS field-value OWS          (RFC 9112 §5)
 * The name is a token with no whitespace before the colon (RFC 9112 §5.1); a line that starts
 * with SP or HTAB is obs-fold, refused rather than unfolded (RFC 9112 §5.2); the value holds
 * field-value bytes only: no CR, LF, NUL or other control but HTAB (RFC 9110 §5.5). The one
 * path for header and trailer fields (RFC 9112 §7.1.2: trailers have the same syntax).
 */
export function scanFieldLine(buf: Buffer, s: number, e: number, line: FieldLine, fail: SyntaxErrorFactory): void {
  const c0 = buf[s];
  if (c0 === SP || c0 === HTAB) throw fail('obs-fold', 'obsolete line folding');
  let i = s;
  for (; i < e; i++) {
    // Letters and "-" make up nearly every name: two compares (| 0x20 folds case) before the table.
    const c = buf[i];
    if (((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d) continue;
    if (TOKEN[c] === 0) break;
  }
  if (i === s || i === e || buf[i] !== 0x3a) throw fail('field-name', 'invalid header field name');
  line.colon = i;
  let vs = i + 1;
  let ve = e;
  while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
  while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
  for (let k = vs; k < ve; k++) {
    // FIELD_VALUE of chars.ts as two compares (HTAB, or 0x20 and above but DEL): no table load.
    const c = buf[k];
    if (c < 0x20 ? c !== HTAB : c === 0x7f) throw fail('field-value', 'invalid header field value');
  }
  line.valueStart = vs;
  line.valueEnd = ve;
}

/**
 * ASCII case-insensitive match of the field name at buf[s] against `lower`, whose length
 * the caller checked. Names are tokens, so `| 0x20` only folds letters ("-" is 0x2d already).
 */
export function equalsLower(buf: Buffer, s: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((buf[s + i] | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The elements of a #list value (RFC 9110 §5.6.1), appended to `out` (returned): split on
 * commas, OWS trimmed, empty elements dropped, case kept (a caller comparing tokens that are
 * case-insensitive lower-cases them; a subprotocol name is case-sensitive). Commas inside a
 * quoted-string are not special-cased: no list this is used on allows one.
 */
export function splitList(value: string, out: string[] = []): string[] {
  let start = 0;
  for (;;) {
    const comma = value.indexOf(',', start);
    const item = trimOws(comma === -1 ? value.slice(start) : value.slice(start, comma));
    if (item.length > 0) out.push(item);
    if (comma === -1) return out;
    start = comma + 1;
  }
}

/** Bits of connectionOptions(): the Connection options a parser acts on (RFC 9112 §9.3, §9.6). */
export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;

/** The CONNECTION_* options a Connection value lists (RFC 9110 §7.6.1: case-insensitive tokens). */
export function connectionOptions(value: string): number {
  // The usual one-option values skip the list split (and its allocations).
  if (value === 'keep-alive') return CONNECTION_KEEP_ALIVE;
  if (value === 'close') return CONNECTION_CLOSE;
  let options = 0;
  for (const item of splitList(value)) {
    const option = item.toLowerCase();
    if (option === 'close') options |= CONNECTION_CLOSE;
    else if (option === 'keep-alive') options |= CONNECTION_KEEP_ALIVE;
  }
  return options;
}

/**
 * Whether the connection persists after this message (RFC 9112 §9.3): on HTTP/1.1 unless it
 * says close; on HTTP/1.0 only when it says keep-alive and not close.
 */
export function isPersistent(version: '1.0' | '1.1', connection: number): boolean {
  if ((connection & CONNECTION_CLOSE) !== 0) return false;
  return version === '1.1' || (connection & CONNECTION_KEEP_ALIVE) !== 0;
}

/**
 * Appends the codings of one Transfer-Encoding value to `codings`, lower-cased (coding names
 * are case-insensitive, RFC 9110 §10.1.4). transfer-coding = token *( OWS ";" OWS
 * transfer-parameter ), and "chunked" takes no parameters: a quoted or parameterised coding,
 * or a value listing none, is 'transfer-coding'.
 */
export function appendTransferCodings(value: string, codings: string[], fail: SyntaxErrorFactory): void {
  const before = codings.length;
  for (const coding of splitList(value)) {
    if (!isToken(coding)) throw fail('transfer-coding', 'invalid transfer coding');
    codings.push(coding.toLowerCase());
  }
  if (codings.length === before) throw fail('transfer-coding', 'empty Transfer-Encoding');
}

/**
 * Checks the transfer codings of a message framed by them: "chunked" last (RFC 9112 §6.3 ¶4)
 * and once (§6.1) is 'transfer-coding' otherwise; any other coding is
 * 'transfer-coding-unsupported', since keel implements none (§6.1).
 */
export function checkChunkedCodings(codings: readonly string[], fail: SyntaxErrorFactory): void {
  const last = codings.length - 1;
  if (codings[last] !== 'chunked') throw fail('transfer-coding', 'chunked is not the final transfer coding');
  if (codings.indexOf('chunked') !== last) throw fail('transfer-coding', 'chunked applied twice');
  if (last > 0) throw fail('transfer-coding-unsupported', 'unsupported transfer coding');
}

/** Content-Length = 1*DIGIT (RFC 9110 §8.6), at most 15 digits; anything else (sign, space, list) fails. */
export function parseContentLength(value: string, fail: SyntaxErrorFactory): number {
  const n = value.length;
  if (n === 0 || n > MAX_CONTENT_LENGTH_DIGITS) throw fail('content-length', 'invalid Content-Length');
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw fail('content-length', 'invalid Content-Length');
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/**
 * Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2). Empty is allowed
 * (RFC 9112 §3.2: authority without host). A list, spaces or NUL are refused.
 */
export function isValidHost(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false;
  const b = Buffer.from(value, 'latin1');
  return isValidHostBytes(b, 0, b.length);
}

/** isValidHost on the bytes buf[s, e), as the parser checks a received Host. */
export function isValidHostBytes(buf: Buffer, s: number, e: number): boolean {
  let i = s;
  if (i < e && buf[i] === 0x5b) {
    const close = buf.indexOf(0x5d, i);
    if (close === -1 || close >= e || close < s + 2) return false;
    for (i++; i < close; i++) if (HOST_IP_LITERAL[buf[i]] === 0) return false;
    i = close + 1;
  } else {
    while (i < e && buf[i] !== 0x3a) {
      if (HOST_NAME[buf[i]] === 0) return false;
      i++;
    }
  }
  if (i === e) return true;
  if (buf[i] !== 0x3a) return false;
  for (i++; i < e; i++) if (!isDigit(buf[i])) return false;
  return true;
}

/**
 * HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3), exactly the bytes buf[s, e).
 * Only major version 1 is spoken (RFC 9110 §6.2: 'version-unsupported' otherwise); a higher
 * 1.x minor is handled as 1.1.
 */
export function parseVersion(buf: Buffer, s: number, e: number, fail: SyntaxErrorFactory): '1.0' | '1.1' {
  if (
    e - s !== 8 || buf[s] !== 0x48 || buf[s + 1] !== 0x54 || buf[s + 2] !== 0x54 || buf[s + 3] !== 0x50 ||
    buf[s + 4] !== 0x2f || buf[s + 6] !== 0x2e || !isDigit(buf[s + 5]) || !isDigit(buf[s + 7])
  ) {
    throw fail('version', 'invalid HTTP version');
  }
  if (buf[s + 5] !== 0x31) throw fail('version-unsupported', 'HTTP major version is not 1');
  return buf[s + 7] === 0x30 ? '1.0' : '1.1';
}

/**
 * The most bytes a chunk-size line may have before its LF: 13 significant hex digits, the
 * extensions' bound, the CR and two spare bytes. Leading zeros count, so a parser bounds the
 * line with this number whether or not its LF has arrived (same outcome for any split).
 */
export function maxChunkSizeLineBytes(maxChunkExtensionBytes: number): number {
  return MAX_CHUNK_SIZE_DIGITS + 3 + maxChunkExtensionBytes;
}

/**
 * The chunk size of the line buf[s, e) (CRLF excluded):
 *   chunk-size [ chunk-ext ]                                           (RFC 9112 §7.1)
 *   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )   (§7.1.1)
 * so whitespace may stand before ";", after it and around "=", never at the end of the line
 * nor before or inside the size (issue #12). Extensions are validated, then ignored; their
 * bytes are bounded by `maxExtensionBytes`.
 */
export function parseChunkSizeLine(buf: Buffer, s: number, e: number, maxExtensionBytes: number, fail: SyntaxErrorFactory): number {
  let i = s;
  let size = 0;
  while (i < e && buf[i] === 0x30) i++; // leading zeros carry no value
  const digitsStart = i;
  while (i < e && HEX[buf[i]] !== 255) {
    size = size * 16 + HEX[buf[i]];
    i++;
  }
  if (i === s) throw fail('chunk', 'invalid chunk size');
  if (i - digitsStart > MAX_CHUNK_SIZE_DIGITS) throw fail('chunk', 'chunk size overflow');
  if (e - i > maxExtensionBytes) throw fail('chunk-extension-too-long', 'chunk extension too long');
  while (i < e) {
    // BWS before ";" only: whitespace that ends the line ("3 ", "3;a=b\t") or precedes
    // anything else is refused, as the grammar above says.
    i = skipWs(buf, i, e);
    if (i === e || buf[i] !== 0x3b) throw fail('chunk', 'invalid chunk extension');
    i = skipWs(buf, i + 1, e);
    const ns = i;
    while (i < e && TOKEN[buf[i]] === 1) i++;
    if (i === ns) throw fail('chunk', 'invalid chunk extension name');
    const afterName = skipWs(buf, i, e);
    if (afterName < e && buf[afterName] === 0x3d) {
      i = skipWs(buf, afterName + 1, e);
      if (i < e && buf[i] === 0x22) i = skipQuotedString(buf, i, e, fail);
      else {
        const vs = i;
        while (i < e && TOKEN[buf[i]] === 1) i++;
        if (i === vs) throw fail('chunk', 'invalid chunk extension value');
      }
    }
  }
  return size;
}

/**
 * Index of the first bare CR in buf[s, t): a CR whose next byte is before t and is not LF
 * (RFC 9112 §2.2). A CR at t - 1 is not judged (its LF may still come). -1 when there is none.
 */
export function bareCrIndex(buf: Buffer, s: number, t: number): number {
  for (let p = buf.indexOf(CR, s); p !== -1 && p + 1 < t; p = buf.indexOf(CR, p + 1)) {
    if (buf[p + 1] !== LF) return p;
  }
  return -1;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function skipWs(buf: Buffer, i: number, e: number): number {
  while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
  return i;
}

/** quoted-string (RFC 9110 §5.6.4) starting at the quote buf[i]; returns the index after the closing quote. */
function skipQuotedString(buf: Buffer, i: number, e: number, fail: SyntaxErrorFactory): number {
  for (i++; i < e; i++) {
    const c = buf[i];
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      i++;
      if (i >= e || FIELD_VALUE[buf[i]] === 0) break;
    } else if (FIELD_VALUE[c] === 0) break;
  }
  throw fail('chunk', 'invalid quoted-string in chunk extension');
}
