/**
 * Message serializer: status lines, header sections and request heads as bytes.
 *
 * Owns the outgoing syntax of RFC 9112 §4 (status-line) and §5 (field lines).
 * Field names and values are validated where they enter (HeaderMap), so this
 * file only concatenates. The server decides framing (Content-Length or
 * chunked) and passes the resulting fields in; see server/response.ts.
 */
import { isFieldValue, isToken, TARGET } from './chars.js';
import type { HeaderMap } from './header-map.js';
import { reasonPhrase } from './status.js';

/** "HTTP/1.1 200 OK\r\n" (RFC 9112 §4). We always answer as HTTP/1.1 (RFC 9110 §6.2). */
/** Status lines with the registered reason, built once: every response starts with one. */
const STATUS_LINES = new Map<number, string>();

export function statusLine(status: number, reason?: string): string {
  if (reason === undefined) {
    const cached = STATUS_LINES.get(status);
    if (cached !== undefined) return cached;
  }
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid status code ${status}`);
  if (reason === undefined) {
    const line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
    STATUS_LINES.set(status, line);
    return line;
  }
  const phrase = reason ?? reasonPhrase(status);
  if (!isFieldValue(phrase)) throw new TypeError('invalid reason phrase');
  return `HTTP/1.1 ${status} ${phrase}\r\n`;
}

/**
 * The whole response head: status line, the handler's fields, then `extra`
 * (already formatted field lines the server adds: Date, framing, Connection), then CRLF.
 */
export function serializeResponseHead(status: number, headers: HeaderMap, extra = '', reason?: string): string {
  return `${headers.serializeInto(statusLine(status, reason))}${extra}\r\n`;
}

/** A request head from parts; used by tests, the fuzzer and the benchmark. Validates names and values. */
export function serializeRequestHead(
  method: string,
  target: string,
  fields: ReadonlyArray<readonly [string, string]>,
  version = '1.1',
): string {
  if (!isToken(method)) throw new TypeError('invalid method');
  // The target and version are checked too: a CR, LF or SP in either would split the request line.
  if (!isRequestTarget(target)) throw new TypeError('invalid request-target');
  if (!/^[0-9]\.[0-9]$/.test(version)) throw new TypeError('invalid HTTP version'); // RFC 9112 §2.3
  let out = `${method} ${target} HTTP/${version}\r\n`;
  for (const [name, value] of fields) {
    if (!isToken(name)) throw new TypeError(`invalid header name: ${JSON.stringify(name)}`);
    if (!isFieldValue(value)) throw new TypeError(`invalid value for header ${name}`);
    out += `${name}: ${value}\r\n`;
  }
  return `${out}\r\n`;
}

/** A request-target the parser would accept byte-wise (chars.ts TARGET: visible ASCII but "#"). */
function isRequestTarget(target: string): boolean {
  if (target.length === 0) return false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c > 0xff || TARGET[c] === 0) return false;
  }
  return true;
}
