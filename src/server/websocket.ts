/**
 * WebSocket: one server-side WebSocket connection over a socket (RFC 6455, RFC 7692).
 *
 * Owns the life of a connection after the 101: reading frames with the sans-IO
 * parser (wire/websocket-frame.ts) and assembling messages (text as a string,
 * binary as a Buffer), answering pings, the close handshake (§7.1.2: echo the
 * peer's Close; our Close waits `closeTimeoutMs` for its answer), failing the
 * connection on bad input with the parser's close code (§7.1.7), send() with a
 * backpressure status, the `drain` callback, the per-connection
 * `maxBufferedBytes` policy, the idle timeout with automatic pings, and
 * permessage-deflate through websocket-deflate.ts. It does not read HTTP or
 * decide the handshake (websocket-upgrade.ts does) and keeps no list of
 * connections (websocket-topics.ts keeps subscriptions).
 *
 * Theory of operation
 * -------------------
 * Input: socket chunks go to the parser, events are pulled until NEED_DATA. A
 * message's pieces are views of the chunks (no copy until a message spans
 * reads). A compressed message is inflated on the thread pool; meanwhile the
 * socket is paused and the parser left alone, so messages are delivered in
 * order and a flood of compressed frames cannot queue up inflations.
 *
 * Output: every frame goes through one ordered queue. With nothing queued a
 * frame is written to the socket at once; a message being compressed holds its
 * place in the queue (a promise), and what is sent after it waits behind it.
 * `bufferedAmount` is the socket's unsent bytes plus the queue's. send() says
 * 'sent' when that stays under the socket's high-water mark, 'buffered' when
 * it is over it (the `drain` handler runs once it is back under), 'dropped'
 * when the message was not taken: the connection is not open, or it already
 * buffers more than `maxBufferedBytes`.
 *
 * Closing: `state` goes open -> closing (a Close sent or received) -> closed
 * (the socket closed). The server closes the TCP connection first (§7.1.1):
 * after the Close handshake completes, or at once after a Close sent to fail
 * the connection. The `close` handler runs once, when the socket has closed,
 * with the peer's code and reason, the code we failed the connection with, or
 * 1006 when no Close was exchanged (§7.1.5, §7.4.1).
 */
import type { Socket } from 'node:net';
import { WebSocketError, WebSocketInvalidDataError } from '../wire/websocket-errors.js';
import {
  CLOSE_NO_STATUS,
  DEFAULT_WS_MAX_FRAMES_PER_MESSAGE,
  DEFAULT_WS_MAX_MESSAGE_BYTES,
  WebSocketParser,
  WS_NEED_DATA,
  type FrameHeader,
  type WebSocketEvent,
} from '../wire/websocket-frame.js';
import type { PerMessageDeflateParams } from '../wire/websocket-handshake.js';
import { encodeClose, encodeMessage, encodePing, encodePong } from '../wire/websocket-serializer.js';
import { isValidUtf8 } from '../wire/websocket-utf8.js';
import { PerMessageDeflateCodec } from './websocket-deflate.js';
import type { TopicMember, WebSocketTopics } from './websocket-topics.js';
import { defaultTopics } from './websocket-topics.js';
import { defaultZlibLimiter, type ZlibLimiter } from './websocket-zlib-limiter.js';

/** What send() did with a message (uWS/Bun style). */
export type SendStatus = 'sent' | 'buffered' | 'dropped';

/** open: messages flow. closing: a Close was sent or received. closed: the socket is gone. */
export type WebSocketState = 'open' | 'closing' | 'closed';

/** What to do when a send finds more than `maxBufferedBytes` already buffered. */
export type BufferedLimitPolicy = 'drop' | 'close';

/** The application's callbacks for one WebSocket (all optional). `T` is the type of `ws.data`. */
export interface WebSocketHandlers<T = unknown> {
  /** The handshake is done; frames that came with it are delivered after this returns. */
  open?(ws: WebSocket<T>): void | Promise<void>;
  /** A whole message: text as a string, binary as a Buffer (a view: copy it to keep it past this call if you mutate input). */
  message?(ws: WebSocket<T>, data: string | Buffer, isBinary: boolean): void | Promise<void>;
  /** The buffered bytes went back under the socket's high-water mark after a send() that said 'buffered'. */
  drain?(ws: WebSocket<T>): void;
  /** The connection is closed: the peer's code and reason, the code we failed it with, or 1006 without a Close (§7.1.5). */
  close?(ws: WebSocket<T>, code: number, reason: string): void;
  /** A Ping arrived (the Pong is sent already, §5.5.2). */
  ping?(ws: WebSocket<T>, data: Buffer): void;
  /** A Pong arrived (§5.5.3). */
  pong?(ws: WebSocket<T>, data: Buffer): void;
  /**
   * The 101 response head, exactly as written to the socket, before `open` (for inspectors
   * and logs: the demo's wire inspector shows it).
   */
  handshake?(ws: WebSocket<T>, responseHead: string): void;
  /**
   * A received frame's header (FIN, RSV1, opcode, MASK, payload length), before the events of
   * its payload: for inspectors. A non-final continuation frame with an empty payload carries
   * nothing to deliver and is not reported.
   */
  frame?(ws: WebSocket<T>, header: FrameHeader): void;
}

/** Limits and behaviour of a WebSocket connection; every field is optional. docs/limits.md lists them. */
export interface WebSocketOptions {
  /** Largest message received, in bytes (inflated size too). Over it: close 1009. Default 16 MiB (DEFAULT_WS_MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** Most frames in one received message. Over it: close 1009. Default 65 536 (DEFAULT_WS_MAX_FRAMES_PER_MESSAGE). */
  maxFramesPerMessage?: number;
  /**
   * Bytes a connection may have buffered (unsent in the socket, or queued for compression)
   * before send() stops taking messages: a send that finds more than this already buffered
   * is 'dropped' (or closes the connection, per `bufferedLimitPolicy`). At most this plus one
   * message is buffered. Default 16 MiB (DEFAULT_WS_MAX_BUFFERED_BYTES), Bun's `backpressureLimit`.
   */
  maxBufferedBytes?: number;
  /** 'drop' (default): refuse the message, the caller sees 'dropped'. 'close': destroy the connection (a Close frame could not get through a full buffer). */
  bufferedLimitPolicy?: BufferedLimitPolicy;
  /**
   * A connection from which nothing was received this long is closed (1001). Checked every
   * half of it, so it closes after 1 to 1.5 times this. Default 120 s (Bun's `idleTimeout`). 0 disables it.
   */
  idleTimeoutMs?: number;
  /** Send a Ping after half of `idleTimeoutMs` without input, so a live peer's Pong keeps the connection open (uWS/Bun). Default true. */
  sendPings?: boolean;
  /** After our Close frame (or the peer's, echoed), how long to wait for the handshake to end before destroying the socket. Default 5 s (DEFAULT_WS_CLOSE_TIMEOUT_MS). */
  closeTimeoutMs?: number;
  /** Messages shorter than this (bytes; characters for a string) are sent uncompressed even with permessage-deflate. Default 1 KiB (ws's `threshold`). */
  deflateThresholdBytes?: number;
  /** zlib level for outgoing messages, 0-9. Default 6 (zlib's). */
  deflateLevel?: number;
  /** zlib memLevel for outgoing messages, 1-9. Default 8 (zlib's). */
  deflateMemLevel?: number;
  /** Bounds the zlib operations running at once, across connections. Default: one limiter per process (DEFAULT_WS_MAX_CONCURRENT_ZLIB_OPS). */
  zlibLimiter?: ZlibLimiter;
  /** Where subscribe()/publish() keep topics. Default: one registry per process (`defaultTopics`). */
  topics?: WebSocketTopics;
  /** Errors no handler can catch (a throwing callback): the server's onError. Default console.error. */
  onError?: (err: unknown, context: string) => void;
}

/** `maxBufferedBytes` default: 16 MiB, Bun's `backpressureLimit` (uWS: 64 KiB). */
export const DEFAULT_WS_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** `idleTimeoutMs` default: 120 s, Bun's `idleTimeout` (uWS: 120 s too). */
export const DEFAULT_WS_IDLE_TIMEOUT_MS = 120_000;
/**
 * `closeTimeoutMs` default: 5 s. The close handshake is one round trip; a peer that has not
 * answered in 5 s is gone (ws waits 30 s; the server's shutdownTimeoutMs, 10 s, must fit it).
 */
export const DEFAULT_WS_CLOSE_TIMEOUT_MS = 5_000;
/** `deflateThresholdBytes` default: 1 KiB, ws's `threshold`: below it deflate's header and CPU cost more than they save. */
export const DEFAULT_WS_DEFLATE_THRESHOLD_BYTES = 1024;

/** What the upgrade hands a new WebSocket. */
export interface WebSocketInit<T> {
  readonly socket: Socket;
  readonly handlers: WebSocketHandlers<T>;
  readonly options?: WebSocketOptions;
  /** The negotiated permessage-deflate parameters, or null. */
  readonly deflate?: PerMessageDeflateParams | null;
  /** The selected subprotocol ('' for none). */
  readonly protocol?: string;
  /** The Sec-WebSocket-Extensions value answered ('' for none). */
  readonly extensions?: string;
  readonly data: T;
  readonly remoteAddress?: string;
}

/** What the `frame` handler's tracking needs: payload bytes of the current frame not yet seen, and whether a final frame was reported. */
interface FrameTap {
  left: number;
  isFinReported: boolean;
}

/** One queued output: a frame, or a frame being made (compression), and its size for accounting. */
interface Queued {
  frame: Buffer | Promise<Buffer>;
  bytes: number;
}

const EMPTY = Buffer.alloc(0);
/** A reset or EPIPE: 'close' follows and reports 1006. One function for every socket. */
function ignoreSocketError(): void {}
/** Close reasons we send (at most 123 bytes, §5.5.1). */
const REASON_SHUTDOWN = 'server shutting down';
const REASON_IDLE = 'idle timeout';
const REASON_HANDLER = 'internal error';
/** §7.4.1: 1011, the server met a condition that prevented it from fulfilling the request (a handler threw). */
const CLOSE_INTERNAL_ERROR = 1011;
/** §7.4.1: 1001, going away (server shutting down; also used for an idle peer). */
const CLOSE_GOING_AWAY = 1001;
/** §7.1.5: the connection closed without a Close frame. Never sent. */
const CLOSE_ABNORMAL = 1006;

/** A server-side WebSocket connection. Made by `upgradeWebSocket()` (or `app.ws()`), not by hand. */
export class WebSocket<T = unknown> implements TopicMember {
  /** Application data given at the upgrade (route params, the user...). */
  readonly data: T;
  /** The subprotocol selected in the handshake, '' for none. */
  readonly protocol: string;
  /** The extensions answered in the handshake, '' for none. */
  readonly extensions: string;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #handlers: WebSocketHandlers<T>;
  readonly #parser: WebSocketParser;
  readonly #codec: PerMessageDeflateCodec | null;
  /** For publish: compressed frames made once are valid here only without server context takeover. */
  readonly deflateParams: PerMessageDeflateParams | null;
  readonly #limiter: ZlibLimiter;
  readonly #topics: WebSocketTopics;
  readonly #onError: (err: unknown, context: string) => void;
  readonly #maxBuffered: number;
  readonly #policy: BufferedLimitPolicy;
  readonly #idleMs: number;
  readonly #sendPings: boolean;
  readonly #closeTimeoutMs: number;
  readonly #threshold: number;
  #state: WebSocketState = 'open';
  // The message being received.
  #isText = false;
  #isCompressed = false;
  #pieces: Buffer[] = [];
  #pieceBytes = 0;
  /** A compressed message is being inflated: input is paused until it is delivered. */
  #isInflating = false;
  /** The application paused input (pause()), e.g. until its own sends drain. */
  #isPausedByApp = false;
  // Output.
  readonly #queue: Queued[] = [];
  #queuedBytes = 0;
  #needsDrain = false;
  // Closing.
  #closeSent = false;
  /** The code reported to `close`: the peer's Close's, else the one we failed the connection with, else 1006. */
  #closeCode = CLOSE_ABNORMAL;
  #closeReason = '';
  /** The TCP connection is to be closed (FIN) once the queue is written. */
  #isEnding = false;
  #closeTimer: NodeJS.Timeout | undefined;
  // Liveness.
  #idleTimer: NodeJS.Timeout | undefined;
  #sawInput = false;
  #silentTicks = 0;
  #subscriptions: Set<string> | null = null;
  /** Frame reporting for the `frame` handler; null without one (nothing is tracked then). */
  #frameTap: FrameTap | null = null;

  constructor(init: WebSocketInit<T>) {
    const o = init.options ?? {};
    this.#socket = init.socket;
    this.#handlers = init.handlers;
    this.data = init.data;
    this.protocol = init.protocol ?? '';
    this.extensions = init.extensions ?? '';
    this.remoteAddress = init.remoteAddress ?? init.socket.remoteAddress ?? '';
    const maxMessageBytes = o.maxMessageBytes ?? DEFAULT_WS_MAX_MESSAGE_BYTES;
    this.deflateParams = init.deflate ?? null;
    this.#parser = new WebSocketParser({
      role: 'server',
      perMessageDeflate: this.deflateParams !== null,
      maxMessageBytes,
      maxFramesPerMessage: o.maxFramesPerMessage ?? DEFAULT_WS_MAX_FRAMES_PER_MESSAGE,
    });
    this.#codec =
      this.deflateParams === null
        ? null
        : new PerMessageDeflateCodec({ params: this.deflateParams, role: 'server', maxMessageBytes, level: o.deflateLevel, memLevel: o.deflateMemLevel });
    this.#limiter = o.zlibLimiter ?? defaultZlibLimiter;
    this.#topics = o.topics ?? defaultTopics;
    this.#onError = o.onError ?? ((err, context) => console.error(`keel websocket: ${context}:`, err));
    this.#maxBuffered = o.maxBufferedBytes ?? DEFAULT_WS_MAX_BUFFERED_BYTES;
    this.#policy = o.bufferedLimitPolicy ?? 'drop';
    this.#idleMs = o.idleTimeoutMs ?? DEFAULT_WS_IDLE_TIMEOUT_MS;
    this.#sendPings = o.sendPings ?? true;
    this.#closeTimeoutMs = o.closeTimeoutMs ?? DEFAULT_WS_CLOSE_TIMEOUT_MS;
    this.#threshold = o.deflateThresholdBytes ?? DEFAULT_WS_DEFLATE_THRESHOLD_BYTES;
    if (init.handlers.frame !== undefined) this.#frameTap = { left: 0, isFinReported: true };
  }

  /**
   * Starts the connection: listens to the socket, runs `open`, then reads the bytes that came
   * with the handshake. Called once by the upgrade, after the 101 is written.
   * @internal
   */
  start(head: Buffer): void {
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => this.#checkDrain());
    socket.on('close', () => this.#onClose());
    socket.on('error', ignoreSocketError);
    this.#armIdle();
    this.#call('open', () => this.#handlers.open?.(this));
    if (head.length > 0 && this.#state !== 'closed') this.#onData(head);
    // The peer's FIN came before the hand-off (while the handler decided): 'end' will not fire again.
    if (socket.readableEnded) this.#onEnd();
    else if (!this.#isInflating && !this.#isPausedByApp) socket.resume();
  }

  /** open, closing (a Close sent or received) or closed. */
  get state(): WebSocketState {
    return this.#state;
  }

  /** Bytes not yet handed to the kernel: the socket's unsent bytes plus messages queued for compression. */
  get bufferedAmount(): number {
    return this.#socket.writableLength + this.#queuedBytes;
  }

  /**
   * Sends a message: text for a string, binary for bytes, unless `binary` says otherwise.
   * With permessage-deflate, messages of at least `deflateThresholdBytes` are compressed
   * (`compress: false` sends one as is); bytes given are read later then, so do not change them.
   * @returns 'sent' (taken, under the high-water mark), 'buffered' (taken; wait for `drain`), 'dropped' (not taken)
   */
  send(data: string | Uint8Array, options: { binary?: boolean; compress?: boolean } = {}): SendStatus {
    if (this.#state !== 'open' || !this.#hasRoom()) return 'dropped';
    const isBinary = options.binary ?? typeof data !== 'string';
    const kind = isBinary ? 'binary' : 'text';
    const codec = this.#codec;
    if (codec !== null && options.compress !== false && data.length >= this.#threshold) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const frame = this.#limiter.run(() => codec.compress(bytes)).then((payload) => encodeMessage(kind, payload, { compressed: true }));
      this.#enqueue(frame, bytes.length);
    } else {
      this.#enqueue(encodeMessage(kind, data), 0);
    }
    return this.#status();
  }

  /**
   * Queues a frame made elsewhere (a publish frames a message once for every subscriber).
   * Same rules and result as send().
   * @internal
   */
  sendFrame(frame: Buffer | Promise<Buffer>, bytes: number): SendStatus {
    if (this.#state !== 'open' || !this.#hasRoom()) return 'dropped';
    this.#enqueue(frame, Buffer.isBuffer(frame) ? 0 : bytes);
    return this.#status();
  }

  /** Sends a Ping (§5.5.2) with up to 125 bytes of data. */
  ping(data: string | Uint8Array = EMPTY): SendStatus {
    if (this.#state !== 'open') return 'dropped';
    this.#enqueue(encodePing(data), 0);
    return this.#status();
  }

  /**
   * Starts the close handshake (§7.1.2): sends a Close with this code and reason (code
   * 1000-1003, 1007-1014 or 3000-4999; reason at most 123 bytes) and waits `closeTimeoutMs`
   * for the peer's Close, then closes the socket. Messages sent before are delivered first.
   * @throws RangeError for a code that may not be sent or a reason too long (see encodeClose)
   */
  close(code = 1000, reason = ''): void {
    if (this.#state !== 'open') return;
    const frame = encodeClose(code, reason); // throws on a bad code before anything changes
    this.#state = 'closing';
    this.#sendClose(frame);
  }

  /** Destroys the connection at once, without a close handshake (the peer sees 1006). */
  terminate(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#socket.destroy();
  }

  /**
   * Stops reading messages (TCP flow control then slows the peer down), e.g. while the
   * peer does not read what we send: an echo pauses on 'buffered' and resumes on `drain`.
   * Input held back this long still counts as silence for the idle timeout.
   */
  pause(): void {
    if (this.#state !== 'open') return;
    this.#isPausedByApp = true;
    this.#socket.pause();
  }

  /** Reads again after pause(); messages already received are delivered now. */
  resume(): void {
    if (!this.#isPausedByApp) return;
    this.#isPausedByApp = false;
    this.#continueReading();
  }

  /** Server shutdown: close with 1001 (§7.4.1: going away); the server's deadline bounds the handshake. */
  shutdown(): void {
    this.close(CLOSE_GOING_AWAY, REASON_SHUTDOWN);
  }

  // ---- topics -------------------------------------------------------------

  /** Subscribes this connection to a topic (see publish()). Returns false if it already was. */
  subscribe(topic: string): boolean {
    if (this.#state === 'closed') return false;
    (this.#subscriptions ??= new Set()).add(topic);
    return this.#topics.subscribe(this, topic);
  }

  /** Unsubscribes from a topic. Returns false if it was not subscribed. */
  unsubscribe(topic: string): boolean {
    this.#subscriptions?.delete(topic);
    return this.#topics.unsubscribe(this, topic);
  }

  isSubscribed(topic: string): boolean {
    return this.#subscriptions?.has(topic) ?? false;
  }

  /** The topics this connection is subscribed to. */
  get subscriptions(): string[] {
    return this.#subscriptions === null ? [] : [...this.#subscriptions];
  }

  /** Sends a message to every subscriber of `topic` but this one (Bun's `ws.publish`). Returns how many took it. */
  publish(topic: string, data: string | Uint8Array, options: { binary?: boolean } = {}): number {
    return this.#topics.publish(topic, data, { ...options, except: this });
  }

  // ---- input --------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#sawInput = true;
    this.#parser.receive(chunk);
    // What the handlers send while this chunk's messages are read (echoes, pongs) leaves in one
    // writev instead of a syscall per frame: a read of 16 small messages is one write, not 16.
    const socket = this.#socket;
    socket.cork();
    try {
      this.#read();
    } finally {
      socket.uncork();
    }
  }

  /** Pulls events until the parser needs data, or a compressed message must be inflated first. */
  #read(): void {
    const parser = this.#parser;
    while (!this.#isInflating && !this.#isPausedByApp && this.#state !== 'closed') {
      let ev;
      try {
        ev = parser.nextEvent();
      } catch (err) {
        this.#fail(err);
        return;
      }
      if (ev === WS_NEED_DATA) return;
      if (this.#frameTap !== null) this.#tapFrame(ev);
      switch (ev.type) {
        case 'message-start':
          this.#isText = ev.kind === 'text';
          this.#isCompressed = ev.compressed;
          this.#pieces = [];
          this.#pieceBytes = 0;
          break;
        case 'message-data':
          this.#pieces.push(ev.data);
          this.#pieceBytes += ev.data.length;
          break;
        case 'message-end': {
          // Taken before delivering: the handler may resume() and read the next message (nested).
          const pieces = this.#pieces;
          this.#pieces = [];
          if (this.#isCompressed) this.#inflate(pieces, this.#isText);
          else this.#deliver(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, this.#pieceBytes), this.#isText);
          break;
        }
        case 'ping':
          // §5.5.2: answer with a Pong carrying the same data, unless we already sent a Close
          // (§5.5.1). Not while over maxBufferedBytes: a peer that sends pings and never reads
          // would grow the buffer without bound; §5.5.3 lets a pong answer only the latest ping.
          if (!this.#closeSent && this.bufferedAmount <= this.#maxBuffered) this.#enqueue(encodePong(ev.data), 0);
          this.#call('ping', () => this.#handlers.ping?.(this, ev.data));
          break;
        case 'pong':
          this.#call('pong', () => this.#handlers.pong?.(this, ev.data));
          break;
        case 'close':
          this.#onPeerClose(ev.code, ev.reason);
          return;
      }
    }
  }

  /**
   * Reports frame headers to the `frame` handler. The parser reports messages, not frames, so
   * a frame is recognised by its events: a message-start or control event is a frame of its
   * own; a message-data event once the previous frame's payload is all seen starts a
   * continuation frame; a message-end whose final frame was not seen had an empty final frame.
   */
  #tapFrame(ev: WebSocketEvent): void {
    const tap = this.#frameTap!;
    const isControl = ev.type === 'ping' || ev.type === 'pong' || ev.type === 'close';
    const isNewFrame =
      isControl || ev.type === 'message-start' || (ev.type === 'message-data' && tap.left === 0) || (ev.type === 'message-end' && !tap.isFinReported);
    if (isNewFrame) {
      const header = this.#parser.lastFrame;
      // A control frame may come between a message's frames (§5.4): it leaves the data frame's count alone.
      if (!isControl) {
        tap.left = header.payloadLength;
        tap.isFinReported = header.fin;
      }
      this.#call('frame', () => this.#handlers.frame?.(this, header));
    }
    if (ev.type === 'message-data') tap.left -= ev.data.length;
  }

  /** Inflates a compressed message off the event loop; input waits (paused) so messages stay in order. */
  #inflate(pieces: Buffer[], isText: boolean): void {
    const codec = this.#codec!;
    this.#isInflating = true;
    this.#socket.pause();
    this.#limiter.run(() => codec.decompress(pieces)).then(
      (data) => {
        if (this.#state === 'closed') return;
        // §8.1: text must be UTF-8; compressed text is checked once inflated (the parser cannot).
        if (isText && !isValidUtf8(data)) {
          this.#fail(new WebSocketInvalidDataError('inflated text message is not valid UTF-8'));
          return;
        }
        this.#isInflating = false;
        this.#deliver(data, isText);
        this.#continueReading();
      },
      (err: unknown) => {
        if (this.#state !== 'closed') this.#fail(err);
      },
    );
  }

  /** Reads on once nothing holds input back (an inflation, the application's pause()). */
  #continueReading(): void {
    if (this.#isInflating || this.#isPausedByApp || this.#state === 'closed') return;
    this.#socket.resume();
    this.#read();
  }

  #deliver(data: Buffer, isText: boolean): void {
    const handler = this.#handlers.message;
    if (handler === undefined) return;
    this.#call('message', () => handler.call(this.#handlers, this, isText ? data.toString('utf8') : data, !isText));
  }

  /**
   * The peer's Close (§5.5.1): answer with a Close carrying the same code (an empty one for
   * 1005: no code was sent), unless ours is out already, then close the TCP connection
   * (§7.1.1: the server closes it first).
   */
  #onPeerClose(code: number, reason: string): void {
    // §7.1.5: the close code is the one of the Close received (an answer to ours too).
    this.#closeCode = code;
    this.#closeReason = reason;
    if (!this.#closeSent) {
      this.#state = 'closing';
      this.#sendClose(code === CLOSE_NO_STATUS ? encodeClose() : encodeClose(code));
    }
    this.#endSocket();
  }

  /** The peer sent FIN without a Close (§7.1.5: 1006, abnormal). */
  #onEnd(): void {
    if (this.#state === 'open') this.#state = 'closing';
    this.#endSocket();
  }

  /** §7.1.7: fail the connection: a Close with the error's code (never peer bytes), then close the TCP connection. */
  #fail(err: unknown): void {
    if (!(err instanceof WebSocketError)) {
      this.#onError(err, 'websocket failed');
      this.terminate();
      return;
    }
    if (this.#state === 'open') {
      this.#state = 'closing';
      this.#closeCode = err.closeCode;
      this.#closeReason = err.publicReason;
      this.#sendClose(encodeClose(err.closeCode, err.publicReason));
    }
    this.#endSocket();
  }

  #sendClose(frame: Buffer): void {
    this.#closeSent = true;
    this.#enqueue(frame, 0);
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
    this.#closeTimer.unref();
  }

  /** FIN after the queued frames (§7.1.1: the server closes the TCP connection first). */
  #endSocket(): void {
    this.#isInflating = false;
    this.#isPausedByApp = false;
    this.#isEnding = true;
    this.#socket.resume(); // a paused socket would never see the peer's FIN
    if (this.#queue.length === 0) this.#socket.end();
    // else #pump() ends it once the queue is written
    if (this.#closeTimer === undefined) {
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
      this.#closeTimer.unref();
    }
  }

  #onClose(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#idleTimer);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#codec?.close();
    if (this.#subscriptions !== null) {
      for (const topic of this.#subscriptions) this.#topics.unsubscribe(this, topic);
      this.#subscriptions = null;
    }
    const code = this.#closeCode;
    this.#call('close', () => this.#handlers.close?.(this, code, this.#closeReason));
  }

  // ---- output -------------------------------------------------------------

  /** Whether a send may be taken under the `maxBufferedBytes` policy. */
  #hasRoom(): boolean {
    if (this.bufferedAmount <= this.#maxBuffered) return true;
    if (this.#policy === 'close') this.terminate();
    return false;
  }

  #status(): SendStatus {
    if (this.bufferedAmount < this.#socket.writableHighWaterMark) return 'sent';
    this.#needsDrain = true;
    return 'buffered';
  }

  /** Writes a frame now, or queues it behind frames still being made (compression). */
  #enqueue(frame: Buffer | Promise<Buffer>, bytes: number): void {
    if (this.#queue.length === 0 && Buffer.isBuffer(frame)) {
      this.#socket.write(frame);
      return;
    }
    // A frame being made rejects when the connection closes under it (the codec is closed):
    // #pump() awaits only the first, so the others must not become unhandled rejections.
    if (!Buffer.isBuffer(frame)) frame.catch(() => undefined);
    this.#queue.push({ frame, bytes });
    this.#queuedBytes += bytes;
    if (this.#queue.length === 1) void this.#pump();
  }

  /** Writes queued frames in order, waiting for each one still being made. */
  async #pump(): Promise<void> {
    const queue = this.#queue;
    while (queue.length > 0) {
      const item = queue[0];
      let frame: Buffer;
      try {
        frame = Buffer.isBuffer(item.frame) ? item.frame : await item.frame;
      } catch (err) {
        if (this.#state !== 'closed') {
          this.#onError(err, 'websocket compression failed');
          this.terminate();
        }
        return;
      }
      if (this.#state === 'closed') return;
      queue.shift();
      this.#queuedBytes -= item.bytes;
      this.#socket.write(frame);
    }
    if (this.#isEnding) this.#socket.end();
    this.#checkDrain();
  }

  #checkDrain(): void {
    if (!this.#needsDrain || this.#state !== 'open' || this.bufferedAmount >= this.#socket.writableHighWaterMark) return;
    this.#needsDrain = false;
    this.#call('drain', () => this.#handlers.drain?.(this));
  }

  // ---- liveness -----------------------------------------------------------

  /**
   * The idle check runs every half of idleTimeoutMs. A half with input resets the count; after
   * one silent half a Ping goes out (when sendPings), after two the connection is closed 1001.
   */
  #armIdle(): void {
    if (this.#idleMs <= 0) return;
    this.#idleTimer = setTimeout(() => this.#onIdleTick(), Math.max(1, Math.floor(this.#idleMs / 2)));
    this.#idleTimer.unref();
  }

  #onIdleTick(): void {
    if (this.#state !== 'open') return;
    if (this.#sawInput) {
      this.#sawInput = false;
      this.#silentTicks = 0;
    } else if (++this.#silentTicks >= 2) {
      this.close(CLOSE_GOING_AWAY, REASON_IDLE);
      return;
    } else if (this.#sendPings) {
      this.#enqueue(encodePing(), 0);
    }
    this.#idleTimer!.refresh();
  }

  /** Runs an application callback: a throw or a rejection goes to onError and closes the connection 1011 (§7.4.1). */
  #call(what: string, fn: () => unknown): void {
    let result;
    try {
      result = fn();
    } catch (err) {
      this.#handlerFailed(what, err);
      return;
    }
    if (result != null && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (err: unknown) => this.#handlerFailed(what, err));
    }
  }

  #handlerFailed(what: string, err: unknown): void {
    this.#onError(err, `websocket ${what} handler failed`);
    if (this.#state === 'open') this.close(CLOSE_INTERNAL_ERROR, REASON_HANDLER);
  }
}
