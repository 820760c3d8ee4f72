/**
 * The Handler contract: the only thing the layers above `server/` know about it.
 *
 * Owns the `Request`, `ResponseWriter` and `Handler` types (Go's `ServeHTTP(w, r)`
 * made TypeScript). It holds types only: no sockets, no parser. The app,
 * static and CGI layers `import type` from here and nothing else from server/.
 */
import type { WebSocket, WebSocketHandlers } from './websocket.js';
import type { UpgradeOptions } from './websocket-upgrade.js';

/** A header map for responses: case-insensitive names, insertion order kept. */
export interface HeaderMapLike {
  /** Replaces every field of this name with one (or several, for an array) value. */
  set(name: string, value: string | number | readonly string[]): this;
  /** Adds one more field line of this name (e.g. a second `Set-Cookie`). */
  append(name: string, value: string | number): this;
  /** The values of this name joined with ", ", or undefined. */
  get(name: string): string | undefined;
  /** Every value of this name, one per field line. */
  getAll(name: string): string[];
  has(name: string): boolean;
  delete(name: string): boolean;
  /** Field lines as [name, value] in order; names keep the case they were set with. */
  entries(): IterableIterator<[string, string]>;
}

/** A parsed request as the handler sees it. Bytes of names and values are latin1 strings. */
export interface Request {
  /** The method token exactly as received (case kept; methods are case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** The request-target exactly as received: origin, absolute, authority or asterisk form. */
  readonly target: string;
  /** The path part of the target, still percent-encoded ("*" for the asterisk form, the path of an absolute-form target). */
  readonly path: string;
  /** The query without the "?", still percent-encoded; "" when there is none. */
  readonly query: string;
  /** HTTP version of the request line. */
  readonly version: '1.0' | '1.1';
  /** Field lines as received: [name0, value0, name1, value1, ...]; values trimmed of SP/HTAB. */
  readonly rawHeaders: readonly string[];
  /** Case-insensitive lookup; repeated fields are joined with ", " (RFC 9110 §5.3). */
  header(name: string): string | undefined;
  /** Every value of a field, one per field line, in order. */
  headerAll(name: string): string[];
  /** True when the request has a body (Content-Length > 0 or chunked). */
  readonly hasBody: boolean;
  /** The declared Content-Length; 0 when there is no body; undefined when chunked. */
  readonly contentLength: number | undefined;
  /**
   * The body as a stream of chunks, after transfer decoding. It can be consumed once.
   * Iterating it sends `100 Continue` when the client asked for it (RFC 9110 §10.1.1).
   * Reading pauses the socket when the consumer is slow (backpressure).
   * Throws a `ProtocolError` (413 when over `maxBodyBytes`) or an abort error.
   */
  readonly body: AsyncIterable<Buffer>;
  /** The whole body in one Buffer. */
  bytes(): Promise<Buffer>;
  /** The whole body decoded as UTF-8. */
  text(): Promise<string>;
  /** The whole body parsed as JSON (throws SyntaxError on bad JSON). */
  json(): Promise<unknown>;
  /** Trailer fields of a chunked body (flat like rawHeaders); empty until the body has been read. */
  readonly trailers: readonly string[];
  /** Peer address of the TCP connection. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** True on a TLS connection. */
  readonly isSecure: boolean;
  /** Aborted when the client disconnects before the response is complete. Created on first use. */
  readonly signal: AbortSignal;
}

/** What a handler writes its response with. */
export interface ResponseWriter {
  /** Status code sent by the first write/end (default 200). */
  status: number;
  /** Response header fields; frozen once the head is sent. */
  readonly headers: HeaderMapLike;
  /** True once the status line and headers have been handed to the socket. */
  readonly headersSent: boolean;
  /** True once end() was called. */
  readonly finished: boolean;
  /** True when the connection is gone; further writes are dropped. */
  readonly closed: boolean;
  /** Sets the status (and headers) and sends the head now. */
  writeHead(status: number, headers?: Record<string, string | number | readonly string[]>): this;
  /**
   * Writes a chunk of the body. Without a Content-Length the response is sent chunked
   * (HTTP/1.1) or delimited by close (HTTP/1.0). Returns false when the socket buffer
   * is full: wait for `drain()` before writing more.
   */
  write(chunk: string | Uint8Array): boolean;
  /** Resolves when the socket can take more data (at once if it can now, or if closed). */
  drain(): Promise<void>;
  /** Finishes the response, with an optional last chunk. A Content-Length is added when the whole body is given here. */
  end(chunk?: string | Uint8Array): void;
  /** Trailer fields sent after the last chunk of a chunked response (RFC 9112 §7.1.2). */
  setTrailer(name: string, value: string): void;
  /**
   * Sends a 103 Early Hints interim response with these fields (RFC 8297), typically `Link`
   * preloads, before the final response is ready. Names and values are checked as in
   * `headers.set()`. Not sent to an HTTP/1.0 client (RFC 9110 §15.2) or once the connection is
   * gone; throws once the final head was sent.
   */
  writeEarlyHints(fields: Record<string, string | readonly string[]>): void;
  /**
   * Abandons the response and closes the connection (the way to say "this body is broken"
   * once the head is out): the client sees no response, a chunked body without its last
   * chunk, or a body short of its Content-Length. Complete responses to earlier pipelined
   * requests are sent first. `err`, when given, goes to the server's `onError`. Later writes
   * are dropped; `onClose` callbacks run and `req.signal` aborts, as when the client leaves.
   * A response that already looks complete (HTTP/1.0 read-until-close, HEAD, 204, 304, a
   * Content-Length fully written) closes normally: its client cannot tell.
   */
  destroy(err?: unknown): void;
  /** Calls fn once when the response completes or the connection closes, whichever comes first. */
  onClose(fn: () => void): void;
  /**
   * Answers a WebSocket upgrade request (RFC 6455): the 101 and a WebSocket, or a 400/426
   * refusal and null (see upgradeWebSocket() in websocket-upgrade.ts). Present on the server's
   * responses; absent where there is no connection to hand over (in-memory app requests).
   */
  upgradeWebSocket?<T = undefined>(req: Request, handlers: WebSocketHandlers<T>, options?: UpgradeOptions<T>): WebSocket<T> | null;
}

/** The contract every layer plugs into: `(req, res) => void | Promise<void>`. */
export type Handler = (req: Request, res: ResponseWriter) => void | Promise<void>;
