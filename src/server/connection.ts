/**
 * Connection: drives the sans-IO parser over one socket and runs the handler.
 *
 * Owns one client connection's life: reading, dispatching requests one at a
 * time (which keeps pipelined responses in request order, RFC 9112 §9.3.2),
 * persistence, timeouts, error responses and the lingering close. Its states
 * are four orthogonal machines, each moved only through its table in state.ts:
 * the connection (`state`), the body of the request in progress (body-reader.ts),
 * the socket's read side (`#input`) and the output (output.ts). It must not
 * frame responses (response.ts) or parse bytes (src/wire/).
 *
 * Theory of operation
 * -------------------
 * Bytes go into the parser as they arrive. When no request is in progress,
 * `#process()` pulls events: a complete head creates an IncomingRequest and an
 * OutgoingResponse and calls the handler. While a request is in progress the
 * parser is left alone, except by the request's BodyReader, which pulls body
 * events and waits for data when it needs more. When the response ends, the
 * rest of an unread body is discarded (or the connection closed), the parser is
 * resumed and the loop goes on with the next request already buffered. While a
 * batch of pipelined requests is answered, their output is collected and
 * leaves in one write (output.ts); writes outside a batch go straight to the
 * socket.
 *
 * Timeouts are deadlines (a number), checked by the server's single sweep.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { PLAIN_ERROR_CONTENT_TYPE, plainErrorBody } from '../wire/error-body.js';
import { ProtocolError } from '../wire/errors.js';
import { NEED_DATA, PAUSED, RequestParser, type RequestEvent } from '../wire/parser.js';
import { reasonPhrase } from '../wire/status.js';
import { BodyReader, NO_BODY, type BodyHost, type BodyWait } from './body-reader.js';
import { dateLine } from './date.js';
import { RequestAbortedError, RequestTimeoutError } from './errors.js';
import type { Handler } from './handler.js';
import type { ResponseHeadCache } from './head-cache.js';
import type { ResolvedOptions } from './options.js';
import { OutputBatcher } from './output.js';
import { IncomingRequest, type ConnectionInfo } from './request.js';
import { OutgoingResponse, type ResponseSink } from './response.js';
import { CONNECTION, SOCKET_INPUT, type ConnState, type InputPhase } from './state.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: Readonly<ResolvedOptions>;
  readonly handler: Handler;
  /** The server's response head cache, shared by its connections. */
  readonly heads: ResponseHeadCache;
  /** True once the server is shutting down: finish the current exchange, then close. */
  readonly isShuttingDown: boolean;
  connectionClosed(conn: Connection): void;
  /** `conn` handed its socket to `owner` (detach()): the server tracks the pair from now on and forgets `conn`. */
  connectionUpgraded(conn: Connection, owner: UpgradedProtocol, socket: Socket): void;
}

/**
 * What the pending deadline bounds. 'body': a handler waiting for body bytes (bodyTimeoutMs per
 * wait, minBodyBytesPerSecond overall); 'discard': dropping the unread body of an answered
 * request to reach the next one (discardTimeoutMs in all); 'idle' while shutting down: the end
 * of shutdownIdleGraceMs.
 */
type Deadline = 'none' | 'headers' | BodyWait | 'idle' | 'linger';

const CONTINUE_100 = 'HTTP/1.1 100 Continue\r\n\r\n';

/** The socket property that leads the shared socket listeners to their Connection. */
const kConnection = Symbol('keel.connection');
/** A socket being served by a Connection. */
type ServedSocket = Socket & { [kConnection]: Connection };

/**
 * The connection answering a batch of requests right now, and the clock read once when the
 * batch started (nginx reads its time once per event-loop turn the same way): reading it costs
 * as much as the rest of a small response. A connection outside a batch (a response made
 * later, by a handler that awaited) reads the clock itself. Module state, not two fields per
 * connection: a batch runs synchronously, so one runs at a time (a nested one is restored
 * around), and an idle connection does not keep a boxed number for it.
 */
let batchOwner: Connection | null = null;
let batchClockMs = 0;

/** A reset or EPIPE from the peer: 'close' follows and cleans up. Nothing to answer. */
function ignoreSocketError(): void {}

// The moves of the connection and input machines (state.ts), made once.
const toActive = CONNECTION.to('active');
const toIdle = CONNECTION.to('idle');
const toClosing = CONNECTION.to('closing');
const toClosed = CONNECTION.to('closed');
const toPaused = SOCKET_INPUT.to('paused');
const toFlowing = SOCKET_INPUT.to('flowing');
const toEnded = SOCKET_INPUT.to('ended');
const toUpgraded = CONNECTION.to('upgraded');

/**
 * What a socket handed over by `detach()` needs from its new owner: the server keeps the
 * owner and its socket, not the Connection, until the socket closes, and its graceful
 * shutdown calls `shutdown()` (issue #15: a WebSocket answers with a Close 1001 and its
 * close handshake).
 */
export interface UpgradedProtocol {
  shutdown(): void;
}

/** What `detach()` hands over: the socket and the bytes read after the request's head. */
export interface DetachedSocket {
  readonly socket: Socket;
  /** Bytes that followed the head in the same reads (frames sent with the handshake, RFC 6455 §4.2.1). */
  readonly head: Buffer;
  /** The server's onError, for errors the new protocol cannot report elsewhere. */
  readonly reportError: (err: unknown, context: string) => void;
}


/** One client connection. */
export class Connection implements ResponseSink, ConnectionInfo, BodyHost {
  state: ConnState = 'new';
  /** When the pending deadline expires (server clock, ms), or 0. Read by the server's sweep. */
  deadline = 0;
  readonly socket: Socket;
  readonly isSecure: boolean;
  readonly #host: ConnectionHost;
  readonly #opts: Readonly<ResolvedOptions>;
  readonly #parser: RequestParser;
  readonly #output: OutputBatcher;
  #deadlineKind: Deadline = 'none';
  #req: IncomingRequest | null = null;
  #res: OutgoingResponse | null = null;
  #head: RequestEvent | null = null;
  /** The body of the request in progress; null when it has none (or no request is in progress). */
  #body: BodyReader | null = null;
  /** The socket's read side: flowing, paused (backpressure) or ended (the peer's FIN). */
  #input: InputPhase = 'flowing';
  #requests = 0;
  /** #process() is running: a call from inside it (a handler ending synchronously) returns at once. */
  #isProcessing = false;
  /**
   * The peer, recorded at accept (issue #12): once the socket is closed Node can no longer tell
   * it, and a handler or access log that runs after a client left early would see ''. Strings
   * and numbers, not an object: two fields are all an idle connection pays for it.
   */
  readonly #remoteAddress: string;
  readonly #remotePort: number;
  /**
   * The input chunks that still hold the parser's unread bytes (they are the last
   * `parser.bufferedBytes` of them), so detach() can hand those bytes over: the request parser
   * keeps no API to give them back (issue #15). Usually one chunk; emptied when all was read.
   */
  readonly #unreadChunks: Buffer[] = [];
  #unreadChunkBytes = 0;

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
    this.#output = new OutputBatcher(socket, host.options);
    socket.setNoDelay(true);
    // The listeners are shared by every connection (static methods, not closures): they find
    // this Connection through the socket, so an idle connection pays one property for them
    // instead of a closure each and a context (about 0.3 KiB; bench/idle-memory.mjs).
    (socket as ServedSocket)[kConnection] = this;
    socket.on('data', Connection.#onSocketData);
    socket.on('error', ignoreSocketError);
    socket.on('end', Connection.#onSocketEnd);
    socket.on('close', Connection.#onSocketClose);
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

  /** When a response stuck in a full send buffer times out (`sendTimeoutMs`), or 0. Read by the sweep. */
  get sendDeadline(): number {
    return this.#output.sendDeadline;
  }

  // ---- input --------------------------------------------------------------

  // The socket's listeners, one function each for all connections; `this` is the socket.
  static #onSocketData(this: ServedSocket, chunk: Buffer): void {
    this[kConnection].#onData(chunk);
  }
  static #onSocketEnd(this: ServedSocket): void {
    this[kConnection].#onEnd();
  }
  static #onSocketClose(this: ServedSocket): void {
    this[kConnection].#onClose();
  }

  #onData(chunk: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return; // lingering: discard
    this.#keepUnread(chunk);
    this.#parser.receive(chunk);
    if (this.#req !== null) {
      this.#body?.onInput();
      if (this.#req !== null && this.#parser.bufferedBytes > this.#opts.maxBufferedBytes) this.#pauseInput();
      return;
    }
    this.#process();
  }

  /** Records a chunk among those holding the parser's unread bytes (see #unreadChunks). */
  #keepUnread(chunk: Buffer): void {
    const unread = this.#parser.bufferedBytes;
    const chunks = this.#unreadChunks;
    if (unread === 0) {
      chunks.length = 0;
      this.#unreadChunkBytes = 0;
    } else {
      while (this.#unreadChunkBytes - chunks[0]!.length >= unread) this.#unreadChunkBytes -= chunks.shift()!.length;
    }
    chunks.push(chunk);
    this.#unreadChunkBytes += chunk.length;
  }

  /**
   * Hands the socket over to another protocol after a 101 response (RFC 9110 §15.2.2, issue
   * #15): the connection moves to 'upgraded', flushes what earlier pipelined responses left
   * batched, stops reading HTTP (its 'data' and 'end' listeners are removed, its deadlines
   * cleared, the finished exchange released) and returns the socket with the bytes read after
   * the request's head. Then it lets go of the socket altogether (its 'close' and 'error'
   * listeners too) and the server tracks `owner` and the socket instead, so `server.close()`
   * reaches `owner.shutdown()` and its deadline destroys the socket, and a WebSocket open for
   * hours holds no parser, output batch or request of this Connection. Only for
   * the request in progress, without a body, whose response has not started; the caller
   * writes the 101 itself, on the returned socket.
   */
  detach(owner: UpgradedProtocol): DetachedSocket {
    if (this.#req === null || this.#body !== null || this.isClosed || this.state !== 'active') {
      throw new Error('detach() needs a request in progress, without a body');
    }
    this.state = toUpgraded(this.state);
    this.#output.flush();
    this.#output.sendDeadline = 0;
    this.#clearDeadline();
    const socket = this.socket;
    // Removed one by one with off() (the listeners are shared static methods): removeAllListeners(type)
    // deletes the key and turns the socket's _events into a dictionary (about 0.5 KiB more for
    // every WebSocket), and once they are gone nothing holds this Connection.
    socket.off('data', Connection.#onSocketData);
    socket.off('end', Connection.#onSocketEnd);
    const unread = this.#parser.bufferedBytes;
    const chunks = this.#unreadChunks;
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#unreadChunkBytes);
    chunks.length = 0;
    this.#unreadChunkBytes = 0;
    const head = unread === 0 ? Buffer.alloc(0) : all.subarray(all.length - unread);
    // The exchange is over (its response finished): a connection upgraded for hours keeps none of it.
    this.#req = null;
    this.#res = null;
    this.#head = null;
    // The owner listens from now on ('error' is its to handle: none can fire before it does, events are async).
    socket.off('close', Connection.#onSocketClose);
    delete (socket as Partial<ServedSocket>)[kConnection];
    socket.off('error', ignoreSocketError);
    // The output batcher's 'drain' listener is the only one left (no response is in flight at a
    // hand-off); it would keep the batcher alive for the socket's life.
    for (const listener of socket.listeners('drain')) socket.off('drain', listener as () => void);
    this.#host.connectionUpgraded(this, owner, socket);
    // A socket paused for backpressure is resumed by its new owner, which reads what it buffered.
    return { socket, head, reportError: this.#opts.onError };
  }

  #pauseInput(): void {
    if (this.#input === 'flowing') {
      this.#input = toPaused(this.#input);
      this.socket.pause();
    }
  }

  /** Reads from the socket again if it was paused (BodyHost). After a FIN there is nothing to read. */
  resumeInput(): void {
    if (this.#input === 'paused') {
      this.#input = toFlowing(this.#input);
      this.socket.resume();
    }
  }

  /** Pulls requests from the parser while no request is in progress. */
  #process(): void {
    // Re-entered from a handler that ends synchronously: the running loop goes on by itself.
    // Blocked: the loop runs again when the socket drains.
    if (this.#isProcessing || this.#output.phase === 'blocked') return;
    this.#isProcessing = true;
    const outerOwner = batchOwner;
    const outerClockMs = batchClockMs;
    batchOwner = this;
    batchClockMs = this.#opts.clock();
    this.#output.beginBatch();
    let mustAwaitDrain = false;
    try {
      while (this.#req === null && (this.state === 'new' || this.state === 'idle' || this.state === 'active')) {
        // A client that pipelines requests but does not read the responses would make us
        // buffer them without bound: stop reading and answering until the socket drains.
        if (this.socket.writableNeedDrain) {
          mustAwaitDrain = true;
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
          if (this.#input === 'ended') {
            this.#startClosing();
            break;
          }
          if (!this.#parser.isIdle) {
            // A partial head makes the connection active, the first one too ('new' means no byte
            // yet), so shutdown answers it instead of dropping it as idle.
            if (this.state !== 'active') this.state = toActive(this.state);
            // The deadline runs from the head's first byte: later bytes do not push it back (slowloris).
            if (this.#deadlineKind !== 'headers') this.#setDeadline('headers', this.#opts.headersTimeoutMs);
          }
          break;
        }
        if (ev === PAUSED || ev.type !== 'request') throw new Error('parser out of step with connection');
        this.#dispatch(ev);
      }
    } finally {
      this.#isProcessing = false;
      batchOwner = outerOwner;
      batchClockMs = outerClockMs;
      this.#output.endBatch();
    }
    if (mustAwaitDrain && this.state !== 'closing' && this.state !== 'closed') {
      this.#pauseInput();
      this.#output.blockUntilDrain(() => {
        this.resumeInput();
        this.#process();
      });
    }
  }

  #dispatch(head: RequestEvent): void {
    if (this.state !== 'active') this.state = toActive(this.state);
    this.#clearDeadline();
    this.#requests++;
    this.#head = head;
    const body = head.bodyKind === 'none' ? null : new BodyReader(head, this.#parser, this, this.#opts);
    this.#body = body;
    const req = new IncomingRequest(head, body ?? NO_BODY, this);
    const res = new OutgoingResponse(this, head.method, head.version, this.#host.heads);
    this.#req = req;
    this.#res = res;
    if (body === null) this.#parser.nextEvent(); // the request's `end` event; the parser is now paused
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
    res.reset();
    res.status = status;
    res.headers.set('Content-Type', PLAIN_ERROR_CONTENT_TYPE);
    // A protocol error (a body over its limit, a timeout) leaves the rest of the input in
    // doubt: the connection closes after this answer. A failed body read says so itself
    // (canKeepAlive()); one the handler threw is told through the field it may set.
    if (isProtocol) res.headers.set('Connection', 'close');
    res.end(plainErrorBody(status));
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
    // The one plain-text error body (docs/errors.md "Error bodies"); ASCII, so its length is its byte count.
    const body = plainErrorBody(status);
    this.writeLatin1(
      `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: ${PLAIN_ERROR_CONTENT_TYPE}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n${dateLine(this.now())}\r\n${body}`,
    );
    this.#startClosing();
  }

  // ---- BodyHost -----------------------------------------------------------

  setBodyDeadline(kind: BodyWait, at: number): void {
    this.#deadlineKind = kind;
    this.deadline = at;
  }

  clearBodyDeadline(): void {
    if (this.#deadlineKind === 'body' || this.#deadlineKind === 'discard') this.#clearDeadline();
  }

  sendContinue(): void {
    if (!this.#res!.headersSent) this.writeLatin1(CONTINUE_100);
  }

  bodyDiscarded(): void {
    this.#nextRequest();
  }

  closeAfterBody(): void {
    this.#startClosing();
  }

  // ---- ResponseSink -------------------------------------------------------

  write(data: string | Uint8Array, encoding?: BufferEncoding): boolean {
    if (this.isClosed) return false;
    if (typeof data === 'string' && encoding === 'latin1') return this.#output.writeLatin1(data);
    return this.#output.write(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data);
  }

  writeLatin1(data: string): boolean {
    if (this.isClosed) return false;
    return this.#output.writeLatin1(data);
  }

  drain(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return this.#output.drain();
  }

  abort(): void {
    if (this.isClosed) return;
    // Earlier pipelined responses collected in this batch are complete: send them first.
    this.#output.flush();
    // A normal close after the queued bytes, lingering (RFC 9112 §9.6): the client reads every
    // earlier response, then this one cut short or missing. A reset could drop them, and so
    // would destroy() with bytes still buffered in the socket. The request sees the abort now.
    const req = this.#req;
    const res = this.#res;
    this.#startClosing();
    if (req !== null && res !== null && !res.finished) req.abort();
    res?.fireClose();
  }

  get isClosed(): boolean {
    return this.state === 'closed' || this.socket.destroyed;
  }

  canKeepAlive(): boolean {
    const head = this.#head!;
    if (!head.keepAlive) return false;
    const max = this.#opts.maxRequestsPerConnection;
    if (max !== 0 && this.#requests >= max) return false;
    const body = this.#body;
    // A body that failed (protocol error, timeout, the client's FIN): its rest cannot be skipped.
    if (body !== null && body.phase === 'failed') return false;
    // Shutting down: this response says Connection: close unless bytes of a next request were
    // read already (pipelined behind this one): that request is answered too, and the close
    // goes on the last response owed (see shutdown()).
    if (this.#host.isShuttingDown) return (body === null || body.phase === 'complete') && this.#hasReadInput();
    if (body !== null && body.phase === 'unread') {
      // An unread body after a 100-continue we never sent: the client may not send it at all,
      // so the body cannot be skipped to find the next request (RFC 9110 §10.1.1).
      if (head.expectContinue) return false;
      // A rest over maxDiscardBytes: if the response ends first it will not be read to find the
      // next request (responseDone()), so say so now. A handler that sends its head first and
      // then reads the body gets the close too, a reconnect at worst (Go decides the same way
      // when the head is written).
      if (body.bytesLeft() > this.#opts.maxDiscardBytes) return false;
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
    const body = this.#body;
    if (body === null || body.phase === 'complete') {
      this.#nextRequest();
      return;
    }
    // The handler is still reading (or failed reading) its body: no safe point to go on from.
    // A rest known to be over maxDiscardBytes is not worth reading: close (Go's server does the
    // same past 256 KiB). Otherwise drop it (BodyReader.discard()).
    if (body.phase === 'failed' || body.isWaiting || body.bytesLeft() > this.#opts.maxDiscardBytes) {
      this.#startClosing();
      return;
    }
    body.discard();
  }

  now(): number {
    // Within a batch, the time it started: only synchronous handlers run inside one, and one
    // that blocks for seconds stalls every connection of the process anyway (see batchOwner).
    return batchOwner === this ? batchClockMs : this.#opts.clock();
  }

  reportError(err: unknown, context: string): void {
    this.#opts.onError(err, context);
  }

  #nextRequest(): void {
    if (this.isClosed || this.state === 'closing') return;
    this.#req = null;
    this.#res = null;
    this.#head = null;
    this.#body = null;
    this.#parser.startNextRequest();
    if (this.#parser.bufferedBytes === 0) {
      // Nothing unread: an idle connection keeps no input chunk (see #unreadChunks).
      this.#unreadChunks.length = 0;
      this.#unreadChunkBytes = 0;
    }
    this.state = toIdle(this.state);
    this.resumeInput();
    if (this.#parser.bufferedBytes > 0 || this.#input === 'ended') {
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
    this.state = toClosing(this.state);
    this.#body?.abort(); // a read waiting (or still to come) rejects: no more bytes are taken
    this.resumeInput();
    this.#output.flush();
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
    this.#input = toEnded(this.#input);
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.#req === null) {
      this.#process();
      return;
    }
    if (this.#res !== null && !this.#res.finished) this.#req.abort();
    const body = this.#body;
    if (body === null) return;
    if (body.phase === 'discarding') this.#startClosing();
    else body.abort();
  }

  #onClose(): void {
    if (this.state === 'closed') return;
    this.state = toClosed(this.state);
    this.deadline = 0;
    const req = this.#req;
    const res = this.#res;
    if (req !== null && res !== null && !res.finished) req.abort();
    res?.fireClose();
    this.#body?.abort();
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
    this.#output.sendDeadline = 0;
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
        // A read waiting for bytes rejects, and its error becomes the 408 (#handlerFailed); with
        // no read waiting there is no one to answer: close.
        const body = this.#body;
        if (body === null || !body.fail(new RequestTimeoutError('request body'))) this.#startClosing();
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
