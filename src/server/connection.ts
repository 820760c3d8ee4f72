/**
 * Connection: drives the sans-IO parser over one socket and runs the handler.
 *
 * Owns one client connection's life: reading, dispatching requests one at a
 * time (which keeps pipelined responses in request order, RFC 9112 §9.3.2),
 * body reads with backpressure, 100-continue, persistence, timeouts, error
 * responses and the lingering close. States and their legal moves are in
 * state.ts; this file only calls `transition()`.
 *
 * Theory of operation
 * -------------------
 * Bytes go into the parser as they arrive. When no request is in progress,
 * `#process()` pulls events: a complete head creates an IncomingRequest and an
 * OutgoingResponse and calls the handler. While a request is in progress the
 * parser is left alone, except by the request's body reader, which pulls body
 * events and waits for data when it needs more. When the response ends, the
 * rest of an unread body is discarded (or the connection closed), the parser is
 * resumed and the loop goes on with the next request already buffered. While a
 * batch of pipelined requests is answered, their output is collected (a latin1
 * string for heads and ASCII bodies, buffers otherwise) and leaves in one write;
 * writes outside a batch go straight to the socket.
 *
 * Timeouts are deadlines (a number), checked by the server's single sweep.
 */
import type { Socket } from 'node:net';
import { ProtocolError } from '../wire/errors.js';
import { NEED_DATA, PAUSED, RequestParser, type RequestEvent } from '../wire/parser.js';
import { reasonPhrase } from '../wire/status.js';
import { dateLine } from './date.js';
import type { Handler } from './handler.js';
import type { ResponseHeadCache } from './head-cache.js';
import { RequestAbortedError, RequestBodyDiscardedError, RequestTimeoutError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { IncomingRequest, type BodySource, type ConnectionInfo } from './request.js';
import { OutgoingResponse, type ResponseSink } from './response.js';
import { transition, type ConnState } from './state.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: Readonly<ResolvedOptions>;
  readonly handler: Handler;
  /** The server's response head cache, shared by its connections. */
  readonly heads: ResponseHeadCache;
  /** True once the server is shutting down: finish the current exchange, then close. */
  readonly isShuttingDown: boolean;
  connectionClosed(conn: Connection): void;
}

/**
 * What the pending deadline bounds. 'body': a handler waiting for body bytes (bodyTimeoutMs per
 * wait, minBodyBytesPerSecond overall); 'discard': dropping the unread body of an answered
 * request to reach the next one (discardTimeoutMs in all); 'idle' while shutting down: the end
 * of shutdownIdleGraceMs.
 */
type Deadline = 'none' | 'headers' | 'body' | 'discard' | 'idle' | 'linger';

const CONTINUE_100 = 'HTTP/1.1 100 Continue\r\n\r\n';

/** One client connection. */
export class Connection implements BodySource, ResponseSink, ConnectionInfo {
  state: ConnState = 'new';
  /** When the pending deadline expires (server clock, ms), or 0. Read by the server's sweep. */
  deadline = 0;
  /** When a response stuck in a full send buffer times out (`sendTimeoutMs`), or 0. Read by the sweep. */
  sendDeadline = 0;
  readonly socket: Socket;
  readonly isSecure: boolean;
  readonly #host: ConnectionHost;
  readonly #opts: Readonly<ResolvedOptions>;
  readonly #parser: RequestParser;
  #deadlineKind: Deadline = 'none';
  #req: IncomingRequest | null = null;
  #res: OutgoingResponse | null = null;
  #head: RequestEvent | null = null;
  #bodyDone = true;
  /**
   * The response ended before the body was read: the rest is being dropped (bounded by
   * maxDiscardBytes and discardTimeoutMs, issue #12) to reach the next request. A phase of the
   * 'active' state, kept as this flag until the states become one table (issue #14).
   */
  #discarding = false;
  /**
   * Accounting of the current body phase, reading or discarding (reset when either starts):
   * body bytes taken from the parser, time spent waiting for the client's next bytes, and when
   * the wait in progress began (-1: none). A total bound needs totals: a per-wait timer alone
   * let a client trickling 10 bytes every 10 s hold a connection for a day (issue #12).
   */
  #bodyBytes = 0;
  #bodyWaitedMs = 0;
  #bodyWaitStart = -1;
  #continueSent = false;
  #mustClose = false;
  #requests = 0;
  #inLoop = false;
  #paused = false;
  #bodyWaiter: (() => void) | null = null;
  #bodyError: Error | null = null;
  /** The peer half-closed: answer what it sent, then close. */
  #peerEnded = false;
  /** Waiting for the socket to drain before answering more pipelined requests. */
  #waitingDrain = false;
  /**
   * Output collected while a batch is answered (non-null only inside #process): byte
   * chunks, and a latin1 string still being appended to (V8 concatenates cheaply).
   */
  #out: Uint8Array[] | null = null;
  /** The one array #out points to while batching, kept across batches. */
  readonly #outList: Uint8Array[] = [];
  #outStr = '';
  #outBytes = 0;
  #drainWait: Promise<void> | null = null;
  /**
   * The clock, read once when a batch of requests starts to be answered (nginx reads its time
   * once per event-loop turn the same way): reading it costs as much as the rest of a small
   * response. A response made later, by a handler that awaited, reads the clock itself.
   */
  #batchNow = 0;
  /**
   * The peer, recorded at accept (issue #12): once the socket is closed Node can no longer tell
   * it, and a handler or access log that runs after a client left early would see ''. Strings
   * and numbers, not an object: two fields are all an idle connection pays for it.
   */
  readonly #remoteAddress: string;
  readonly #remotePort: number;

  /** `remote` overrides the socket's peer (the client a PROXY protocol header names). */
  constructor(socket: Socket, host: ConnectionHost, isSecure: boolean, remote?: { address: string; port: number }) {
    this.socket = socket;
    // One getpeername() per connection; Node caches the result on the socket, so the second
    // getter is free. The PROXY protocol's header names the client instead.
    this.#remoteAddress = remote?.address ?? socket.remoteAddress ?? '';
    this.#remotePort = remote?.port ?? socket.remotePort ?? 0;
    this.isSecure = isSecure;
    this.#host = host;
    this.#opts = host.options;
    this.#parser = new RequestParser(host.options);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {
      // A reset or EPIPE from the peer: 'close' follows and cleans up. Nothing to answer.
    });
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => {
      this.sendDeadline = 0; // the client is reading: progress
    });
    socket.on('close', () => this.#onClose());
    // A client that connects and says nothing gets the head timeout, not the longer idle one.
    this.#setDeadline('headers', this.#opts.headersTimeoutMs);
  }

  // ---- ConnectionInfo (the local side read lazily: each getter is a syscall in libuv) ----

  get remoteAddress(): string {
    return this.#remoteAddress;
  }
  get remotePort(): number {
    return this.#remotePort;
  }
  get localAddress(): string {
    return this.socket.localAddress ?? '';
  }
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /** Number of requests dispatched on this connection. */
  get requestCount(): number {
    return this.#requests;
  }

  // ---- input --------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return; // lingering: discard
    this.#parser.receive(chunk);
    if (this.#req !== null) {
      const waiter = this.#bodyWaiter;
      if (waiter !== null) {
        this.#bodyWaiter = null;
        waiter();
      } else if (this.#discarding) {
        this.#discard();
      }
      if (this.#req !== null && this.#parser.bufferedBytes > this.#opts.maxBufferedBytes) this.#pause();
      return;
    }
    this.#process();
  }

  #pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  #resume(): void {
    if (this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  /** Pulls requests from the parser while no request is in progress. */
  #process(): void {
    if (this.#inLoop) return;
    this.#inLoop = true;
    this.#batchNow = this.#opts.clock();
    const socket = this.socket;
    // Responses to a batch of pipelined requests are collected and leave in one write:
    // one syscall with one buffer instead of a writev of many small ones.
    this.#out = this.#outList;
    try {
      while (this.#req === null && (this.state === 'new' || this.state === 'idle' || this.state === 'active')) {
        // A client that pipelines requests but does not read the responses would make us
        // buffer them without bound: stop reading and answering until the socket drains.
        if (socket.writableNeedDrain) {
          this.#waitForDrain();
          break;
        }
        let ev;
        try {
          ev = this.#parser.nextEvent();
        } catch (err) {
          this.#failBeforeDispatch(err);
          break;
        }
        if (ev === NEED_DATA) {
          if (this.#peerEnded) {
            this.#startClosing();
            break;
          }
          if (!this.#parser.isIdle) {
            // A partial head makes the connection active, the first one too ('new' means no byte
            // yet), so shutdown answers it instead of dropping it as idle.
            if (this.state !== 'active') this.state = transition(this.state, 'active');
            // The deadline runs from the head's first byte: later bytes do not push it back (slowloris).
            if (this.#deadlineKind !== 'headers') this.#setDeadline('headers', this.#opts.headersTimeoutMs);
          }
          break;
        }
        if (ev === PAUSED || ev.type !== 'request') throw new Error('parser out of step with connection');
        this.#dispatch(ev);
      }
    } finally {
      this.#inLoop = false;
      this.#flush();
      this.#out = null;
    }
  }

  /** Writes what the current batch collected. */
  #flush(): void {
    const out = this.#out;
    if (out === null) return;
    if (out.length === 0) {
      if (this.#outStr.length === 0) return;
      const str = this.#outStr;
      this.#outStr = '';
      this.#outBytes = 0;
      this.#socketWrite(str);
      return;
    }
    this.#takeString(out);
    const data = out.length === 1 ? out[0] : Buffer.concat(out, this.#outBytes);
    out.length = 0;
    this.#outBytes = 0;
    this.#socketWrite(data);
  }

  /** Moves the pending latin1 string into the chunk list (before a byte chunk is added). */
  #takeString(out: Uint8Array[]): void {
    if (this.#outStr.length === 0) return;
    out.push(Buffer.from(this.#outStr, 'latin1'));
    this.#outStr = '';
  }

  #socketWrite(data: Uint8Array | string): boolean {
    if (this.isClosed) return false;
    const ok = typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
    if (!ok && this.sendDeadline === 0 && this.#opts.sendTimeoutMs > 0) {
      this.sendDeadline = this.#opts.clock() + this.#opts.sendTimeoutMs;
    }
    return ok;
  }

  #waitForDrain(): void {
    if (this.#waitingDrain) return;
    this.#waitingDrain = true;
    this.#pause();
    this.socket.once('drain', () => {
      this.#waitingDrain = false;
      this.#resume();
      this.#process();
    });
  }

  #dispatch(head: RequestEvent): void {
    if (this.state !== 'active') this.state = transition(this.state, 'active');
    this.#clearDeadline();
    this.#requests++;
    const max = this.#opts.maxRequestsPerConnection;
    // Shutdown is not a reason to close here: canKeepAlive() decides when the head is built,
    // so that a request already read behind this one is answered too (see shutdown()).
    if (max !== 0 && this.#requests >= max) this.#mustClose = true;
    this.#head = head;
    this.#continueSent = false;
    this.#discarding = false;
    this.#bodyBytes = 0;
    this.#bodyWaitedMs = 0;
    this.#bodyWaitStart = -1;
    this.#bodyError = null;
    const req = new IncomingRequest(head, this, this);
    const res = new OutgoingResponse(this, head.method, head.version, this.#host.heads);
    this.#req = req;
    this.#res = res;
    if (head.bodyKind === 'none') {
      this.#parser.nextEvent(); // the request's `end` event; the parser is now paused
      this.#bodyDone = true;
    } else {
      this.#bodyDone = false;
    }
    let result;
    try {
      result = this.#host.handler(req, res);
    } catch (err) {
      this.#handlerFailed(res, err);
      return;
    }
    // `!= null`: a plain-JS handler may return null, which has no `.then` to look up.
    if (result != null && typeof (result as Promise<void>).then === 'function') {
      try {
        (result as Promise<void>).then(
          () => this.#handlerReturned(res),
          (err: unknown) => this.#handlerFailed(res, err),
        );
      } catch (err) {
        // A thenable's then() may throw: it would escape the socket's 'data' event (a crash).
        this.#handlerFailed(res, err);
      }
    } else {
      this.#handlerReturned(res);
    }
  }

  /** Go's rule: a handler that returns without starting a response gets an empty one. */
  #handlerReturned(res: OutgoingResponse): void {
    if (!res.headersSent && !res.finished && !this.isClosed) res.end();
  }

  #handlerFailed(res: OutgoingResponse, err: unknown): void {
    const isProtocol = err instanceof ProtocolError;
    if (!isProtocol && !(err instanceof RequestAbortedError)) this.#opts.onError(err, 'handler failed');
    if (this.isClosed || res.finished) return;
    if (res.headersSent) {
      // The status is on the wire already; only cutting the response short tells the client.
      res.destroy();
      return;
    }
    const status = isProtocol ? err.status : 500;
    if (isProtocol || this.#bodyError !== null) this.#mustClose = true;
    res.reset();
    res.status = status;
    res.headers.set('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${reasonPhrase(status) || 'Error'}\n`);
  }

  /** A protocol error before any handler ran: answer it (never echoing input) and close. */
  #failBeforeDispatch(err: unknown): void {
    let status = 400;
    if (err instanceof ProtocolError) status = err.status;
    else this.#opts.onError(err, 'parser failed');
    this.#writeErrorAndClose(status);
  }

  #writeErrorAndClose(status: number): void {
    if (this.isClosed) return;
    const body = `${reasonPhrase(status)}\n`;
    this.write(
      `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n${dateLine(this.now())}\r\n${body}`,
      'latin1',
    );
    this.#startClosing();
  }

  // ---- BodySource ---------------------------------------------------------

  async readBody(req: IncomingRequest): Promise<Buffer | null> {
    for (;;) {
      // Once the response ended, an unread body is dropped to find the next request (and the
      // next request's body is not this one's): a late reader must fail, not hang or steal bytes.
      if (req !== this.#req || this.#discarding) {
        if (!req.hasBody) return null; // nothing was dropped: an empty body reads as empty
        throw new RequestBodyDiscardedError();
      }
      if (this.#bodyError !== null) throw this.#bodyError;
      if (this.#bodyDone) return null;
      if (this.isClosed) throw (this.#bodyError = new RequestAbortedError());
      const head = this.#head!;
      // RFC 9110 §10.1.1: send 100 only once the body is wanted, never to HTTP/1.0 clients
      // (the parser only flags expectContinue on 1.1), and not after a final status.
      if (head.expectContinue && !this.#continueSent && !this.#res!.headersSent) {
        this.#continueSent = true;
        this.write(CONTINUE_100, 'latin1');
      }
      let ev;
      try {
        ev = this.#parser.nextEvent();
      } catch (err) {
        this.#mustClose = true;
        this.#clearDeadline();
        throw (this.#bodyError = err as Error);
      }
      if (ev === NEED_DATA) {
        this.#resume();
        this.#startBodyWait('body');
        await new Promise<void>((resolve) => {
          this.#bodyWaiter = resolve;
        });
        this.#endBodyWait();
        continue;
      }
      if (ev === PAUSED) return null;
      if (ev.type === 'data') {
        this.#bodyBytes += ev.data.length;
        // `bodyTimeoutMs` bounds each wait for bytes: while the handler works on this chunk the
        // client is not late, so the deadline must not fire and cut the exchange.
        if (this.#deadlineKind === 'body') this.#clearDeadline();
        return ev.data;
      }
      if (ev.type === 'end') {
        this.#bodyDone = true;
        this.#req!.trailers = ev.trailers;
        this.#clearDeadline();
        return null;
      }
      throw new Error('parser out of step with body reader');
    }
  }

  /**
   * Reads and drops the rest of a body the handler did not read, so the next request can be
   * found. Bounded in bytes (maxDiscardBytes) and in total time (discardTimeoutMs, a deadline):
   * past either the connection closes instead, after the response already sent (lingering).
   */
  #discard(): void {
    this.#endBodyWait();
    for (;;) {
      let ev;
      try {
        ev = this.#parser.nextEvent();
      } catch {
        this.#startClosing();
        return;
      }
      if (ev === NEED_DATA) {
        this.#resume();
        this.#startBodyWait('discard');
        return;
      }
      if (ev === PAUSED || ev.type === 'end') {
        this.#bodyDone = true;
        this.#discarding = false;
        this.#nextRequest();
        return;
      }
      if (ev.type !== 'data') throw new Error('parser out of step with discard');
      this.#bodyBytes += ev.data.length;
      if (this.#bodyBytes > this.#opts.maxDiscardBytes) {
        this.#startClosing();
        return;
      }
    }
  }

  /**
   * Body bytes of the current request not taken from the parser yet, when its Content-Length
   * tells (-1 for a chunked body: unknown until its last chunk).
   */
  #bodyBytesLeft(): number {
    const head = this.#head!;
    return head.bodyKind === 'length' ? head.contentLength - this.#bodyBytes : -1;
  }

  /**
   * Starts a wait for the client's body bytes and sets the deadline that bounds it: the sooner
   * of bodyTimeoutMs (one wait, as before) and what is left of the phase's total allowance.
   * Reading: bodyTimeoutMs plus 1 s per minBodyBytesPerSecond bytes received (Apache
   * mod_reqtimeout's `body=20,MinRate=500`), so a client must keep up a minimum average rate
   * once the first bodyTimeoutMs are spent. Discarding: discardTimeoutMs in all (nginx's
   * lingering_time). Only time spent waiting counts: a handler slow to read is not the client's fault.
   */
  #startBodyWait(kind: 'body' | 'discard'): void {
    const o = this.#opts;
    const now = this.now();
    this.#bodyWaitStart = now;
    let total = 0;
    if (kind === 'discard') total = o.discardTimeoutMs;
    else if (o.minBodyBytesPerSecond > 0 && o.bodyTimeoutMs > 0) total = o.bodyTimeoutMs + (this.#bodyBytes * 1000) / o.minBodyBytesPerSecond;
    let ms = o.bodyTimeoutMs;
    if (total > 0) ms = Math.max(0, ms > 0 ? Math.min(ms, total - this.#bodyWaitedMs) : total - this.#bodyWaitedMs);
    this.#deadlineKind = kind;
    // A spent allowance gives a deadline of now: the next sweep ends the wait.
    this.deadline = ms > 0 || total > 0 ? now + ms : 0;
  }

  /** Ends the wait in progress, if any, adding its time to the phase's total. */
  #endBodyWait(): void {
    if (this.#bodyWaitStart < 0) return;
    this.#bodyWaitedMs += this.now() - this.#bodyWaitStart;
    this.#bodyWaitStart = -1;
  }

  // ---- ResponseSink -------------------------------------------------------

  write(data: string | Uint8Array, encoding?: BufferEncoding): boolean {
    if (this.isClosed) return false;
    if (typeof data === 'string' && encoding === 'latin1') return this.writeLatin1(data);
    const bytes = typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data;
    const out = this.#out;
    if (out === null) return this.#socketWrite(bytes);
    this.#takeString(out);
    out.push(bytes);
    this.#outBytes += bytes.length;
    if (this.#outBytes >= this.#opts.maxBufferedBytes) this.#flush();
    // Batched, not written yet: still report the socket's backpressure, or a handler that
    // writes in a loop without awaiting would never see false and buffer its whole body.
    return !this.socket.writableNeedDrain;
  }

  writeLatin1(data: string): boolean {
    if (this.isClosed) return false;
    if (this.#out === null) return this.#socketWrite(data);
    this.#outStr += data;
    this.#outBytes += data.length;
    if (this.#outBytes >= this.#opts.maxBufferedBytes) this.#flush();
    return !this.socket.writableNeedDrain; // as in write()
  }

  drain(): Promise<void> {
    const socket = this.socket;
    if (this.isClosed || !socket.writableNeedDrain) return Promise.resolve();
    // One shared wait, however many writers ask: no listener pile-up on the socket.
    return (this.#drainWait ??= new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        this.#drainWait = null;
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    }));
  }

  abort(): void {
    if (this.isClosed) return;
    // Earlier pipelined responses collected in this batch are complete: send them first.
    this.#flush();
    // A normal close after the queued bytes, lingering (RFC 9112 §9.6): the client reads every
    // earlier response, then this one cut short or missing. A reset could drop them, and so
    // would destroy() with bytes still buffered in the socket. The request sees the abort now.
    const req = this.#req;
    const res = this.#res;
    this.#mustClose = true;
    this.#startClosing();
    if (req !== null && res !== null && !res.finished) req.abort();
    res?.fireClose();
  }

  get isClosed(): boolean {
    return this.state === 'closed' || this.socket.destroyed;
  }

  canKeepAlive(): boolean {
    if (this.#mustClose || !this.#head!.keepAlive) return false;
    // Shutting down: this response says Connection: close unless bytes of a next request were
    // read already (pipelined behind this one): that request is answered too, and the close
    // goes on the last response owed (see shutdown()).
    if (this.#host.isShuttingDown) return this.#bodyDone && this.#hasReadInput();
    // An unread body after a 100-continue we never sent: the client may not send it at all,
    // so the body cannot be skipped to find the next request (RFC 9110 §10.1.1).
    if (!this.#bodyDone && this.#head!.expectContinue && !this.#continueSent) return false;
    // A body the handler has not started to read, whose rest is over maxDiscardBytes: if the
    // response ends first it will not be read to find the next request (responseDone()), so say
    // so now. A handler that sends its head first and then reads the body gets the close too,
    // a reconnect at worst (Go decides the same way when the head is written).
    if (!this.#bodyDone && this.#bodyBytes === 0 && this.#bodyWaiter === null && this.#bodyBytesLeft() > this.#opts.maxDiscardBytes) {
      return false;
    }
    return true;
  }

  /**
   * True when bytes not consumed by a request yet were read from the socket: in the parser, or
   * in the socket's own buffer while it is paused (Node keeps reading into it up to its
   * highWaterMark). Bytes still in the kernel are not counted: they were not read.
   */
  #hasReadInput(): boolean {
    return this.#parser.bufferedBytes > 0 || this.socket.readableLength > 0;
  }

  responseDone(keepAlive: boolean): void {
    if (!keepAlive) {
      this.#startClosing();
      return;
    }
    if (this.#bodyDone) {
      this.#nextRequest();
      return;
    }
    if (this.#bodyWaiter !== null || this.#bodyError !== null) {
      // The handler is still reading (or failed reading) its body: no safe point to go on from.
      this.#startClosing();
      return;
    }
    // A rest known to be over maxDiscardBytes is not worth reading: close (Go's server does the
    // same past 256 KiB). Otherwise drop it, counting from here against both discard bounds.
    if (this.#bodyBytesLeft() > this.#opts.maxDiscardBytes) {
      this.#startClosing();
      return;
    }
    this.#discarding = true;
    this.#bodyBytes = 0;
    this.#bodyWaitedMs = 0;
    this.#bodyWaitStart = -1;
    this.#discard();
  }

  now(): number {
    // Within a batch, the time it started: only synchronous handlers run inside one, and one
    // that blocks for seconds stalls every connection of the process anyway (see #batchNow).
    return this.#inLoop ? this.#batchNow : this.#opts.clock();
  }

  reportError(err: unknown, context: string): void {
    this.#opts.onError(err, context);
  }

  #nextRequest(): void {
    if (this.isClosed || this.state === 'closing') return;
    this.#req = null;
    this.#res = null;
    this.#head = null;
    this.#parser.startNextRequest();
    this.state = transition(this.state, 'idle');
    this.#resume();
    if (this.#parser.bufferedBytes > 0 || this.#peerEnded) {
      // A pipelined request is already here: not idle (and, shutting down, owed an answer). Or
      // the peer sent FIN during this exchange: #process() closes once nothing is left to answer
      // (no read will report the FIN again, and an idle socket past EOF would wait for its timeout).
      this.#clearDeadline();
      this.#process();
    } else if (this.#host.isShuttingDown) {
      // A response that promised keep-alive before shutdown began: the client may be sending
      // its next request right now (see shutdown()).
      this.#closeAfterGrace(this.now());
    } else {
      // Counted from now, not from when this response's head was built: a response streamed
      // for longer than idleTimeoutMs would leave a deadline already past, and the sweep would
      // close a connection the client is about to reuse (the proxy 502 race of options.ts).
      this.#setDeadline('idle', this.#opts.idleTimeoutMs);
    }
  }

  // ---- closing ------------------------------------------------------------

  /**
   * Lingering close (RFC 9112 §9.6): send FIN after what is queued, keep reading and
   * dropping input for `lingerMs` so the peer sees our last response, not a reset.
   */
  #startClosing(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = transition(this.state, 'closing');
    const waiter = this.#bodyWaiter;
    this.#bodyWaiter = null;
    this.#bodyError ??= new RequestAbortedError();
    waiter?.();
    this.#resume();
    this.#flush();
    this.socket.end();
    this.#setDeadline('linger', this.#opts.lingerMs);
  }

  /**
   * The peer sent FIN (the listener allows half-open sockets). RFC 9112 §9.6: requests
   * it sent before still get their responses; then we close. A body cut short by the
   * FIN can never complete, so its reader fails. A FIN is also what a client that gave
   * up sends, so, like Go's request context, the request in progress sees its signal
   * abort; what the handler still writes is sent all the same.
   */
  #onEnd(): void {
    this.#peerEnded = true;
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.#req === null) {
      this.#process();
      return;
    }
    if (this.#res !== null && !this.#res.finished) this.#req.abort();
    if (!this.#bodyDone) {
      this.#bodyError ??= new RequestAbortedError();
      this.#mustClose = true;
      const waiter = this.#bodyWaiter;
      this.#bodyWaiter = null;
      waiter?.();
      if (this.#discarding) this.#startClosing();
    }
  }

  #onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.deadline = 0;
    const req = this.#req;
    const res = this.#res;
    if (req !== null && res !== null && !res.finished) req.abort();
    res?.fireClose();
    const waiter = this.#bodyWaiter;
    this.#bodyWaiter = null;
    waiter?.();
    this.#host.connectionClosed(this);
  }

  /**
   * Server shutdown (graceful close). The rule (issue #12): a request of which the server has
   * read a byte is answered, the last one with `Connection: close` (canKeepAlive()); a request
   * of which no byte was read when the connection closes is never read at all, so the client
   * may retry it (RFC 9112 §9.3.1: the close races its request, as any close of an idle
   * connection does).
   *
   * A connection mid-request finishes it; canKeepAlive() puts the close on the last response
   * owed. A new or idle connection is the race: its client may be sending the next request
   * right now (under load it nearly always is: the response we just sent may still sit unread
   * in the client's buffer). So it keeps `shutdownIdleGraceMs`, counted from its last response
   * (or its accept), to send it, and that request is answered with the close; a connection
   * quiet that long is closed by #closeWhenQuiet().
   */
  shutdown(): void {
    if (this.state === 'new' || this.state === 'idle') this.#closeAfterGrace(this.#quietSince());
  }

  /**
   * When a new or idle connection last had traffic: its accept or the end of its last response,
   * read back from the deadline set then (no field per connection for it); now when unknown.
   */
  #quietSince(): number {
    if (this.#deadlineKind === 'idle' && this.#opts.idleTimeoutMs > 0) return this.deadline - this.#opts.idleTimeoutMs;
    if (this.state === 'new' && this.#deadlineKind === 'headers' && this.#opts.headersTimeoutMs > 0) {
      return this.deadline - this.#opts.headersTimeoutMs;
    }
    return this.now();
  }

  /**
   * Shutting down: closes this new or idle connection when it has been quiet for
   * `shutdownIdleGraceMs` since `since`, through the 'idle' deadline (onDeadline() sees the
   * server shutting down and calls #closeWhenQuiet()). A sooner deadline of its own stays.
   */
  #closeAfterGrace(since: number): void {
    const at = since + this.#opts.shutdownIdleGraceMs;
    if (at <= this.now()) {
      this.#closeWhenQuiet();
      return;
    }
    if (this.deadline !== 0 && this.deadline <= at) return;
    this.#deadlineKind = 'idle';
    this.deadline = at;
  }

  /**
   * Closes a new or idle connection once the socket has been polled after this call and
   * nothing was read. Two setImmediate hops guarantee a poll phase in between wherever this
   * is called from (the check phase follows the poll phase of the same turn: one hop run from
   * a poll callback, as an IPC 'stop' message is, would see nothing new). Bytes read by then
   * make the connection active; their request is answered and its response closes. Bytes that
   * reach the kernel later are read after our FIN, while lingering, and dropped: the client
   * sees the close before any answer and may retry (RFC 9112 §9.3.1, §9.6).
   */
  #closeWhenQuiet(): void {
    setImmediate(() =>
      setImmediate(() => {
        if ((this.state === 'new' || this.state === 'idle') && !this.#hasReadInput()) this.#startClosing();
      }),
    );
  }

  /** Destroys the socket at once (shutdown deadline). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- deadlines ----------------------------------------------------------

  #setDeadline(kind: Deadline, ms: number): void {
    this.#deadlineKind = kind;
    // now(): inside a batch, the time it started (microseconds ago): no second clock read on
    // a keep-alive request, and deadlines are swept at timerResolutionMs anyway.
    this.deadline = ms > 0 ? this.now() + ms : 0;
  }

  #clearDeadline(): void {
    this.#deadlineKind = 'none';
    this.deadline = 0;
  }

  /** Called by the server's sweep when `sendDeadline` has passed: the client stopped reading. */
  onSendTimeout(): void {
    this.sendDeadline = 0;
    this.socket.destroy();
  }

  /** Called by the server's sweep when `deadline` has passed. */
  onDeadline(): void {
    const kind = this.#deadlineKind;
    this.#clearDeadline();
    switch (kind) {
      case 'idle':
        // Shutting down, this deadline is the end of the grace of shutdown().
        if (this.#host.isShuttingDown) this.#closeWhenQuiet();
        else this.#startClosing();
        return;
      case 'headers':
        // Nothing received at all: just close. A partial head: tell the client (RFC 9110 §15.5.9).
        if (this.#parser.isIdle) this.#startClosing();
        else this.#writeErrorAndClose(408);
        return;
      case 'body': {
        const err = new RequestTimeoutError('request body');
        this.#bodyError = err;
        this.#mustClose = true;
        const waiter = this.#bodyWaiter;
        this.#bodyWaiter = null;
        if (waiter !== null) waiter(); // the handler's read rejects; its error becomes the 408
        else this.#startClosing();
        return;
      }
      case 'discard':
        // Dropping an answered request's body took too long: its response is sent; just close.
        this.#startClosing();
        return;
      case 'linger':
        this.socket.destroy();
        return;
      case 'none':
        return;
    }
  }
}
