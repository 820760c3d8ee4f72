/**
 * The sans-IO HTTP/1.1 request parser.
 *
 * Owns request framing (RFC 9112): request line, header section, the body's
 * length (Content-Length or chunked) and every rule that keeps two parsers
 * from disagreeing about where a message ends (request smuggling). It never
 * touches sockets, timers, files or the clock (h11's model).
 *
 * Theory of operation
 * -------------------
 * `receive(bytes)` appends input; `nextEvent()` returns the next event, or
 * `NEED_DATA` when more bytes are needed, or `PAUSED` after a request's `end`
 * event until the caller calls `startNextRequest()`. Pausing is what keeps
 * pipelined responses in order and stops a bad request that follows a good one
 * from being answered (400) before the good one got its response.
 *
 *   request ─► data* ─► end ─► PAUSED ──startNextRequest()──► request ...
 *
 * Any protocol violation throws a `ProtocolError` carrying the status to send;
 * the parser is then dead (every later call throws the same error), since the
 * framing of anything after it cannot be trusted (RFC 9112 §11.2).
 *
 * The head is parsed once complete: lines are located with `indexOf(LF)`
 * (native memchr), then validated byte by byte against the rules of chars.ts
 * (a table, or compares where they are cheaper). Field names the parser acts
 * on are recognized on the bytes, before any string exists; common methods
 * are shared constant strings. A client sends the same fields on every
 * request of a connection: a field section that repeats the previous one byte
 * for byte reuses its strings and facts (Host, framing, persistence) instead
 * of being parsed again (remembered-section.ts). Body bytes are handed out as
 * zero-copy views of the input.
 *
 * The grammar this parser shares with the response parser (field lines,
 * Connection options, Content-Length, transfer codings, Host, version,
 * chunk-size lines, bare CR) is in syntax.ts, target forms in target.ts; what
 * is here is the request's own: the state machine, limits, framing and which
 * fields it acts on.
 */
import { TARGET, TOKEN } from './chars.js';
import {
  BadRequestError,
  ExpectationFailedError,
  HeaderTooLargeError,
  PayloadTooLargeError,
  ProtocolError,
  UriTooLongError,
  requestSyntaxError,
} from './errors.js';
import { resolveParserLimits, type ParserLimits } from './limits.js';
import { RememberedSection, type SectionFacts } from './remembered-section.js';
import {
  appendTransferCodings,
  bareCrIndex,
  checkChunkedCodings,
  connectionOptions,
  equalsLower,
  isPersistent,
  isValidHostBytes,
  maxChunkSizeLineBytes,
  parseChunkSizeLine,
  parseContentLength,
  parseVersion,
  scanFieldLine,
  type FieldLine,
} from './syntax.js';
import { checkTargetForm } from './target.js';

/** Returned by `nextEvent()` when the parser needs more bytes. */
export const NEED_DATA: unique symbol = Symbol('NEED_DATA');
/** Returned by `nextEvent()` after a request ended, until `startNextRequest()`. */
export const PAUSED: unique symbol = Symbol('PAUSED');

/** How the request body is delimited (RFC 9112 §6.3). */
export type BodyKind = 'none' | 'length' | 'chunked';

/** The request line and header section, validated. */
export interface RequestEvent {
  readonly type: 'request';
  /** Method token as received (case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** Request-target as received. */
  readonly target: string;
  /** '1.0', or '1.1' for HTTP/1.1 and any higher 1.x minor (RFC 9110 §6.2). */
  readonly version: '1.0' | '1.1';
  /**
   * Field lines: [name0, value0, name1, value1, ...], latin1, values without OWS; with an
   * absolute-form target, the Host value is the target's authority (see `host`).
   */
  readonly rawHeaders: string[];
  readonly bodyKind: BodyKind;
  /** Content-Length when bodyKind is 'length' or 'none' with a CL of 0; -1 for chunked. */
  readonly contentLength: number;
  /** Whether the connection may persist after this exchange (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** Expect: 100-continue on an HTTP/1.1 request (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /**
   * The request's host: the authority of an absolute-form target (RFC 9112 §3.2.2, also put in
   * rawHeaders as the Host value), else the Host field value ('' when absent, as on HTTP/1.0).
   */
  readonly host: string;
}

/** A piece of the body, transfer coding removed. A view of the input: do not mutate. */
export interface DataEvent {
  readonly type: 'data';
  readonly data: Buffer;
}

/** The end of a request; trailers (flat name/value list) of a chunked body. */
export interface EndEvent {
  readonly type: 'end';
  readonly trailers: readonly string[];
}

export type ParserEvent = RequestEvent | DataEvent | EndEvent;

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'end' | 'paused' | 'error';

const END_NO_TRAILERS: EndEvent = Object.freeze({ type: 'end', trailers: Object.freeze([]) as readonly string[] });
const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
/** Bytes of storage a parser starts with when it must keep a partial message. */
const INITIAL_STORE_BYTES = 4096;
/** Where scanFieldLine left the parts of the field line just scanned: read at once. */
const LINE: FieldLine = { colon: 0, valueStart: 0, valueEnd: 0 };

type Latin1 = Buffer & { latin1Slice(start: number, end: number): string };

/** Incremental HTTP/1.1 request parser: bytes in, events out. */
export class RequestParser {
  readonly #limits: Readonly<ParserLimits>;
  /** Unconsumed input is #buf[#pos, #buf.length). */
  #buf: Buffer = EMPTY;
  #pos = 0;
  /** Growable storage that owns #buf when a partial message had to be kept. */
  #store: Buffer | null = null;
  #state: State = 'head';
  #error: ProtocolError | null = null;
  /** Head scan progress, relative to #pos (the head's first byte). */
  #scanRel = 0;
  /** Bytes of the pending head, from #pos, already checked for a bare CR (see #checkPartialBareCr). */
  #crScanRel = 0;
  /** Start and end (before CR) of each complete line of the head so far, relative to #pos; #lineCount entries are used. */
  #lines: number[] = [];
  #lineCount = 0;
  /** The head being parsed: where it starts and ends in #buf, and its text once made (see #cut). */
  #headBase = 0;
  #headEnd = 0;
  #headText: string | undefined = undefined;
  /** The previous request's field section, reused when the next request repeats it (see #head). */
  readonly #remembered = new RememberedSection();
  /** Body bytes left in the Content-Length body or the current chunk. */
  #remaining = 0;
  #bodyBytes = 0;
  #trailers: string[] = [];
  #trailerBytes = 0;

  /**
   * @param limits Overrides of DEFAULT_PARSER_LIMITS, resolved once into a frozen object
   * (resolveParserLimits: a frozen object that sets all five is shared, not copied). Changing
   * `limits` afterwards changes nothing for this parser.
   */
  constructor(limits?: Partial<ParserLimits>) {
    this.#limits = resolveParserLimits(limits);
  }

  /** The parser's state: 'head' while waiting for a request, 'paused' after one ended, 'error' once dead. */
  get state(): State {
    return this.#state;
  }

  /** Bytes received but not yet consumed (a caller bounds memory with this while paused). */
  get bufferedBytes(): number {
    return this.#buf.length - this.#pos;
  }

  /** True when no byte of a next request has arrived (used to tell idle from mid-request). */
  get isIdle(): boolean {
    return this.#state === 'head' && this.#buf.length === this.#pos;
  }

  /** Appends bytes to the input. */
  receive(data: Uint8Array): void {
    if (data.length === 0 || this.#state === 'error') return;
    const len = this.#buf.length;
    if (len === this.#pos) {
      this.#buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
      this.#pos = 0;
      this.#store = null;
      return;
    }
    const store = this.#store;
    if (store !== null && len + data.length <= store.length) {
      // Append in place, after the end: bytes already handed out as views stay untouched.
      store.set(data, len);
      this.#buf = store.subarray(0, len + data.length);
      return;
    }
    // Never compact in place: views of old bytes given to the caller must stay valid.
    const left = len - this.#pos;
    const need = left + data.length;
    const grown = Buffer.allocUnsafe(Math.max(need * 2, INITIAL_STORE_BYTES));
    this.#buf.copy(grown, 0, this.#pos);
    grown.set(data, left);
    this.#store = grown;
    this.#buf = grown.subarray(0, need);
    this.#pos = 0;
  }

  /** Resumes parsing after a request's `end` event: the caller is ready for the next request. */
  startNextRequest(): void {
    if (this.#state === 'error') throw this.#error!;
    if (this.#state !== 'paused') throw new Error(`startNextRequest() in state ${this.#state}`);
    this.#state = 'head';
    if (this.#pos === this.#buf.length) {
      // Everything was consumed: let go of the input so an idle connection holds no buffer.
      this.#buf = EMPTY;
      this.#pos = 0;
      this.#store = null;
    }
  }

  /** The next event, NEED_DATA or PAUSED. Throws ProtocolError on invalid input. */
  nextEvent(): ParserEvent | typeof NEED_DATA | typeof PAUSED {
    try {
      switch (this.#state) {
        case 'head':
          return this.#head();
        case 'body':
          return this.#lengthBody();
        case 'chunk-size':
        case 'chunk-data':
        case 'chunk-crlf':
        case 'trailers':
          return this.#chunked();
        case 'end':
          this.#state = 'paused';
          return END_NO_TRAILERS;
        case 'paused':
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

  // ---- head -------------------------------------------------------------

  /** Locates the head's lines (positions relative to #pos, the head's first byte), then parses it. */
  #head(): RequestEvent | typeof NEED_DATA {
    const buf = this.#buf;
    // Nothing received since the last request (a keep-alive connection between requests): no
    // partial head to bound or scan, and no native call to make.
    if (buf.length === this.#pos) return NEED_DATA;
    const limits = this.#limits;
    const lines = this.#lines;
    let n = this.#lineCount;
    let ls = this.#pos + this.#scanRel;
    for (;;) {
      const nl = buf.indexOf(LF, ls);
      if (nl === -1) {
        this.#scanRel = ls - this.#pos;
        this.#lineCount = n;
        this.#checkPartialHead(ls);
        this.#checkPartialBareCr();
        return NEED_DATA;
      }
      // Limits before syntax, on the bytes before the LF as #checkPartialHead counts them: a line
      // that is both too long and badly ended gets the same status however it was split (STYLE.md
      // rule 7). Each error is thrown through #orBareCr with the index of the byte whose arrival
      // would have raised it had the bytes come one at a time (see #orBareCr).
      if (nl - ls > 1) {
        if (n === 0) {
          // "+ 1": the CR, which maxRequestLineBytes excludes.
          if (nl - ls > limits.maxRequestLineBytes + 1) {
            throw this.#orBareCr(new UriTooLongError(limits.maxRequestLineBytes), this.#pos, ls + limits.maxRequestLineBytes + 1);
          }
        } else {
          const fieldsStart = this.#pos + lines[1] + 2;
          const isOverBytes = nl + 1 - fieldsStart > limits.maxHeaderBytes;
          if (isOverBytes || n / 2 > limits.maxHeaderCount) {
            // Both are 431, but a byte count over the limit is found before this line's LF when
            // the bytes trickle in (#checkPartialHead): that earlier byte is the one a bare CR
            // must come before to win.
            const at = isOverBytes ? Math.min(nl, fieldsStart + limits.maxHeaderBytes + 1) : nl;
            const why = isOverBytes ? `header section exceeds ${limits.maxHeaderBytes} bytes` : `more than ${limits.maxHeaderCount} header fields`;
            throw this.#orBareCr(new HeaderTooLargeError(why), this.#pos, at);
          }
        }
      }
      // RFC 9112 §2.2: a bare LF line terminator is refused, not guessed at.
      if (nl === ls || buf[nl - 1] !== CR) throw this.#orBareCr(new BadRequestError('bare LF line terminator', 'ERR_BARE_LF'), this.#pos, nl);
      const lineEnd = nl - 1;
      if (lineEnd === ls) {
        if (n === 0) {
          // RFC 9112 §2.2: ignore empty lines received before the request line.
          this.#pos = ls = nl + 1;
          this.#crScanRel = 0;
          continue;
        }
        const head = this.#parseHeadAt(buf, lines, n, false, nl);
        this.#pos = nl + 1;
        this.#scanRel = 0;
        this.#crScanRel = 0;
        this.#lineCount = 0;
        return head;
      }
      lines[n++] = ls - this.#pos;
      lines[n++] = lineEnd - this.#pos;
      ls = nl + 1;
      if (n === 2) {
        // Right after the request line, the one place a field section is reused: when the
        // previous request's section follows, byte for byte, then the empty line, the head is
        // complete without locating its lines one by one. Those bytes passed this parser's
        // limits before, and the limits are frozen; they hold no CR but the line ends (they
        // were validated). The request line is checked by #parseHead, and a bare CR in it is
        // reported as such by #parseHeadAt. A head whose fields had not all arrived when its
        // request line was read is parsed in full.
        const end = this.#remembered.repeatEnd(buf, ls);
        if (end !== -1) {
          const head = this.#parseHeadAt(buf, lines, n, true, end);
          this.#pos = end + 1;
          this.#scanRel = 0;
          this.#crScanRel = 0;
          this.#lineCount = 0;
          return head;
        }
      }
    }
  }

  /**
   * #parseHead on the complete head buf[#pos, end], end being its final LF. The syntax checks
   * refuse a CR anywhere but before an LF, with the code of the element it is in; a head that
   * holds a bare CR is refused as ERR_BARE_CR instead, as it is when its bytes come one at a
   * time (#checkPartialBareCr): the error must not depend on the delivery (STYLE.md rule 7).
   */
  #parseHeadAt(buf: Buffer, lines: number[], n: number, repeated: boolean, end: number): RequestEvent {
    try {
      return this.#parseHead(buf, this.#pos, lines, n, repeated);
    } catch (err) {
      throw err instanceof ProtocolError ? this.#orBareCr(err, this.#pos, end) : err;
    }
  }

  /**
   * Fails early when a head still without its end already breaks a limit. `ls` is where its
   * pending (LF-less) line starts.
   */
  #checkPartialHead(ls: number): void {
    const limits = this.#limits;
    if (this.#lineCount === 0) {
      if (this.#buf.length - ls > limits.maxRequestLineBytes + 1) {
        throw this.#orBareCr(new UriTooLongError(limits.maxRequestLineBytes), this.#pos, ls + limits.maxRequestLineBytes + 1);
      }
    } else {
      const fieldsStart = this.#pos + this.#lines[1] + 2;
      if (this.#buf.length - fieldsStart > limits.maxHeaderBytes + 1) {
        // "+ 1": a pending CR may be the start of the empty line that ends the head, which the
        // complete-line check does not count; without it, an exact-limit head split before its
        // final LF would get 431 while the same bytes in one piece pass (STYLE.md rule 7).
        const at = fieldsStart + limits.maxHeaderBytes + 1;
        throw this.#orBareCr(new HeaderTooLargeError(`header section exceeds ${limits.maxHeaderBytes} bytes`), this.#pos, at);
      }
    }
  }

  /**
   * RFC 9112 §2.2: a CR that is not followed by LF is a bare CR, refused as soon as the byte
   * after it arrives (issue #12): a head whose lines end in bare CRs has no LF to wait for, and
   * would otherwise sit until the header timeout. Scans only the bytes not seen before, so a
   * head received byte by byte is still scanned once; a CR that is the last byte received is
   * left for the next call, when its LF may have come.
   */
  #checkPartialBareCr(): void {
    const buf = this.#buf;
    const from = this.#pos + this.#crScanRel;
    // Fewer than two new bytes hold no CR with a byte after it: the usual case of a keep-alive
    // connection asking for its next request with nothing received costs no native call.
    if (buf.length - from < 2) return;
    if (bareCrIndex(buf, from, buf.length) !== -1) throw new BadRequestError('bare CR', 'ERR_BARE_CR');
    this.#crScanRel = buf.length - this.#pos - (buf[buf.length - 1] === CR ? 1 : 0);
  }

  /**
   * `err` (found on a complete unit, or on a limit), or a bare-CR error when buf[s, at) holds a
   * bare CR. `at` is the index of the byte whose arrival raises `err` when the bytes come one at
   * a time; a bare CR at p is found when byte p + 1 arrives, before the limit checks of a later
   * byte and after those of the same byte. So every delivery reports whichever comes first in
   * the byte stream, and the same error for the same bytes (STYLE.md rule 7). Only error paths
   * call it: the scan costs nothing on a valid message.
   */
  #orBareCr(err: ProtocolError, s: number, at: number): ProtocolError {
    return bareCrIndex(this.#buf, s, at) === -1 ? err : new BadRequestError('bare CR', 'ERR_BARE_CR');
  }

  /**
   * The head's text from buf[s, e), a slice of one latin1 string of the whole head, made by a
   * single native call on first need (one call, then JS slices: no C++ crossing per field).
   */
  #cut(buf: Buffer, s: number, e: number): string {
    const base = this.#headBase;
    return (this.#headText ??= (buf as Latin1).latin1Slice(base, this.#headEnd)).slice(s - base, e - base);
  }

  /**
   * Parses the field lines (RFC 9112 §5) into `rawHeaders` and returns the facts that drive
   * framing; remembers the section for the next request.
   */
  #parseFields(buf: Buffer, base: number, lines: number[], n: number, rawHeaders: string[]): SectionFacts {
    let host = '';
    let hostCount = 0;
    let contentLength = -1;
    let codings: string[] | null = null;
    let connection = 0;
    let expectContinue = false;
    for (let k = 2; k < n; k += 2) {
      const s = base + lines[k];
      const e = base + lines[k + 1];
      scanFieldLine(buf, s, e, LINE, requestSyntaxError);
      const colon = LINE.colon;
      const vs = LINE.valueStart;
      const ve = LINE.valueEnd;
      const value = this.#cut(buf, vs, ve);
      rawHeaders.push(this.#cut(buf, s, colon), value);
      // The fields that drive parsing are recognized on the bytes: length first, then ASCII case-insensitively.
      switch (colon - s) {
        case 4:
          if (equalsLower(buf, s, 'host')) {
            // RFC 9112 §3.2: more than one Host, or an invalid one, gets 400.
            if (++hostCount > 1) throw new BadRequestError('duplicate Host', 'ERR_DUPLICATE_HOST');
            if (!isValidHostBytes(buf, vs, ve)) throw new BadRequestError('invalid Host', 'ERR_INVALID_HOST');
            host = value;
          }
          break;
        case 6:
          if (equalsLower(buf, s, 'expect')) {
            // RFC 9110 §10.1.1: the only expectation defined is 100-continue (a 1.0 client's one is ignored later).
            if (value.toLowerCase() !== '100-continue') throw new ExpectationFailedError();
            expectContinue = true;
          }
          break;
        case 10:
          if (equalsLower(buf, s, 'connection')) connection |= connectionOptions(value);
          break;
        case 14:
          if (equalsLower(buf, s, 'content-length')) {
            // RFC 9112 §6.3 ¶5 and RFC 9110 §8.6: a second Content-Length, even an equal one, or
            // a value that is not 1*DIGIT, is an unrecoverable framing error.
            if (contentLength !== -1) throw new BadRequestError('duplicate Content-Length', 'ERR_INVALID_CONTENT_LENGTH');
            contentLength = parseContentLength(value, requestSyntaxError);
          }
          break;
        case 17:
          if (equalsLower(buf, s, 'transfer-encoding')) appendTransferCodings(value, (codings ??= []), requestSyntaxError);
          break;
      }
    }
    const facts: SectionFacts = { host, hostCount, contentLength, codings, connection, expectContinue };
    // Clients repeat the same fields on every request of a connection: the section (from the
    // first field line to the end of the last) is kept, so the next request can be compared
    // with it instead of parsed (see #head). A head without fields leaves nothing to compare.
    if (n > 2) this.#remembered.remember(buf, base + lines[2], base + lines[n - 1], this.#headEnd - base, rawHeaders, facts);
    else this.#remembered.forget();
    return facts;
  }

  /**
   * Parses a complete head whose lines are in `lines` (n entries). `repeated`: only the request
   * line was located, and the remembered field section follows it (see #head).
   */
  #parseHead(buf: Buffer, base: number, lines: number[], n: number, repeated: boolean): RequestEvent {
    this.#headBase = base;
    this.#headEnd = base + lines[n - 1];
    this.#headText = undefined;
    // ---- request line (RFC 9112 §3): method SP request-target SP HTTP-version
    const rs = base + lines[0];
    const re = base + lines[1];
    let i = rs;
    while (i < re && TOKEN[buf[i]] === 1) i++;
    if (i === rs || i === re || buf[i] !== SP) throw new BadRequestError('invalid method or separator', 'ERR_INVALID_REQUEST_LINE');
    const method = knownString(METHODS, buf, rs, i) ?? this.#cut(buf, rs, i);
    const ts = ++i;
    while (i < re && TARGET[buf[i]] === 1) i++;
    if (i === ts || i === re || buf[i] !== SP) throw new BadRequestError('invalid request-target', 'ERR_INVALID_TARGET');
    const target = i - ts === 1 && buf[ts] === 0x2f ? '/' : this.#cut(buf, ts, i);
    const version = parseVersion(buf, i + 1, re, requestSyntaxError);
    const authority = checkTargetForm(method, target);

    // ---- header section (RFC 9112 §5)
    // The same field lines as the previous request: the same facts, in a new array (the request owns it).
    let rawHeaders: string[];
    let facts: SectionFacts;
    if (repeated) {
      const remembered = this.#remembered;
      rawHeaders = remembered.copyFields();
      facts = remembered.facts;
    } else {
      rawHeaders = [];
      facts = this.#parseFields(buf, base, lines, n, rawHeaders);
    }
    // RFC 9112 §3.2.2: with an absolute-form target, the target's authority is the request's
    // host, not the Host field (still required and checked): the request exposes it as its
    // Host field too, so nothing downstream can read the other one (issue #12).
    const host = authority === undefined ? facts.host : exposeAuthority(rawHeaders, authority);
    const contentLength = facts.contentLength;
    const codings = facts.codings;
    const expectContinue = facts.expectContinue && version === '1.1';
    // RFC 9112 §3.2: a 1.1 request without Host gets 400.
    if (version === '1.1' && facts.hostCount === 0) throw new BadRequestError('missing Host', 'ERR_MISSING_HOST');

    let bodyKind: BodyKind = 'none';
    if (codings !== null) {
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
      if (version === '1.0') throw new BadRequestError('Transfer-Encoding in HTTP/1.0', 'ERR_INVALID_TRANSFER_ENCODING');
      // RFC 9112 §6.3 ¶3: TE with CL is a smuggling shape; we refuse it instead of letting TE win.
      if (contentLength !== -1) throw new BadRequestError('both Content-Length and Transfer-Encoding', 'ERR_CONFLICTING_FRAMING');
      // RFC 9112 §6.3 ¶4: in a request, chunked must be the final coding, else 400; §6.1: once,
      // and a transfer coding we do not implement gets 501.
      checkChunkedCodings(codings, requestSyntaxError);
      bodyKind = 'chunked';
      this.#state = 'chunk-size';
      this.#bodyBytes = 0;
      this.#trailers = [];
      this.#trailerBytes = 0;
    } else if (contentLength > 0) {
      if (contentLength > this.#limits.maxBodyBytes) throw new PayloadTooLargeError(this.#limits.maxBodyBytes);
      bodyKind = 'length';
      this.#remaining = contentLength;
      this.#state = 'body';
    } else {
      // RFC 9112 §6.3 ¶7: a request with neither CL nor TE has no body.
      this.#state = 'end';
    }
    const keepAlive = isPersistent(version, facts.connection);
    this.#headText = undefined;
    return {
      type: 'request',
      method,
      target,
      version,
      rawHeaders,
      bodyKind,
      contentLength: bodyKind === 'chunked' ? -1 : Math.max(contentLength, 0),
      keepAlive,
      expectContinue: expectContinue && bodyKind !== 'none',
      host,
    };
  }

  // ---- bodies -----------------------------------------------------------

  #lengthBody(): DataEvent | EndEvent | typeof NEED_DATA {
    const avail = this.#buf.length - this.#pos;
    if (avail === 0) return NEED_DATA;
    const n = avail < this.#remaining ? avail : this.#remaining;
    const data = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    this.#remaining -= n;
    if (this.#remaining === 0) this.#state = 'end';
    return { type: 'data', data };
  }

  #chunked(): DataEvent | EndEvent | typeof NEED_DATA {
    const buf = this.#buf;
    for (;;) {
      switch (this.#state) {
        case 'chunk-size': {
          const s = this.#pos;
          const nl = buf.indexOf(LF, s);
          // RFC 9112 §7.1.1: the size line is bounded by the same count whether or not its LF
          // has arrived, so leading zeros cannot pass in one piece and fail when split. Errors go
          // through #orBareCr for the same reason (see #head).
          const maxLineBytes = maxChunkSizeLineBytes(this.#limits.maxChunkExtensionBytes);
          if ((nl === -1 ? buf.length : nl) - s > maxLineBytes) {
            throw this.#orBareCr(new BadRequestError('chunk-size line too long', 'ERR_CHUNK_EXTENSION_TOO_LONG'), s, s + maxLineBytes);
          }
          if (nl === -1) {
            // RFC 9112 §2.2: a bare CR is refused as soon as the byte after it arrives (#12).
            if (bareCrIndex(buf, s, buf.length) !== -1) throw new BadRequestError('bare CR in chunk-size line', 'ERR_BARE_CR');
            return NEED_DATA;
          }
          if (nl === s || buf[nl - 1] !== CR) throw this.#orBareCr(new BadRequestError('bare LF in chunked body', 'ERR_BARE_LF'), s, nl);
          let size: number;
          try {
            size = parseChunkSizeLine(buf, s, nl - 1, this.#limits.maxChunkExtensionBytes, requestSyntaxError);
          } catch (err) {
            throw err instanceof ProtocolError ? this.#orBareCr(err, s, nl) : err;
          }
          this.#pos = nl + 1;
          if (size === 0) {
            this.#state = 'trailers';
            break;
          }
          this.#bodyBytes += size;
          if (this.#bodyBytes > this.#limits.maxBodyBytes) throw new PayloadTooLargeError(this.#limits.maxBodyBytes);
          this.#remaining = size;
          this.#state = 'chunk-data';
          break;
        }
        case 'chunk-data': {
          const avail = buf.length - this.#pos;
          if (avail === 0) return NEED_DATA;
          const n = avail < this.#remaining ? avail : this.#remaining;
          const data = buf.subarray(this.#pos, this.#pos + n);
          this.#pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          return { type: 'data', data };
        }
        case 'chunk-crlf': {
          if (buf.length - this.#pos < 2) {
            if (buf.length > this.#pos && buf[this.#pos] !== CR) throw new BadRequestError('chunk data not followed by CRLF', 'ERR_INVALID_CHUNK');
            return NEED_DATA;
          }
          // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
          if (buf[this.#pos] !== CR || buf[this.#pos + 1] !== LF) throw new BadRequestError('chunk data not followed by CRLF', 'ERR_INVALID_CHUNK');
          this.#pos += 2;
          this.#state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const s = this.#pos;
          const nl = buf.indexOf(LF, s);
          const maxBytes = this.#limits.maxHeaderBytes;
          // Where the section passes maxHeaderBytes + 1 bytes: the pending check's trigger.
          const overAt = s + maxBytes + 1 - this.#trailerBytes;
          if (nl === -1) {
            // "+ 1": a pending CR may start the final empty line, which is not counted (see #checkPartialHead).
            if (buf.length > overAt) {
              throw this.#orBareCr(new HeaderTooLargeError(`trailer section exceeds ${maxBytes} bytes`), s, overAt);
            }
            // RFC 9112 §2.2: a bare CR is refused as soon as the byte after it arrives (#12).
            if (bareCrIndex(buf, s, buf.length) !== -1) throw new BadRequestError('bare CR in trailers', 'ERR_BARE_CR');
            return NEED_DATA;
          }
          // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), same syntax and limits as headers.
          // Limits before syntax, as in #head, so the status does not depend on how bytes were split.
          if (nl - s > 1) {
            if (this.#trailerBytes + nl + 1 - s > maxBytes) {
              throw this.#orBareCr(new HeaderTooLargeError(`trailer section exceeds ${maxBytes} bytes`), s, Math.min(nl, overAt));
            }
            if (this.#trailers.length / 2 >= this.#limits.maxHeaderCount) {
              throw this.#orBareCr(new HeaderTooLargeError(`more than ${this.#limits.maxHeaderCount} trailer fields`), s, nl);
            }
          }
          if (nl === s || buf[nl - 1] !== CR) throw this.#orBareCr(new BadRequestError('bare LF in trailers', 'ERR_BARE_LF'), s, nl);
          const e = nl - 1;
          if (s === e) {
            this.#pos = nl + 1;
            this.#state = 'paused';
            const trailers = this.#trailers;
            return trailers.length === 0 ? END_NO_TRAILERS : { type: 'end', trailers };
          }
          try {
            // RFC 9112 §7.1.2: trailer fields have the syntax of header fields: the same scan.
            scanFieldLine(buf, s, e, LINE, requestSyntaxError);
          } catch (err) {
            throw err instanceof ProtocolError ? this.#orBareCr(err, s, nl) : err;
          }
          this.#pos = nl + 1;
          this.#trailerBytes += nl + 1 - s;
          const b = buf as Latin1;
          const name = b.latin1Slice(s, LINE.colon);
          // RFC 9110 §6.5.1: fields that frame, route, authenticate or modify the request cannot
          // be acted on after the content; a sender must not generate them as trailers. Refused
          // rather than kept or dropped (docs/wire.md, "Trailers"; issue #12).
          if (FORBIDDEN_TRAILER_FIELDS.has(name.toLowerCase())) {
            throw new BadRequestError('field not allowed in trailers', 'ERR_FORBIDDEN_TRAILER');
          }
          this.#trailers.push(name, b.latin1Slice(LINE.valueStart, LINE.valueEnd));
          break;
        }
        default:
          throw new Error(`unreachable chunked state ${this.#state}`);
      }
    }
  }
}

// ---- the request's own rules and tables -------------------------------------

/**
 * Fields refused in a trailer section (400 ERR_FORBIDDEN_TRAILER), lower-case. RFC 9110 §6.5.1:
 * fields needed before the content is read, "such as those that describe message framing,
 * routing, authentication, request modifiers, response controls, or content format", cannot be
 * processed as trailers, and a sender must not generate them there. The list spells out those
 * classes for a request, as RFC 7230 §4.1.2 enumerated them:
 *  - framing and content format: Content-Length, Transfer-Encoding, Trailer (RFC 9112 §6,
 *    RFC 9110 §6.6.2), Content-Encoding, Content-Type, Content-Range (RFC 9110 §8);
 *  - routing and connection control: Host (RFC 9110 §7.2), Connection and the fields it governs,
 *    Keep-Alive, Proxy-Connection, TE, Upgrade (RFC 9110 §7.6.1, §7.8, §10.1.4), Max-Forwards (§7.6.2);
 *  - request modifiers: Expect (§10.1.1), Range (§14.2), the conditionals If-Match,
 *    If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range (§13.1), Cache-Control and
 *    Pragma (RFC 9111 §5.2, §5.4);
 *  - authentication: Authorization, Proxy-Authorization (RFC 9110 §11.6), Cookie (RFC 6265 §5.4).
 * keel acts on none of them after the head, but a handler reading req.trailers, or a component
 * merging trailers into headers, could (Apache's CVE-2013-5704 let trailers override headers).
 */
const FORBIDDEN_TRAILER_FIELDS: ReadonlySet<string> = new Set([
  'content-length', 'transfer-encoding', 'trailer', 'content-encoding', 'content-type', 'content-range',
  'host', 'connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'max-forwards',
  'expect', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range',
  'cache-control', 'pragma',
  'authorization', 'proxy-authorization', 'cookie',
]);

/**
 * Makes `authority` the request's Host and returns the host the request exposes: a Host field
 * that names the same authority (host and port compare ASCII case-insensitively, RFC 3986
 * §6.2.2.1) is kept as sent, another value is replaced by the authority, and a Host field is
 * put first when there is none (an HTTP/1.0 request may omit it).
 */
function exposeAuthority(rawHeaders: string[], authority: string): string {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 4 && name.toLowerCase() === 'host') {
      const value = rawHeaders[i + 1];
      if (value.length === authority.length && value.toLowerCase() === authority.toLowerCase()) return value;
      rawHeaders[i + 1] = authority;
      return authority;
    }
  }
  rawHeaders.unshift('Host', authority);
  return authority;
}

/**
 * Methods by length: when the bytes match one exactly (case-sensitive, RFC 9110 §9.1), the
 * shared constant is used instead of a new slice. (Field names are sliced: comparing a name
 * with a list of known ones cost more than the slice it saved.)
 */
function byLength(words: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const w of words) (out[w.length] ??= []).push(w);
  return out;
}
const METHODS = byLength(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** The entry of `table` equal to the bytes buf[s, e), or undefined. */
function knownString(table: string[][], buf: Buffer, s: number, e: number): string | undefined {
  const words = table[e - s];
  if (words === undefined) return undefined;
  next: for (let w = 0; w < words.length; w++) {
    const word = words[w];
    for (let i = 0; i < word.length; i++) if (buf[s + i] !== word.charCodeAt(i)) continue next;
    return word;
  }
  return undefined;
}
