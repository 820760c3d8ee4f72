/**
 * Server options: every timeout and limit of the server core, with its default and why.
 *
 * Owns `ServerOptions`, the defaults and `resolveOptions()`. Parser limits
 * (request line, headers, chunk extensions, body) come from wire/limits.ts and
 * are options of the same name here. docs/limits.md lists them all.
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from '../wire/limits.js';
import { DEFAULT_PROXY_HEADER_TIMEOUT_MS } from './proxy-protocol.js';

/** Options of `new Server(handler, options)`. Every field is optional. */
export interface ServerOptions extends Partial<ParserLimits> {
  /**
   * Longest time from the first byte of a request head to its end (slowloris).
   * On expiry: 408 and close. Default 20 s, Apache mod_reqtimeout's `header=20`.
   */
  headersTimeoutMs?: number;
  /**
   * Longest wait for the next bytes of a request body the handler is reading.
   * On expiry: 408 (or a reset if the response has started). Default 30 s.
   * It is also the grace of `minBodyBytesPerSecond`; 0 disables both.
   */
  bodyTimeoutMs?: number;
  /**
   * Slowest average rate a request body may arrive at, once `bodyTimeoutMs` of waiting is
   * spent: a reading handler may wait for the client `bodyTimeoutMs` plus 1 s per this many
   * bytes received, in all; past it the read fails with 408 as for `bodyTimeoutMs`. Without
   * it a client that sends 10 bytes every 10 s holds a connection for as long as its
   * Content-Length lasts (issue #12). Only waiting time counts, not a handler slow to read.
   * Default 500 bytes/s, Apache mod_reqtimeout's `body=20,MinRate=500`. 0 disables it.
   */
  minBodyBytesPerSecond?: number;
  /**
   * After a response ends with its request body unread, at most this many body bytes are read
   * and dropped to reach the next request on the connection; when the rest is longer (known
   * from Content-Length, or counted while dropping a chunked body) the connection closes
   * instead, and the response says `Connection: close` when it can still tell. Default 256 KiB,
   * Go's `maxPostHandlerReadBytes`. 0 drops no body byte: such a connection closes.
   */
  maxDiscardBytes?: number;
  /**
   * Longest time, in all, spent dropping such an unread body; then the connection closes (the
   * response is already sent: lingering close). Default 30 s, nginx's `lingering_time`.
   * 0 disables it (`bodyTimeoutMs` still bounds each wait).
   */
  discardTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection is kept between requests. Default 65 s:
   * longer than the 60 s idle timeout of common load balancers (AWS ALB, nginx
   * upstream pools), so the proxy closes first. A server that closes first races
   * the proxy's next request on that connection and the proxy answers 502: the
   * classic failure of node:http's 5 s default behind an ALB. nginx uses 75 s.
   */
  idleTimeoutMs?: number;
  /**
   * Longest time a response may wait for the client to read it: if the socket's send
   * buffer stays full (no 'drain') this long, the connection is destroyed. Stops a
   * client that stops reading from pinning a handler, a file handle and memory.
   * Default 60 s, nginx's `send_timeout`.
   */
  sendTimeoutMs?: number;
  /**
   * After the last response on a closing connection, how long to keep reading
   * (and discarding) so the peer receives our response before the close, instead
   * of a reset (lingering close, RFC 9112 §9.6). Default 2 s.
   */
  lingerMs?: number;
  /** Requests served on one connection before it is closed (Connection: close). Default 10,000 (nginx: 1,000). 0 = unlimited. */
  maxRequestsPerConnection?: number;
  /** Open connections accepted at once; more are refused by the listener. Default 10,000. 0 = unlimited. */
  maxConnections?: number;
  /**
   * Unparsed bytes buffered per connection while a request is in progress (pipelined
   * requests, a body not read yet). Above it the socket is paused: backpressure, not
   * an error. Default 64 KiB.
   */
  maxBufferedBytes?: number;
  /** Default deadline of `server.close()` before remaining connections are destroyed. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * On `server.close()`, how long an idle keep-alive connection (or a new one, before its first
   * request) may still send a request, counted from the end of its last response (or its
   * accept). That request is answered with `Connection: close`; a connection quiet this long is
   * closed without reading another byte. Closing at once races the request the client is
   * sending, and it is lost (issue #12: 53 requests in two reloads). Default 1 s. Go's
   * Shutdown() keeps new connections 5 s for the same reason. 0 closes them at once.
   */
  shutdownIdleGraceMs?: number;
  /** How often timeouts are checked (one sweep for all connections, not one timer each). Default 250 ms. */
  timerResolutionMs?: number;
  /** The clock, in ms (injected by tests). Default `Date.now`. */
  clock?: () => number;
  /** TLS: when set, the listener speaks HTTPS through node:tls with these options (key, cert...). */
  tls?: TlsOptions & SecureContextOptions;
  /**
   * With `tls`: longest time from accept to the end of the TLS handshake; then the socket is
   * destroyed (node:tls's `handshakeTimeout`, which this replaces: its 120 s default let a
   * client that stalls mid-handshake hold a socket for two minutes). Default 10 s: a handshake
   * is one or two round trips; Apache's mod_reqtimeout documents `handshake=5` and warns that a
   * client checking a revocation list may need longer. 0: no bound of keel's (Node's timer
   * gets its largest value). Runs on Node's own timer, not on `clock`.
   */
  tlsHandshakeTimeoutMs?: number;
  /**
   * Called with handler errors and connection errors (never sent to clients). Default:
   * console.error. If it throws (or, async, rejects), that is written to console.error and
   * dropped: a failing reporter must not take the process down with the error it reported.
   */
  onError?: (err: unknown, context: string) => void;
  /**
   * PROXY protocol v1/v2 (proxy-protocol.ts): every connection starts with a header from a
   * load balancer, whose client address and port become the request's remoteAddress and
   * remotePort. Only for a listener nothing but the proxy can reach. Plain TCP only (not
   * with `tls`). Default false.
   */
  proxyProtocol?: boolean;
  /** Longest wait for the PROXY header; on expiry the connection is closed. Default 5 s. */
  proxyHeaderTimeoutMs?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions extends ParserLimits {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  minBodyBytesPerSecond: number;
  maxDiscardBytes: number;
  discardTimeoutMs: number;
  idleTimeoutMs: number;
  sendTimeoutMs: number;
  lingerMs: number;
  maxRequestsPerConnection: number;
  maxConnections: number;
  maxBufferedBytes: number;
  shutdownTimeoutMs: number;
  shutdownIdleGraceMs: number;
  timerResolutionMs: number;
  clock: () => number;
  tls: (TlsOptions & SecureContextOptions) | undefined;
  tlsHandshakeTimeoutMs: number;
  onError: (err: unknown, context: string) => void;
  proxyProtocol: boolean;
  proxyHeaderTimeoutMs: number;
}

/** Default of `headersTimeoutMs`. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
/** Default of `bodyTimeoutMs`. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Default of `minBodyBytesPerSecond`. */
export const DEFAULT_MIN_BODY_BYTES_PER_SECOND = 500;
/** Default of `maxDiscardBytes`. */
export const DEFAULT_MAX_DISCARD_BYTES = 256 * 1024;
/** Default of `discardTimeoutMs`. */
export const DEFAULT_DISCARD_TIMEOUT_MS = 30_000;
/** Default of `idleTimeoutMs`. */
export const DEFAULT_IDLE_TIMEOUT_MS = 65_000;
/** Default of `sendTimeoutMs`. */
export const DEFAULT_SEND_TIMEOUT_MS = 60_000;
/** Default of `lingerMs`. */
export const DEFAULT_LINGER_MS = 2_000;
/** Default of `maxRequestsPerConnection`. */
export const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 10_000;
/** Default of `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Default of `maxBufferedBytes`. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024;
/** Default of `shutdownTimeoutMs`. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Default of `shutdownIdleGraceMs`. */
export const DEFAULT_SHUTDOWN_IDLE_GRACE_MS = 1_000;
/** Default of `tlsHandshakeTimeoutMs`. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default of `timerResolutionMs`. */
export const DEFAULT_TIMER_RESOLUTION_MS = 250;

function defaultOnError(err: unknown, context: string): void {
  console.error(`keel: ${context}:`, err);
}

/**
 * Fills in defaults and checks that every number is a non-negative finite number. The result
 * is frozen (issue #14 item 3): the parser and every connection read it for the server's whole
 * life, so a change after the start would apply to some connections and not others.
 */
export function resolveOptions(options: ServerOptions = {}): Readonly<ResolvedOptions> {
  const o: ResolvedOptions = {
    ...DEFAULT_PARSER_LIMITS,
    headersTimeoutMs: DEFAULT_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
    minBodyBytesPerSecond: DEFAULT_MIN_BODY_BYTES_PER_SECOND,
    maxDiscardBytes: DEFAULT_MAX_DISCARD_BYTES,
    discardTimeoutMs: DEFAULT_DISCARD_TIMEOUT_MS,
    idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    sendTimeoutMs: DEFAULT_SEND_TIMEOUT_MS,
    lingerMs: DEFAULT_LINGER_MS,
    maxRequestsPerConnection: DEFAULT_MAX_REQUESTS_PER_CONNECTION,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
    shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
    shutdownIdleGraceMs: DEFAULT_SHUTDOWN_IDLE_GRACE_MS,
    timerResolutionMs: DEFAULT_TIMER_RESOLUTION_MS,
    clock: Date.now,
    tls: undefined,
    tlsHandshakeTimeoutMs: DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    onError: defaultOnError,
    proxyProtocol: false,
    proxyHeaderTimeoutMs: DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(key in o)) throw new TypeError(`unknown server option: ${key}`);
    const current = (o as unknown as Record<string, unknown>)[key];
    if (typeof current === 'number' && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
      throw new TypeError(`server option ${key} must be a non-negative number`);
    }
    (o as unknown as Record<string, unknown>)[key] = value;
  }
  if (o.onError !== defaultOnError) o.onError = guardedReporter(o.onError);
  // The tls object is node:tls's to read; freezing it too would change what the caller passed.
  return Object.freeze(o);
}

/**
 * The user's onError, made safe to call from socket events and promise callbacks: there a
 * throw would become an uncaught exception or an unhandled rejection, and end the process.
 */
function guardedReporter(report: (err: unknown, context: string) => void): (err: unknown, context: string) => void {
  return (err, context) => {
    const failed = (thrown: unknown): void => {
      console.error(`keel: onError threw while reporting "${context}":`, thrown, '\noriginal error:', err);
    };
    try {
      // An async reporter returns a promise: its rejection would be an unhandled rejection.
      const result: unknown = report(err, context);
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, failed);
      }
    } catch (thrown) {
      failed(thrown);
    }
  };
}
