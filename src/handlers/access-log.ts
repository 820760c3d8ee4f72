/**
 * The access log (issue #14 item 6, moved out of cli/serve.ts so apps can use it):
 * a Handler wrapper that writes one Common Log Format line per response, and a line
 * writer that batches lines per event-loop turn.
 *
 * Owns the CLF line (`host ident authuser [date] "request-line" status bytes`), its
 * timestamp, the escaping that keeps a crafted request line from forging log lines, and
 * the byte count of a response body. Lives in handlers/ because it is a plain Handler
 * wrapper over the Handler contract (types from server/handler.ts only): usable with or
 * without the App, and the App's log middleware can build on it.
 * Must not: change a response (it only observes write/end/onClose), or write to a stream
 * it was not given (the CLI passes stderr).
 */
import type { Handler, Request, ResponseWriter } from '../server/handler.js';

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
 * Escapes a request line for a log: `"`, `\` and bytes outside printable ASCII become
 * `\xHH` (as nginx does), so a crafted target cannot forge log lines or fields.
 */
export function escapeLogField(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/**
 * One Common Log Format line: `host ident authuser [date] "request-line" status bytes`.
 * `bytes` is the body size sent; 0 is written as "-", as CLF wants.
 */
export function clfLine(req: Request, status: number, bytes: number, nowMs: number): string {
  const requestLine = escapeLogField(`${req.method} ${req.target} HTTP/${req.version}`);
  return `${req.remoteAddress} - - ${clfDate(nowMs)} "${requestLine}" ${status} ${bytes > 0 ? bytes : '-'}`;
}

function byteLength(chunk: string | Uint8Array | undefined): number {
  if (chunk === undefined) return 0;
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
}

/**
 * Wraps a handler so each response is logged as one CLF line when it completes (or the
 * connection drops): body bytes are counted by wrapping `write()`/`end()`.
 */
export function withAccessLog(handler: Handler, log: (line: string) => void, clock: () => number = Date.now): Handler {
  return (req: Request, res: ResponseWriter) => {
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
    // HEAD and 304 carry no body whatever the handler passed (RFC 9110 §9.3.2, §15.4.5).
    res.onClose(() => log(clfLine(req, res.status, req.method === 'HEAD' || res.status === 304 ? 0 : bytes, clock())));
    return handler(req, res);
  };
}
