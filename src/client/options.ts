/**
 * Client options: every bound and timeout of src/client, with its default and the reason for it.
 *
 * Owns `ClientOptions`, `AgentOptions`, `RequestOptions` and the `DEFAULT_*` constants
 * (docs/limits.md, "Client", lists them). A timeout of 0 disables it.
 * Must not import server/.
 */
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_RESPONSE_PARSER_LIMITS, type ResponseParserLimits } from '../wire/response-parser.js';

/** Default of `maxConnections`: browsers open 6 per origin; a server-side client fans out a little more. */
export const DEFAULT_CLIENT_MAX_CONNECTIONS = 10;
/** Default of `pipelining`: 1, no pipelining (undici's default; many servers and proxies mishandle it). */
export const DEFAULT_CLIENT_PIPELINING = 1;
/**
 * Default of `idleTimeoutMs`: 4 s, undici's keepAliveTimeout. Below node:http's 5 s server
 * keep-alive timeout, so the client closes an idle connection before the server does and never
 * sends a request into a connection the server is closing.
 */
export const DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 4_000;
/** Default of `maxRequestsPerConnection`: 0, unlimited (undici); the server's own limit ends a connection with `Connection: close`. */
export const DEFAULT_CLIENT_MAX_REQUESTS_PER_CONNECTION = 0;
/** Default of `connectTimeoutMs`: 10 s, undici's connect timeout (TCP and TLS handshake). */
export const DEFAULT_CLIENT_CONNECT_TIMEOUT_MS = 10_000;
/** Default of `headersTimeoutMs`: 300 s, undici's; from the request's last byte to the response head's end. */
export const DEFAULT_CLIENT_HEADERS_TIMEOUT_MS = 300_000;
/** Default of `bodyTimeoutMs`: 300 s, undici's; the longest silence between two pieces of a response body. */
export const DEFAULT_CLIENT_BODY_TIMEOUT_MS = 300_000;
/** Default of `expectContinueTimeoutMs`: 1 s, as curl and Go's DefaultTransport; then the body is sent anyway (RFC 9110 §10.1.1). */
export const DEFAULT_CLIENT_EXPECT_CONTINUE_TIMEOUT_MS = 1_000;
/** Default of `maxRetries`: one resend of an idempotent request whose connection closed before any response byte. */
export const DEFAULT_CLIENT_MAX_RETRIES = 1;

/**
 * Default of `maxOrigins`: 100 Clients kept by one Agent, as Go's DefaultTransport keeps idle
 * connections for at most 100 (MaxIdleConns). Past it the least recently used idle Client is
 * closed, so an Agent that talks to ever-new origins (a crawler, webhooks) holds bounded state.
 */
export const DEFAULT_AGENT_MAX_ORIGINS = 100;

/** Options of `new Agent(options)`: every Client option (passed to each Client) and the Agent's own bound. */
export interface AgentOptions extends ClientOptions {
  /**
   * Most Clients (origins) kept at once. Making one more closes the least recently used Client
   * with nothing queued or in flight; Clients that are busy are never closed, so the Agent holds
   * more only while more origins than this have requests in flight at once.
   */
  maxOrigins?: number;
}

/** Options of `new Client(origin, options)` (and of every Client an Agent makes). */
export interface ClientOptions extends Partial<ResponseParserLimits> {
  /** Most connections open to the origin at once. */
  maxConnections?: number;
  /** Most requests in flight on one connection; above 1, idempotent requests without a streamed body are pipelined (RFC 9112 §9.3.2). */
  pipelining?: number;
  /** An idle keep-alive connection is closed after this long. */
  idleTimeoutMs?: number;
  /** A connection is closed after this many requests (0: no limit). */
  maxRequestsPerConnection?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  expectContinueTimeoutMs?: number;
  /** Resends of an idempotent request whose connection closed before any response byte (RFC 9110 §9.2.2). */
  maxRetries?: number;
  /** TLS options for https origins: `ca`, `cert`, `key`, `servername`... Certificates are verified unless `rejectUnauthorized: false`. */
  tls?: ConnectionOptions;
  /** HTTP version of the request line. '1.0' sends no chunked bodies and expects the server to close. */
  httpVersion?: '1.1' | '1.0';
  /** Sees every byte sent and received, in order, as it crosses the socket (`keel get -v`). */
  onWire?: (direction: 'sent' | 'received', bytes: Buffer) => void;
}

/** Header fields of a request: a record, pairs, or a WHATWG Headers. */
export type HeadersInit =
  | Record<string, string | number | readonly string[] | undefined>
  | Iterable<readonly [string, string]>;

/** A request body: bytes, text (UTF-8), or a stream of bytes (sent with backpressure). */
export type RequestBody = string | Uint8Array | AsyncIterable<Uint8Array> | null;

/** Options of one request. */
export interface RequestOptions {
  method?: string;
  /** origin-form target: path and query, e.g. '/search?q=1'. Default '/'. */
  path?: string;
  headers?: HeadersInit;
  body?: RequestBody;
  signal?: AbortSignal;
  /**
   * Whether the request may be resent or pipelined. Default: true for GET, HEAD, OPTIONS, TRACE,
   * PUT and DELETE (RFC 9110 §9.2.2). Setting it true on a POST asserts it is safe to repeat.
   */
  idempotent?: boolean;
  /** Send `Expect: 100-continue` and hold the body until the server's 100 (or `expectContinueTimeoutMs`). */
  expectContinue?: boolean;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Called for each 1xx response before the final one (100 Continue, 103 Early Hints). */
  onInformational?: (status: number, rawHeaders: readonly string[]) => void;
}

/** Every option resolved to a value. */
export interface ResolvedClientOptions {
  readonly maxConnections: number;
  readonly pipelining: number;
  readonly idleTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly expectContinueTimeoutMs: number;
  readonly maxRetries: number;
  readonly tls: ConnectionOptions;
  readonly httpVersion: '1.1' | '1.0';
  readonly onWire: ((direction: 'sent' | 'received', bytes: Buffer) => void) | undefined;
  readonly limits: ResponseParserLimits;
}

function count(name: string, v: number | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (!(v === Infinity || (Number.isSafeInteger(v) && v >= min))) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Validates an Agent's own options (its Clients' are checked by each Client). Throws RangeError on a bad value. */
export function resolveAgentMaxOrigins(o: AgentOptions): number {
  return count('maxOrigins', o.maxOrigins, DEFAULT_AGENT_MAX_ORIGINS, 1);
}

/** Validates options and fills in defaults. Throws RangeError on a bad value. */
export function resolveClientOptions(o: ClientOptions = {}): ResolvedClientOptions {
  const limits: ResponseParserLimits = { ...DEFAULT_RESPONSE_PARSER_LIMITS };
  for (const k of Object.keys(limits) as Array<keyof ResponseParserLimits>) {
    limits[k] = count(k, o[k], limits[k], 0);
  }
  if (o.httpVersion !== undefined && o.httpVersion !== '1.1' && o.httpVersion !== '1.0') throw new RangeError('httpVersion must be "1.1" or "1.0"');
  return {
    maxConnections: count('maxConnections', o.maxConnections, DEFAULT_CLIENT_MAX_CONNECTIONS, 1),
    pipelining: count('pipelining', o.pipelining, DEFAULT_CLIENT_PIPELINING, 1),
    idleTimeoutMs: count('idleTimeoutMs', o.idleTimeoutMs, DEFAULT_CLIENT_IDLE_TIMEOUT_MS, 0),
    maxRequestsPerConnection: count('maxRequestsPerConnection', o.maxRequestsPerConnection, DEFAULT_CLIENT_MAX_REQUESTS_PER_CONNECTION, 0),
    connectTimeoutMs: count('connectTimeoutMs', o.connectTimeoutMs, DEFAULT_CLIENT_CONNECT_TIMEOUT_MS, 0),
    headersTimeoutMs: count('headersTimeoutMs', o.headersTimeoutMs, DEFAULT_CLIENT_HEADERS_TIMEOUT_MS, 0),
    bodyTimeoutMs: count('bodyTimeoutMs', o.bodyTimeoutMs, DEFAULT_CLIENT_BODY_TIMEOUT_MS, 0),
    expectContinueTimeoutMs: count('expectContinueTimeoutMs', o.expectContinueTimeoutMs, DEFAULT_CLIENT_EXPECT_CONTINUE_TIMEOUT_MS, 0),
    maxRetries: count('maxRetries', o.maxRetries, DEFAULT_CLIENT_MAX_RETRIES, 0),
    tls: o.tls ?? {},
    httpVersion: o.httpVersion ?? '1.1',
    onWire: o.onWire,
    limits,
  };
}
