/**
 * The access log's one implementation (issue #14 item 6, issue #16 item 5): how a finished
 * response becomes a log line, in Common, Combined or JSON format, and how a response is
 * observed to count its body bytes and learn its final status.
 *
 * Owns the CLF line (`host ident authuser [date] "request-line" status bytes`) and its
 * Combined extension (`"referer" "user-agent"`), the JSON record (field names as Caddy's
 * `http.log.access` logger, with Cookie, Set-Cookie, Authorization and Proxy-Authorization
 * redacted as Caddy does), the escaping that keeps a crafted request from forging log
 * lines, the batched line writer, and `observeResponse()`. It lives in src/semantics/
 * because the Handler wrapper (src/handlers/access-log.ts, used by `keel serve`) and the
 * App's `accessLog()` middleware (src/app/access-log.ts) both build on it and may not
 * import each other. Must not: change a response (it only observes write/end/onClose),
 * decide who the client is (callers pass the address: the socket peer, or what a trusted
 * proxy reported), or write anywhere but the function it is given.
 */
import type { HeaderMapLike, Request, ResponseWriter } from '../server/handler.js';

/** The formats `accessLog()` writes: Apache's Common and Combined, or one JSON object per line. */
export type AccessLogFormat = 'common' | 'combined' | 'json';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

const MS_PER_SECOND = 1000;
let lastClfSecond = NaN;
let lastClfDate = '';

/** The CLF timestamp `[10/Oct/2000:13:55:36 +0000]`, in UTC (formatted once per second). */
export function clfDate(ms: number): string {
  const second = Math.floor(ms / MS_PER_SECOND);
  if (second === lastClfSecond) return lastClfDate;
  const d = new Date(second * MS_PER_SECOND);
  lastClfSecond = second;
  lastClfDate =
    `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000]`;
  return lastClfDate;
}

/**
 * A line writer that batches: lines logged in one turn of the event loop leave in one
 * write() (one system call instead of one per request under load), flushed on the
 * next turn and at exit, so a line is never held back longer than that.
 */
export function batchedLineWriter(stream: NodeJS.WritableStream): (line: string) => void {
  let pending: string[] = [];
  let isScheduled = false;
  const flush = (): void => {
    isScheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    stream.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    pending.push(line);
    if (!isScheduled) {
      isScheduled = true;
      setImmediate(flush);
    }
  };
}

/**
 * Escapes a field for a CLF line: `"`, `\` and bytes outside printable ASCII become
 * `\xHH` (as nginx does), so a crafted target or User-Agent cannot forge log lines or fields.
 */
export function escapeLogField(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/**
 * One Common Log Format line: `host ident authuser [date] "request-line" status bytes`.
 * `bytes` is the body size sent; 0 is written as "-", as CLF wants. `host` is the client
 * address (default the TCP peer, recorded at accept time).
 */
export function clfLine(req: Request, status: number, bytes: number, nowMs: number, host: string = req.remoteAddress): string {
  const requestLine = escapeLogField(`${req.method} ${req.target} HTTP/${req.version}`);
  return `${host} - - ${clfDate(nowMs)} "${requestLine}" ${status} ${bytes > 0 ? bytes : '-'}`;
}

/** A request field for the Combined format: escaped and quoted, `"-"` when absent. */
function quotedField(value: string | undefined): string {
  return value === undefined ? '"-"' : `"${escapeLogField(value)}"`;
}

/** One Combined Log Format line: the CLF line, then `"referer" "user-agent"` (Apache's `combined`). */
export function combinedLine(req: Request, status: number, bytes: number, nowMs: number, host: string = req.remoteAddress): string {
  return `${clfLine(req, status, bytes, nowMs, host)} ${quotedField(req.header('referer'))} ${quotedField(req.header('user-agent'))}`;
}

/**
 * Fields whose values never reach a JSON log: credentials a log reader must not see
 * (Caddy redacts the same four by default: Cookie, Set-Cookie, Authorization,
 * Proxy-Authorization). The field stays, with the value "REDACTED", so a reader can still
 * tell a request carried one.
 */
export const REDACTED_LOG_FIELDS: ReadonlySet<string> = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization']);

const REDACTED = ['REDACTED'];

/** Field lines grouped by lower-case name, values in order, credentials redacted. */
function fieldsForLog(pairs: Iterable<readonly [string, string]>): Record<string, string[]> {
  const out = Object.create(null) as Record<string, string[]>;
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    if (REDACTED_LOG_FIELDS.has(name)) out[name] = REDACTED;
    else (out[name] ??= []).push(value);
  }
  return out;
}

function* rawPairs(raw: readonly string[]): Generator<readonly [string, string]> {
  for (let i = 0; i + 1 < raw.length; i += 2) yield [raw[i]!, raw[i + 1]!];
}

/** What a JSON access-log line records about one exchange. */
export interface AccessLogRecord {
  /** The client address to log (the TCP peer, or what a trusted proxy reported). */
  clientAddress: string;
  /** The final status (the one the client got, error responses included). */
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** When the request reached the log middleware, and when the response completed (ms since the epoch). */
  startMs: number;
  endMs: number;
  /** False when the connection closed before the response was complete. */
  isComplete: boolean;
  /** The response header fields, when known. */
  responseHeaders?: HeaderMapLike;
  /** The request id (`requestId()` middleware), when there is one. */
  requestId?: string;
}

/**
 * One JSON log line, with Caddy's field names (`request.remote_ip`, `client_ip`, `uri`,
 * `headers`; `duration` in seconds, `size`, `status`, `resp_headers`) so tools that read
 * Caddy's access log read keel's. JSON.stringify escapes control characters, so a crafted
 * field cannot forge a line.
 */
export function jsonLine(req: Request, record: AccessLogRecord): string {
  const entry: Record<string, unknown> = {
    ts: record.endMs / MS_PER_SECOND,
    msg: record.isComplete ? 'handled request' : 'client closed the connection',
    request: {
      remote_ip: req.remoteAddress,
      remote_port: String(req.remotePort),
      client_ip: record.clientAddress,
      proto: `HTTP/${req.version}`,
      method: req.method,
      host: req.header('host') ?? '',
      uri: req.target,
      headers: fieldsForLog(rawPairs(req.rawHeaders)),
      ...(req.isSecure ? { tls: true } : {}),
    },
    ...(record.requestId !== undefined ? { request_id: record.requestId } : {}),
    duration: (record.endMs - record.startMs) / MS_PER_SECOND,
    size: record.bytes,
    status: record.status,
    resp_headers: record.responseHeaders === undefined ? {} : fieldsForLog(record.responseHeaders.entries()),
  };
  return JSON.stringify(entry);
}

function byteLength(chunk: string | Uint8Array | undefined): number {
  if (chunk === undefined) return 0;
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
}

/**
 * Watches a response until it completes or its connection closes, then calls `done` once
 * with the body bytes sent (0 for HEAD and 304, which carry no body whatever the handler
 * passed: RFC 9110 §9.3.2, §15.4.5). Counts by wrapping `write()`/`end()` and reports from
 * `onClose`, so the status it sees is the final one, an error response written after a
 * handler threw included. Call it before the handler runs.
 */
export function observeResponse(req: Request, res: ResponseWriter, done: (bytes: number) => void): void {
  let bytes = 0;
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = (chunk) => {
    bytes += byteLength(chunk);
    return write(chunk);
  };
  res.end = (chunk) => {
    bytes += byteLength(chunk);
    end(chunk);
  };
  res.onClose(() => done(req.method === 'HEAD' || res.status === 304 ? 0 : bytes));
}
