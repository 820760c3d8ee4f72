/**
 * OutgoingResponse: the `ResponseWriter` of the Handler contract.
 *
 * Owns response framing (RFC 9112 §6): Content-Length when the whole body is
 * known at the first write, chunked on HTTP/1.1 otherwise, close-delimited on
 * HTTP/1.0; no body for HEAD, 1xx, 204 and 304 (RFC 9110 §6.4.1, §9.3.2); the
 * Date header; trailers. It writes through a `ResponseSink` (the Connection),
 * which decides persistence and owns the socket.
 *
 * Life of a write: the first write()/end() builds the head. end(body) with no
 * earlier write sends head and body in one buffer (one syscall); write() sends
 * the head, then each chunk as-is, chunk-framed or counted against the declared
 * Content-Length. A body longer than its Content-Length throws; a shorter one
 * closes the connection, since the framing can no longer be trusted.
 */
import { Buffer } from 'node:buffer';
import { CHUNK_END, chunkHeader, lastChunk } from '../wire/chunked.js';
import {
  HeaderMap,
  SPECIAL_CONNECTION,
  SPECIAL_CONTENT_LENGTH,
  SPECIAL_DATE,
  SPECIAL_TRANSFER_ENCODING,
} from '../wire/header-map.js';
import { isBodylessStatus } from '../wire/status.js';
import { statusLine } from '../wire/serializer.js';
import { publishResponseHeaders, responseHeadersChannel } from './diagnostics.js';
import type { DetachedSocket, UpgradedProtocol } from './connection.js';
import { dateLine } from './date.js';
import type { Request, ResponseWriter } from './handler.js';
import type { WebSocket, WebSocketHandlers } from './websocket.js';
import { upgradeWebSocket, type UpgradeOptions } from './websocket-upgrade.js';
import { ResponseHeadCache } from './head-cache.js';
import { RESPONSE, type ResponsePhase } from './state.js';

/** What a response writes through (the Connection). */
export interface ResponseSink {
  /** Writes bytes to the socket; false when its buffer is full. */
  write(data: string | Uint8Array, encoding?: BufferEncoding): boolean;
  /** Writes a string whose characters are all below U+0100, one byte each (heads, ASCII bodies). */
  writeLatin1(data: string): boolean;
  /** Resolves when the socket drains or closes. */
  drain(): Promise<void>;
  /** True once the socket is gone. */
  readonly isClosed: boolean;
  /** Ends the connection for a response cut short, after the complete responses already collected. */
  abort(): void;
  /** Whether the connection may persist after this response (asked once, when the head is built). */
  canKeepAlive(): boolean;
  /** The response is complete; `keepAlive` says whether its head promised persistence. */
  responseDone(keepAlive: boolean): void;
  /** The current time in ms (the server's clock). */
  now(): number;
  /** Reports an error no handler can catch (a throwing onClose callback) to the server's `onError`. */
  reportError(err: unknown, context: string): void;
  /** Hands the socket to another protocol (Connection.detach(), issue #15); absent in sinks that cannot. */
  detach?(owner: UpgradedProtocol): DetachedSocket;
}

type Framing = 'none' | 'length' | 'chunked' | 'close';

// The moves of the response machine (state.ts), made once.
const toHeadSent = RESPONSE.to('head-sent');
const toFinished = RESPONSE.to('finished');
const toAbandoned = RESPONSE.to('abandoned');
const toCutShort = RESPONSE.to('cut-short');

/** Bodies up to this size are copied next to the head to leave in one write; larger ones go as a second buffer. */
const COALESCE_MAX_BYTES = 16 * 1024;

/**
 * "Content-Length: N\r\n" lines of small bodies, made once: most responses are small. Shared by
 * every server of the process, on purpose (issue #14 item 3): a line is a pure function of N,
 * a body length, never of request bytes, and the table is bounded (CACHED_LENGTHS lines of
 * about 40 bytes: 160 KiB if every length below it is ever sent). Measured on the machine of
 * DESIGN.md: 3.1 ns for a cached line against 4.7 ns for the same length formatted again, and
 * 4.7 against 11.4 ns when lengths vary; a cached line is also the same string object as last
 * time, so the head cache compares it by pointer.
 */
const CONTENT_LENGTH_LINES: string[] = [];
const CACHED_LENGTHS = 4096;

function contentLengthLine(n: number): string {
  if (n >= CACHED_LENGTHS) return `Content-Length: ${n}\r\n`;
  return (CONTENT_LENGTH_LINES[n] ??= `Content-Length: ${n}\r\n`);
}

/** The server's implementation of `ResponseWriter`. */
export class OutgoingResponse implements ResponseWriter {
  status = 200;
  #headers: HeaderMap | undefined;
  /**
   * How far the response got (state.ts): unsent, head-sent, finished; or destroyed before
   * its head (abandoned) or after it (cut-short), when writes and end() are dropped and the
   * response never finishes.
   */
  #phase: ResponsePhase = 'unsent';
  #framing: Framing = 'none';
  #keepAlive = true;
  /** Declared Content-Length left to write, when framing is 'length'. */
  #left = 0;
  #trailers: Array<[string, string]> | undefined;
  /**
   * The onClose callbacks, then 'fired' once they ran (response complete or connection gone,
   * whichever comes first): a one-way latch, so a callback added later runs on its own.
   */
  #onClose: Array<() => void> | 'fired' | undefined;
  readonly #sink: ResponseSink;
  readonly #isHead: boolean;
  readonly #version: '1.0' | '1.1';
  /** The server's last head, reused when this one is equal (head-cache.ts); a response made alone gets its own. */
  readonly #heads: ResponseHeadCache;

  constructor(sink: ResponseSink, method: string, version: '1.0' | '1.1', heads: ResponseHeadCache = new ResponseHeadCache()) {
    this.#sink = sink;
    this.#heads = heads;
    this.#isHead = method === 'HEAD';
    this.#version = version;
  }

  get headers(): HeaderMap {
    return (this.#headers ??= new HeaderMap());
  }
  get headersSent(): boolean {
    const phase = this.#phase;
    return phase === 'head-sent' || phase === 'finished' || phase === 'cut-short';
  }
  get finished(): boolean {
    return this.#phase === 'finished';
  }
  get closed(): boolean {
    return this.#sink.isClosed;
  }
  /** Whether the head sent promised a persistent connection. */
  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  writeHead(status: number, headers?: Record<string, string | number | readonly string[]>): this {
    const phase = this.#phase;
    if (phase === 'abandoned' || phase === 'cut-short') return this;
    if (phase !== 'unsent') throw new Error('headers already sent');
    this.status = status;
    if (headers) for (const name of Object.keys(headers)) this.headers.set(name, headers[name]);
    this.#sendHead(-1, null);
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    const phase = this.#phase;
    if (phase !== 'head-sent') {
      if (phase === 'finished') throw new Error('write after end');
      if (phase !== 'unsent') return false; // destroyed
      this.#sendHead(-1, null);
    }
    return this.#writeBody(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }

  drain(): Promise<void> {
    return this.#sink.drain();
  }

  end(chunk?: string | Uint8Array): void {
    const phase = this.#phase;
    if (phase !== 'unsent' && phase !== 'head-sent') return; // finished or destroyed
    if (phase === 'unsent') {
      if (typeof chunk === 'string') {
        // An ASCII body (byte length = string length) travels with the head as one
        // latin1 string: no Buffer is made for it at all.
        const n = Buffer.byteLength(chunk, 'utf8');
        this.#sendHead(n, n === chunk.length ? chunk : Buffer.from(chunk, 'utf8'));
      } else {
        this.#sendHead(chunk === undefined ? 0 : chunk.length, chunk ?? null);
      }
    } else if (chunk !== undefined && chunk.length > 0) {
      this.#writeBody(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    }
    // Both paths: end(body) is chunked too when trailers are set (RFC 9112 §7.1.2), and a
    // declared Content-Length can exceed what end(body) gave. HEAD sends no body, so owes none.
    if (this.#framing === 'chunked' && !this.#isHead && !this.#sink.isClosed) {
      this.#sink.writeLatin1(lastChunk(this.#trailers));
    } else if (this.#framing === 'length' && this.#left > 0 && !this.#isHead) {
      // Fewer bytes than declared: the peer would wait for the rest; only a close ends it (RFC 9112 §6.3).
      this.#keepAlive = false;
    }
    this.#phase = toFinished(this.#phase);
    this.#sink.responseDone(this.#keepAlive);
    this.fireClose();
  }

  writeEarlyHints(fields: Record<string, string | readonly string[]>): void {
    if (this.headersSent) throw new Error('early hints after the response head');
    // Checked before anything is written: a bad field throws and the response goes on untouched.
    // append, not set: { Link: 'a', link: 'b' } are two Link lines.
    const hints = new HeaderMap();
    for (const name of Object.keys(fields)) {
      const value = fields[name];
      for (const v of typeof value === 'string' ? [value] : value) hints.append(name, v);
    }
    // RFC 9110 §8.6, §6.1: no Content-Length or Transfer-Encoding in a 1xx; Connection is the server's.
    hints.delete('content-length');
    hints.delete('transfer-encoding');
    hints.delete('connection');
    // RFC 9110 §15.2: a server must not send a 1xx response to an HTTP/1.0 client.
    if (this.#version === '1.0' || this.#phase === 'abandoned' || this.#sink.isClosed) return;
    this.#sink.writeLatin1(`${hints.serializeInto(statusLine(103))}\r\n`);
  }

  destroy(err?: unknown): void {
    const phase = this.#phase;
    if (phase === 'unsent') this.#phase = toAbandoned(phase);
    else if (phase === 'head-sent') this.#phase = toCutShort(phase);
    else return; // finished, or destroyed already
    // Never finished: the connection aborts req.signal and runs onClose as for a client gone.
    if (err !== undefined) this.#sink.reportError(err, 'response destroyed');
    // The client sees a missing response, a chunked body without its last chunk, or a
    // Content-Length body short of its length. A response that already looks complete
    // (HTTP/1.0 read-until-close, HEAD, 204, 304, a length fully written) cannot be marked
    // broken: a reset could, but it may also drop earlier responses, and Node sends a normal
    // close after any write anyway (resetAndDestroy was seen to give a FIN here).
    if (!this.#sink.isClosed) this.#sink.abort();
  }

  setTrailer(name: string, value: string): void {
    if (this.#phase === 'finished') throw new Error('trailer after end');
    (this.#trailers ??= []).push([name, value]);
  }

  onClose(fn: () => void): void {
    const fns = this.#onClose;
    if (fns === 'fired') {
      queueMicrotask(() => this.#runClose(fn));
      return;
    }
    if (fns === undefined) this.#onClose = [fn];
    else fns.push(fn);
  }

  /** Runs the onClose callbacks once (response complete or connection gone). */
  fireClose(): void {
    const fns = this.#onClose;
    if (fns === 'fired') return;
    this.#onClose = 'fired';
    if (fns === undefined) return;
    // Fired from socket events and from end() on the server's behalf: a throw would escape
    // as an uncaught exception and skip the remaining callbacks, so each one is guarded.
    for (const fn of fns) this.#runClose(fn);
  }

  #runClose(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#sink.reportError(err, 'onClose callback failed');
    }
  }

  /** Switches this exchange to WebSocket (issue #15): `upgradeWebSocket(req, this, ...)` of websocket-upgrade.ts. */
  upgradeWebSocket<T = undefined>(req: Request, handlers: WebSocketHandlers<T>, options?: UpgradeOptions<T>): WebSocket<T> | null {
    return upgradeWebSocket(req, this, handlers, options);
  }

  /**
   * Ends this response without sending anything and hands its connection over: the caller
   * writes the 101 (the head, as far as this response is concerned) and speaks the new
   * protocol on the socket. Used by upgradeWebSocket().
   */
  detach(owner: UpgradedProtocol): DetachedSocket {
    if (this.#phase !== 'unsent') throw new Error('the response has already started');
    if (this.#sink.detach === undefined) throw new Error('this response cannot hand its connection over');
    const detached = this.#sink.detach(owner);
    this.#phase = toFinished(toHeadSent(this.#phase));
    this.fireClose();
    return detached;
  }

  /** Drops what the handler set, for an error response built by the server. */
  reset(): void {
    if (this.headersSent) throw new Error('headers already sent');
    this.#headers = undefined;
    this.#trailers = undefined;
  }

  /**
   * Builds and sends the head. `length` is the whole body's size when known (end()
   * before any write), else -1. When `body` is given it leaves in the same write.
   */
  #sendHead(length: number, body: Uint8Array | string | null): void {
    const status = this.status;
    // RFC 9110 §15.2: a 1xx is interim and a final response must follow it; sent as the
    // response, it would leave the client waiting. The server sends 100 itself (readBody).
    if (status < 200 && status >= 100) throw new RangeError(`status ${status} is informational, not a final response`);
    const h = this.#headers;
    // Which of the fields the server sets itself the handler set too: none, usually, and then
    // no lookup is needed (HeaderMap keeps these bits as fields come and go).
    const special = h === undefined ? 0 : h.special;
    const date = (special & SPECIAL_DATE) !== 0 ? '' : dateLine(this.#sink.now());
    let framingLine = '';
    const noBody = isBodylessStatus(status);
    let keepAlive = this.#sink.canKeepAlive();
    let isUpgrade = false;
    if ((special & SPECIAL_CONNECTION) !== 0) {
      // The server owns persistence; a handler may only ask for close (RFC 9112 §9.6), or name
      // `upgrade`: RFC 9110 §7.8, a server that sends Upgrade (a 426, issue #15) MUST send it.
      const connection = h!.get('connection')!;
      if (/(^|[\s,])close([\s,]|$)/i.test(connection)) keepAlive = false;
      isUpgrade = /(^|[\s,])upgrade([\s,]|$)/i.test(connection);
      h!.delete('connection');
    }
    let framing: Framing;
    if (noBody) {
      framing = 'none';
      // RFC 9110 §8.6: no Content-Length in 1xx and 204 responses; §6.1: no Transfer-Encoding either.
      if (status !== 304 && (special & SPECIAL_CONTENT_LENGTH) !== 0) h!.delete('content-length');
      if ((special & SPECIAL_TRANSFER_ENCODING) !== 0) h!.delete('transfer-encoding');
    } else {
      if ((special & SPECIAL_TRANSFER_ENCODING) !== 0) h!.delete('transfer-encoding');
      if ((special & SPECIAL_CONTENT_LENGTH) !== 0) {
        const declared = h!.get('content-length')!;
        const n = /^\d+$/.test(declared) ? Number(declared) : NaN;
        if (!Number.isSafeInteger(n)) throw new TypeError('invalid Content-Length header');
        framing = 'length';
        this.#left = n;
      } else if (length >= 0 && this.#trailers === undefined) {
        framing = 'length';
        this.#left = length;
        framingLine = contentLengthLine(length);
      } else if (this.#version === '1.1') {
        framing = 'chunked';
        framingLine = 'Transfer-Encoding: chunked\r\n';
      } else {
        // RFC 9112 §6.3 ¶8: an HTTP/1.0 client reads until close.
        framing = 'close';
        keepAlive = false;
      }
    }
    let connectionLine = !keepAlive ? 'Connection: close\r\n' : this.#version === '1.0' ? 'Connection: keep-alive\r\n' : '';
    if (isUpgrade) connectionLine = connectionLine === '' ? 'Connection: upgrade\r\n' : `${connectionLine.slice(0, -2)}, upgrade\r\n`;
    // A bad status (statusLine throws) or an end(body) longer than the declared length is
    // found before the head counts as sent: nothing is on the wire, so the handler's
    // error can still become a clean 500 instead of a reset.
    const head = this.#heads.build(statusLine(status), h, date, framingLine, connectionLine);
    const sendBody = body !== null && body.length > 0 && !this.#isHead && framing !== 'none';
    if (sendBody && framing === 'length' && body.length > this.#left) throw new RangeError('body longer than Content-Length');
    this.#framing = framing;
    this.#keepAlive = keepAlive;
    this.#phase = toHeadSent(this.#phase);
    // Tracing tools (issue #16, diagnostics.ts): one property read when nobody listens.
    if (responseHeadersChannel.hasSubscribers) publishResponseHeaders(this);

    const sink = this.#sink;
    if (sink.isClosed) return;
    if (!sendBody) {
      sink.writeLatin1(head);
      return;
    }
    if (framing === 'chunked') {
      sink.writeLatin1(head);
      this.#writeBody(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
      return;
    }
    this.#left -= body.length;
    if (typeof body === 'string') {
      sink.writeLatin1(head + body);
    } else if (body.length <= COALESCE_MAX_BYTES) {
      const out = Buffer.allocUnsafe(head.length + body.length);
      out.write(head, 0, 'latin1');
      out.set(body, head.length);
      sink.write(out);
    } else {
      sink.writeLatin1(head);
      sink.write(body);
    }
  }

  #writeBody(data: Uint8Array): boolean {
    const sink = this.#sink;
    if (sink.isClosed) return false;
    if (data.length === 0 || this.#isHead || this.#framing === 'none') return true;
    switch (this.#framing) {
      case 'chunked':
        sink.writeLatin1(chunkHeader(data.length));
        sink.write(data);
        return sink.writeLatin1(CHUNK_END);
      case 'length':
        if (data.length > this.#left) throw new RangeError('body longer than Content-Length');
        this.#left -= data.length;
        return sink.write(data);
      default:
        return sink.write(data);
    }
  }
}
