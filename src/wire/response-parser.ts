/**
 * The sans-IO HTTP/1.1 response parser: the client side of parser.ts.
 *
 * Owns response framing (RFC 9112 §4, §5, §6.3, §7): the status line, the
 * header section, which responses have no body (HEAD, 1xx, 204, 304), the
 * body's length (Content-Length, chunked, or read until the server closes)
 * and every rule that keeps a client from disagreeing with an intermediary
 * about where a response ends (response smuggling and splitting). It never
 * touches sockets, timers, files or the clock; it imports nothing outside wire/.
 *
 * Theory of operation
 * -------------------
 * A response only makes sense as the answer to a request, and its framing
 * depends on that request (a response to HEAD has no body, RFC 9112 §6.3 ¶1).
 * So the caller announces every request it sends with `expectResponse(method)`,
 * in order; responses are matched to them first in, first out (pipelining,
 * RFC 9112 §9.3.2). Bytes that arrive when no request is outstanding are a
 * response to a request never sent: an error, never a response for the next
 * request.
 *
 * `receive(bytes)` appends input; `eof()` says the server closed its side;
 * `nextEvent()` returns the next event, `NEED_DATA`, or `PAUSED` when no
 * response is expected (or after a 101 hand-off).
 *
 *   expectResponse(m) ─► informational* ─► response ─► data* ─► end ─► (next response or PAUSED)
 *
 * Any violation throws a `ResponseError` (a `ProtocolError` with status 502,
 * what a gateway answers when its upstream sent an invalid response, RFC 9110
 * §15.6.3); the parser is then dead and every later call throws the same error:
 * nothing after a framing error can be trusted (RFC 9112 §11.2), so the
 * connection must be closed.
 *
 * The grammar both sides share (field lines, Connection options, Content-Length,
 * transfer codings, version, the chunk-size line) is syntax.ts's, with this side's error codes
 * (errors.ts `responseSyntaxError`); what is here is the response's own: the
 * status line, the state machine, limits and framing. Body bytes are
 * zero-copy views of the input, as on the request side.
 */
import { FIELD_VALUE, trimOws } from './chars.js';
import {
  ProtocolError,
  ResponseClosedError,
  ResponseError,
  responseSyntaxError,
} from './errors.js';
import type { DataEvent, EndEvent } from './parser.js';
import { NEED_DATA, PAUSED } from './parser.js';
import {
  appendTransferCodings,
  checkChunkedCodings,
  connectionOptions,
  equalsLower,
  isPersistent,
  isDigit,
  maxChunkSizeLineBytes,
  parseChunkSizeLine,
  parseContentLength,
  parseVersion,
  scanFieldLine,
  type FieldLine,
} from './syntax.js';

export type { DataEvent, EndEvent };

/** Limits the response parser enforces (a client's defence against a hostile or broken server). */
export interface ResponseParserLimits {
  /** Longest status line, CRLF excluded. Default 8 KiB: a reason phrase is informational (RFC 9112 §4). */
  maxStatusLineBytes: number;
  /** Largest header section (each field line with its CRLF); also bounds trailers. Default 32 KiB, as the request side. */
  maxHeaderBytes: number;
  /**
   * Most field lines in a header section (and in trailers). Default 1000, the request side's:
   * its reasoning (issue #12, docs/limits.md) holds for the same 32 KiB byte bound, the count
   * only bounding what parsing costs (about 41 KiB of heap at 1000 fields, against 280 KiB for
   * 32 KiB of 5-byte lines). No client precedent is stricter: undici and llhttp count no fields
   * (bytes only, 16 KiB), nor does Go's Transport (MaxResponseHeaderBytes, 10 MiB), and
   * node:http's client keeps 2000 and drops the rest. 100 (keel's first default) would refuse
   * responses those clients read, and a client cannot ask the server for fewer fields.
   */
  maxHeaderCount: number;
  /** Longest chunk extension on one chunk-size line. Default 1 KiB, as the request side (RFC 9112 §7.1.1). */
  maxChunkExtensionBytes: number;
  /**
   * Largest body after transfer decoding. Default Infinity: bodies are streamed with backpressure,
   * so a large one costs time, not memory (undici and fetch have no default either). A
   * Content-Length above it fails at the head, before a byte of body is read.
   */
  maxBodyBytes: number;
  /**
   * Most 1xx responses before the final one. Default 16: a server sends a 100 and a few 103s;
   * more is a flood that would keep the client waiting forever (each is bounded by maxHeaderBytes).
   */
  maxInformationalResponses: number;
}

/** Status-line limit default (see `ResponseParserLimits.maxStatusLineBytes`). */
export const DEFAULT_MAX_STATUS_LINE_BYTES = 8 * 1024;
/** Header-section limit default for responses (see `ResponseParserLimits.maxHeaderBytes`). */
export const DEFAULT_MAX_RESPONSE_HEADER_BYTES = 32 * 1024;
/** Field-line count default for responses (see `ResponseParserLimits.maxHeaderCount`). */
export const DEFAULT_MAX_RESPONSE_HEADER_COUNT = 1000;
/** Chunk-extension limit default for responses. */
export const DEFAULT_MAX_RESPONSE_CHUNK_EXTENSION_BYTES = 1024;
/** Response body limit default: none (streamed). */
export const DEFAULT_MAX_RESPONSE_BODY_BYTES = Infinity;
/** 1xx flood bound default (see `ResponseParserLimits.maxInformationalResponses`). */
export const DEFAULT_MAX_INFORMATIONAL_RESPONSES = 16;

/** Every response parser limit at its default. */
export const DEFAULT_RESPONSE_PARSER_LIMITS: Readonly<ResponseParserLimits> = Object.freeze({
  maxStatusLineBytes: DEFAULT_MAX_STATUS_LINE_BYTES,
  maxHeaderBytes: DEFAULT_MAX_RESPONSE_HEADER_BYTES,
  maxHeaderCount: DEFAULT_MAX_RESPONSE_HEADER_COUNT,
  maxChunkExtensionBytes: DEFAULT_MAX_RESPONSE_CHUNK_EXTENSION_BYTES,
  maxBodyBytes: DEFAULT_MAX_RESPONSE_BODY_BYTES,
  maxInformationalResponses: DEFAULT_MAX_INFORMATIONAL_RESPONSES,
});

/** How a response body is delimited (RFC 9112 §6.3). 'close': read until the server closes. */
export type ResponseBodyKind = 'none' | 'length' | 'chunked' | 'close';

/** The status line and header section of a final response (or of a 101). */
export interface ResponseHeadEvent {
  readonly type: 'response';
  /** 3-digit status code, 101 or 200..599. */
  readonly status: number;
  /** Reason phrase as received (informational only, RFC 9112 §4); '' when absent. */
  readonly reason: string;
  /** '1.0', or '1.1' for HTTP/1.1 and any higher 1.x minor. */
  readonly version: '1.0' | '1.1';
  /** Field lines: [name0, value0, ...], latin1, values without OWS. */
  readonly rawHeaders: string[];
  readonly bodyKind: ResponseBodyKind;
  /** The Content-Length for 'length', 0 for 'none', -1 for 'chunked' and 'close'. */
  readonly contentLength: number;
  /** Whether the connection may carry another request after this response (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
}

/** A 1xx response other than 101 (100 Continue, 103 Early Hints...): surfaced, then parsing goes on. */
export interface InformationalEvent {
  readonly type: 'informational';
  readonly status: number;
  readonly reason: string;
  readonly rawHeaders: string[];
}

export type ResponseParserEvent = ResponseHeadEvent | InformationalEvent | DataEvent | EndEvent;

type State =
  | 'idle' | 'head' | 'body' | 'close-body' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers'
  | 'end' | 'switched' | 'error';

const END_NO_TRAILERS: EndEvent = Object.freeze({ type: 'end', trailers: Object.freeze([]) as readonly string[] });
const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
/** Where scanFieldLine left the parts of the field line just scanned: read at once. */
const LINE: FieldLine = { colon: 0, valueStart: 0, valueEnd: 0 };

type Latin1 = Buffer & { latin1Slice(start: number, end: number): string };

interface Expected {
  readonly isHead: boolean;
  /** The request asked to switch protocols (Upgrade, or CONNECT): a 101 / 2xx ends HTTP on this connection. */
  readonly canSwitch: boolean;
  readonly isConnect: boolean;
}

/** Incremental HTTP/1.1 response parser: bytes in, events out. */
export class ResponseParser {
  readonly #limits: Readonly<ResponseParserLimits>;
  #buf: Buffer = EMPTY;
  #pos = 0;
  #state: State = 'idle';
  #error: ProtocolError | null = null;
  #eof = false;
  /** Requests sent and not yet answered, oldest first. */
  #expected: Expected[] = [];
  /** Head scan progress, relative to #pos. */
  #scanRel = 0;
  #lines: number[] = [];
  #lineCount = 0;
  /** The status line of the head being read (see #parseStatusLine). */
  #status = 0;
  #reason = '';
  #version: '1.0' | '1.1' = '1.1';
  /** 1xx responses received for the current request. */
  #informational = 0;
  #remaining = 0;
  #bodyBytes = 0;
  #trailers: string[] = [];
  #trailerBytes = 0;

  /**
   * @param limits Overrides of DEFAULT_RESPONSE_PARSER_LIMITS, copied into a frozen object:
   * changing `limits` afterwards changes nothing for this parser.
   */
  constructor(limits?: Partial<ResponseParserLimits>) {
    this.#limits = limits === undefined ? DEFAULT_RESPONSE_PARSER_LIMITS : Object.freeze({ ...DEFAULT_RESPONSE_PARSER_LIMITS, ...limits });
  }

  /** 'idle' when no response is expected, 'head' while reading one, body states, 'switched' after a 101, 'error' once dead. */
  get state(): State {
    return this.#state;
  }

  /** Requests announced and not yet fully answered. */
  get pendingResponses(): number {
    return this.#expected.length;
  }

  /** Bytes received but not yet consumed. */
  get bufferedBytes(): number {
    return this.#buf.length - this.#pos;
  }

  /**
   * Announces a request just sent (call it before the request's bytes leave, so its response
   * cannot arrive first). `canSwitch`: the request carried Upgrade, so a 101 is acceptable.
   */
  expectResponse(method: string, canSwitch = false): void {
    if (this.#state === 'error') throw this.#error!;
    if (this.#state === 'switched') throw new Error('expectResponse() after the connection switched protocols');
    const isConnect = method === 'CONNECT';
    this.#expected.push({ isHead: method === 'HEAD', canSwitch: canSwitch || isConnect, isConnect });
    if (this.#state === 'idle') this.#startHead();
  }

  /** Appends bytes to the input. */
  receive(data: Uint8Array): void {
    if (data.length === 0 || this.#state === 'error') return;
    const left = this.#buf.length - this.#pos;
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    if (left === 0) {
      this.#buf = chunk;
    } else {
      // A new buffer, never an in-place compaction: views handed out as data events stay valid.
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), chunk], left + chunk.length);
    }
    this.#pos = 0;
  }

  /** The server closed its side (FIN): a close-delimited body ends; anything else incomplete is an error. */
  eof(): void {
    this.#eof = true;
  }

  /** After a 101 (or a 2xx to CONNECT): the bytes that followed the head, which belong to the new protocol. */
  takeBufferedBytes(): Buffer {
    const rest = this.#buf.subarray(this.#pos);
    this.#buf = EMPTY;
    this.#pos = 0;
    return rest;
  }

  /** The next event, NEED_DATA or PAUSED. Throws ProtocolError on an invalid or cut-short response. */
  nextEvent(): ResponseParserEvent | typeof NEED_DATA | typeof PAUSED {
    try {
      switch (this.#state) {
        case 'idle':
          // RFC 9112 §9.3.2: responses come in request order; bytes with no request outstanding
          // answer a request never sent (a desynchronized or malicious server).
          if (this.#buf.length > this.#pos) {
            throw new ResponseError('response received with no request outstanding', 'ERR_UNSOLICITED_RESPONSE');
          }
          return PAUSED;
        case 'head':
          return this.#head();
        case 'body':
          return this.#lengthBody();
        case 'close-body':
          return this.#closeBody();
        case 'chunk-size':
        case 'chunk-data':
        case 'chunk-crlf':
        case 'trailers':
          return this.#chunked();
        case 'end':
          this.#finishResponse();
          return END_NO_TRAILERS;
        case 'switched':
          return PAUSED;
        case 'error':
          throw this.#error!;
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.#state = 'error';
        this.#error = err;
      }
      throw err;
    }
  }

  #startHead(): void {
    this.#state = 'head';
    this.#scanRel = 0;
    this.#lineCount = 0;
    this.#informational = 0;
  }

  #finishResponse(): void {
    this.#expected.shift();
    if (this.#expected.length > 0) this.#startHead();
    else this.#state = 'idle';
  }

  #incomplete(what: string): ResponseError {
    return new ResponseError(`connection closed in the middle of the ${what}`, 'ERR_RESPONSE_INCOMPLETE');
  }

  // ---- head -------------------------------------------------------------

  #head(): ResponseHeadEvent | InformationalEvent | typeof NEED_DATA {
    const buf = this.#buf;
    const limits = this.#limits;
    const lines = this.#lines;
    let n = this.#lineCount;
    let ls = this.#pos + this.#scanRel;
    for (;;) {
      const nl = buf.indexOf(LF, ls);
      if (nl === -1) {
        this.#scanRel = ls - this.#pos;
        this.#lineCount = n;
        this.#checkPartialHead(buf.length - ls);
        if (this.#eof) {
          // Not one byte of this response (and no 1xx before it): the server closed a connection it
          // had not answered on, the keep-alive race of RFC 9112 §9.3.1; a caller may retry.
          if (buf.length === this.#pos && this.#informational === 0) throw new ResponseClosedError();
          throw this.#incomplete('response head');
        }
        return NEED_DATA;
      }
      // Limits first, counted as #checkPartialHead counts them, so the error does not depend on the split.
      if (n === 0) {
        if (nl - ls > limits.maxStatusLineBytes + 1) throw tooLarge(`status line exceeds ${limits.maxStatusLineBytes} bytes`);
      } else if (nl - ls > 1) {
        if (n / 2 > limits.maxHeaderCount) throw tooLarge(`more than ${limits.maxHeaderCount} header fields`);
        if (nl + 1 - this.#pos - (lines[1] + 2) > limits.maxHeaderBytes) throw tooLarge(`header section exceeds ${limits.maxHeaderBytes} bytes`);
      }
      // RFC 9112 §2.2: a bare LF is not a line terminator we guess at.
      if (nl === ls || buf[nl - 1] !== CR) throw new ResponseError('bare LF line terminator', 'ERR_RESPONSE_BARE_LF');
      const lineEnd = nl - 1;
      if (lineEnd === ls) {
        // RFC 9112 §2.2 lets a server skip empty lines before a request line; nothing lets a
        // client skip them before a status line: they are leftovers of a mis-framed body.
        if (n === 0) throw new ResponseError('empty line before the status line', 'ERR_RESPONSE_STATUS_LINE');
        const base = this.#pos;
        this.#pos = nl + 1;
        this.#scanRel = 0;
        this.#lineCount = 0;
        return this.#parseHead(buf, base, lines, n);
      }
      // The status line is checked as soon as it is complete: a peer that is not speaking
      // HTTP/1.x is refused at its first line, not after a head's worth of bytes.
      if (n === 0) this.#parseStatusLine(buf, ls, lineEnd);
      lines[n++] = ls - this.#pos;
      lines[n++] = lineEnd - this.#pos;
      ls = nl + 1;
    }
  }

  /** status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4), into #status, #reason, #version. */
  #parseStatusLine(buf: Buffer, ss: number, se: number): void {
    // The version is the line's first 8 bytes; a shorter line is malformed ('version').
    this.#version = parseVersion(buf, ss, Math.min(se, ss + 8), responseSyntaxError);
    const cs = ss + 8;
    if (se - cs < 4 || buf[cs] !== SP || !isDigit(buf[cs + 1]) || !isDigit(buf[cs + 2]) || !isDigit(buf[cs + 3])) {
      throw new ResponseError('invalid status line', 'ERR_RESPONSE_STATUS_LINE');
    }
    const status = (buf[cs + 1] - 0x30) * 100 + (buf[cs + 2] - 0x30) * 10 + (buf[cs + 3] - 0x30);
    // RFC 9110 §15: values outside 100..599 are invalid.
    if (status < 100 || status > 599) throw new ResponseError('status code out of range', 'ERR_RESPONSE_STATUS_LINE');
    let reason = '';
    if (se > cs + 4) {
      // The SP after the code is required; the reason phrase may be empty.
      if (buf[cs + 4] !== SP) throw new ResponseError('invalid status line', 'ERR_RESPONSE_STATUS_LINE');
      // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): no CR, NUL or other control.
      for (let i = cs + 5; i < se; i++) {
        if (FIELD_VALUE[buf[i]] === 0) throw new ResponseError('invalid reason phrase', 'ERR_RESPONSE_STATUS_LINE');
      }
      reason = (buf as Latin1).latin1Slice(cs + 5, se);
    }
    this.#status = status;
    this.#reason = reason;
  }

  #checkPartialHead(pendingLineBytes: number): void {
    const limits = this.#limits;
    if (this.#lineCount === 0) {
      if (pendingLineBytes > limits.maxStatusLineBytes + 1) throw tooLarge(`status line exceeds ${limits.maxStatusLineBytes} bytes`);
    } else if (this.#buf.length - this.#pos - (this.#lines[1] + 2) > limits.maxHeaderBytes + 1) {
      // "+ 1": a pending CR may start the empty line that ends the head (see parser.ts).
      throw tooLarge(`header section exceeds ${limits.maxHeaderBytes} bytes`);
    }
  }

  #parseHead(buf: Buffer, base: number, lines: number[], n: number): ResponseHeadEvent | InformationalEvent {
    const b = buf as Latin1;
    const status = this.#status;
    const reason = this.#reason;
    const version = this.#version;

    // ---- header section (RFC 9112 §5)
    const rawHeaders: string[] = [];
    let contentLength = -1;
    let codings: string[] | null = null;
    let connection = 0;
    for (let k = 2; k < n; k += 2) {
      const s = base + lines[k];
      const e = base + lines[k + 1];
      scanFieldLine(buf, s, e, LINE, responseSyntaxError);
      const colon = LINE.colon;
      const value = b.latin1Slice(LINE.valueStart, LINE.valueEnd);
      rawHeaders.push(b.latin1Slice(s, colon), value);
      switch (colon - s) {
        case 10:
          if (equalsLower(buf, s, 'connection')) connection |= connectionOptions(value);
          break;
        case 14:
          if (equalsLower(buf, s, 'content-length')) {
            // RFC 9110 §8.6: repeated identical values ("42, 42" or two lines) may be taken as one;
            // differing ones are an unrecoverable framing error (RFC 9112 §6.3 ¶5).
            // Each element is OWS-trimmed, an empty one refused (unlike a #list, RFC 9110 §5.6.1).
            for (const item of value.split(',')) {
              const v = parseContentLength(trimOws(item), responseSyntaxError);
              if (contentLength !== -1 && v !== contentLength) {
                throw new ResponseError('differing Content-Length values', 'ERR_RESPONSE_CONTENT_LENGTH');
              }
              contentLength = v;
            }
          }
          break;
        case 17:
          if (equalsLower(buf, s, 'transfer-encoding')) appendTransferCodings(value, (codings ??= []), responseSyntaxError);
          break;
      }
    }
    // Framing headers are checked even where they do not frame anything (1xx, 204, 304, HEAD):
    // a response carrying both is a smuggling attempt on whoever reads it next.
    // RFC 9112 §6.3 ¶3: TE with CL "ought to be handled as an error"; we refuse it instead of letting TE win.
    if (codings !== null && contentLength !== -1) {
      throw new ResponseError('both Content-Length and Transfer-Encoding', 'ERR_RESPONSE_CONFLICTING_FRAMING');
    }
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
    if (codings !== null && version === '1.0') {
      throw new ResponseError('Transfer-Encoding in an HTTP/1.0 response', 'ERR_RESPONSE_TRANSFER_ENCODING');
    }

    const expected = this.#expected[0];
    if (status < 200) {
      if (status === 101) {
        // RFC 9110 §15.2.2: a server switches only to a protocol the client asked for.
        if (!expected.canSwitch || expected.isConnect) {
          throw new ResponseError('101 Switching Protocols to a request without Upgrade', 'ERR_RESPONSE_UNEXPECTED_SWITCH');
        }
        this.#state = 'switched';
        this.#expected.length = 0;
        return { type: 'response', status, reason, version, rawHeaders, bodyKind: 'none', contentLength: 0, keepAlive: false };
      }
      // RFC 9110 §15.2: a client must accept any number of 1xx before the final response; we
      // bound "any number" so a server cannot keep the request waiting forever.
      if (++this.#informational > this.#limits.maxInformationalResponses) {
        throw new ResponseError(`more than ${this.#limits.maxInformationalResponses} informational responses`, 'ERR_RESPONSE_TOO_MANY_INFORMATIONAL');
      }
      return { type: 'informational', status, reason, rawHeaders };
    }

    let keepAlive = isPersistent(version, connection);
    let bodyKind: ResponseBodyKind;
    if (expected.isConnect && status < 300) {
      // RFC 9110 §9.3.6: a 2xx to CONNECT makes the connection a tunnel; no body, no more HTTP.
      this.#state = 'switched';
      this.#expected.length = 0;
      return { type: 'response', status, reason, version, rawHeaders, bodyKind: 'none', contentLength: 0, keepAlive: false };
    }
    if (expected.isHead || status === 204 || status === 304) {
      // RFC 9112 §6.3 ¶1: the end of the head ends these responses, whatever CL or TE say.
      bodyKind = 'none';
      contentLength = 0;
      this.#state = 'end';
    } else if (codings !== null) {
      // RFC 9112 §6.1: chunked at most once, and last; we implement no other transfer coding.
      // (§6.3 ¶4 would read a non-chunked final coding until close, but its bytes would still be coded.)
      checkChunkedCodings(codings, responseSyntaxError);
      bodyKind = 'chunked';
      contentLength = -1;
      this.#bodyBytes = 0;
      this.#trailers = [];
      this.#trailerBytes = 0;
      this.#state = 'chunk-size';
    } else if (contentLength !== -1) {
      if (contentLength > this.#limits.maxBodyBytes) throw bodyTooLarge(this.#limits.maxBodyBytes);
      bodyKind = contentLength === 0 ? 'none' : 'length';
      this.#remaining = contentLength;
      this.#state = contentLength === 0 ? 'end' : 'body';
    } else {
      // RFC 9112 §6.3 ¶8: no framing at all: the body runs until the server closes.
      bodyKind = 'close';
      keepAlive = false;
      this.#bodyBytes = 0;
      this.#state = 'close-body';
    }
    return { type: 'response', status, reason, version, rawHeaders, bodyKind, contentLength, keepAlive };
  }

  // ---- bodies -----------------------------------------------------------

  #lengthBody(): DataEvent | typeof NEED_DATA {
    const avail = this.#buf.length - this.#pos;
    if (avail === 0) {
      // RFC 9112 §8: a body shorter than its Content-Length is incomplete, never a whole response.
      if (this.#eof) throw this.#incomplete('body');
      return NEED_DATA;
    }
    const n = avail < this.#remaining ? avail : this.#remaining;
    const data = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    this.#remaining -= n;
    if (this.#remaining === 0) this.#state = 'end';
    return { type: 'data', data };
  }

  #closeBody(): DataEvent | EndEvent | typeof NEED_DATA {
    const avail = this.#buf.length - this.#pos;
    if (avail === 0) {
      if (!this.#eof) return NEED_DATA;
      this.#finishResponse();
      return END_NO_TRAILERS;
    }
    // Up to the limit, then the error: the bytes delivered before it do not depend on the split.
    const room = this.#limits.maxBodyBytes - this.#bodyBytes;
    if (room === 0) throw bodyTooLarge(this.#limits.maxBodyBytes);
    const n = avail < room ? avail : room;
    this.#bodyBytes += n;
    const data = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return { type: 'data', data };
  }

  #chunked(): DataEvent | EndEvent | typeof NEED_DATA {
    const buf = this.#buf;
    const limits = this.#limits;
    for (;;) {
      switch (this.#state) {
        case 'chunk-size': {
          const nl = buf.indexOf(LF, this.#pos);
          // RFC 9112 §7.1.1: bounded whether or not the LF has arrived (split-independent).
          if ((nl === -1 ? buf.length : nl) - this.#pos > maxChunkSizeLineBytes(limits.maxChunkExtensionBytes)) {
            throw new ResponseError('chunk-size line too long', 'ERR_RESPONSE_CHUNK_LINE_TOO_LONG');
          }
          if (nl === -1) {
            if (this.#eof) throw this.#incomplete('chunked body');
            return NEED_DATA;
          }
          if (nl === this.#pos || buf[nl - 1] !== CR) throw new ResponseError('bare LF in chunked body', 'ERR_RESPONSE_BARE_LF');
          const size = parseChunkSizeLine(buf, this.#pos, nl - 1, limits.maxChunkExtensionBytes, responseSyntaxError);
          this.#pos = nl + 1;
          if (size === 0) {
            this.#state = 'trailers';
            break;
          }
          this.#bodyBytes += size;
          if (this.#bodyBytes > limits.maxBodyBytes) throw bodyTooLarge(limits.maxBodyBytes);
          this.#remaining = size;
          this.#state = 'chunk-data';
          break;
        }
        case 'chunk-data': {
          const avail = buf.length - this.#pos;
          if (avail === 0) {
            if (this.#eof) throw this.#incomplete('chunked body');
            return NEED_DATA;
          }
          const n = avail < this.#remaining ? avail : this.#remaining;
          const data = buf.subarray(this.#pos, this.#pos + n);
          this.#pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          return { type: 'data', data };
        }
        case 'chunk-crlf': {
          const avail = buf.length - this.#pos;
          // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
          if ((avail >= 1 && buf[this.#pos] !== CR) || (avail >= 2 && buf[this.#pos + 1] !== LF)) {
            throw new ResponseError('chunk data not followed by CRLF', 'ERR_RESPONSE_CHUNK');
          }
          if (avail < 2) {
            if (this.#eof) throw this.#incomplete('chunked body');
            return NEED_DATA;
          }
          this.#pos += 2;
          this.#state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const nl = buf.indexOf(LF, this.#pos);
          if (nl === -1) {
            if (this.#trailerBytes + buf.length - this.#pos > limits.maxHeaderBytes + 1) {
              throw tooLarge(`trailer section exceeds ${limits.maxHeaderBytes} bytes`);
            }
            if (this.#eof) throw this.#incomplete('trailer section');
            return NEED_DATA;
          }
          const s = this.#pos;
          if (nl - s > 1) {
            if (this.#trailerBytes + nl + 1 - s > limits.maxHeaderBytes) throw tooLarge(`trailer section exceeds ${limits.maxHeaderBytes} bytes`);
            if (this.#trailers.length / 2 >= limits.maxHeaderCount) throw tooLarge(`more than ${limits.maxHeaderCount} trailer fields`);
          }
          if (nl === s || buf[nl - 1] !== CR) throw new ResponseError('bare LF in trailers', 'ERR_RESPONSE_BARE_LF');
          const e = nl - 1;
          this.#pos = nl + 1;
          if (s === e) {
            const trailers = this.#trailers;
            this.#finishResponse();
            return trailers.length === 0 ? END_NO_TRAILERS : { type: 'end', trailers };
          }
          this.#trailerBytes += nl + 1 - s;
          // RFC 9112 §7.1.2: trailer fields have the syntax of header fields: the same scan.
          scanFieldLine(buf, s, e, LINE, responseSyntaxError);
          const b = buf as Latin1;
          this.#trailers.push(b.latin1Slice(s, LINE.colon), b.latin1Slice(LINE.valueStart, LINE.valueEnd));
          break;
        }
        default:
          throw new Error(`unreachable chunked state ${this.#state}`);
      }
    }
  }
}

// ---- helpers (pure functions on byte ranges) ------------------------------

function tooLarge(message: string): ResponseError {
  return new ResponseError(message, 'ERR_RESPONSE_HEAD_TOO_LARGE');
}

function bodyTooLarge(limit: number): ResponseError {
  return new ResponseError(`response body exceeds ${limit} bytes`, 'ERR_RESPONSE_BODY_TOO_LARGE');
}
