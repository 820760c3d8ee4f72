/**
 * keel's public API: the only entry point examples and users import (`'keel'`;
 * the database layer is `'keel/db'`, src/db/index.ts).
 *
 * Owns the list of exports: every name is written out here or in one of the
 * explicit lists it re-exports whole (src/wire/public.ts, src/client/index.ts,
 * src/app/public.ts: each layer's public part, with no `export *` of its own),
 * so each name is written once and adding to the API is a deliberate edit,
 * pinned by test/index.test.ts.
 * Anything here is maintained forever. Internals stay out: the Connection, the
 * in-memory writers, the wire layer's byte helpers (serializers, chunk framing,
 * header-map flags), and Server's connection bookkeeping.
 */

// The Handler contract and the server.
export type { Handler, Request, ResponseWriter, HeaderMapLike } from './server/handler.js';
export { Server, createServer } from './server/server.js';
export {
  type ServerOptions,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_REQUESTS_PER_CONNECTION,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_IDLE_GRACE_MS,
  DEFAULT_MIN_BODY_BYTES_PER_SECOND,
  DEFAULT_MAX_DISCARD_BYTES,
  DEFAULT_DISCARD_TIMEOUT_MS,
  DEFAULT_TIMER_RESOLUTION_MS,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
} from './server/options.js';
export type { ConnState } from './server/state.js';
export { RequestTimeoutError, RequestAbortedError, RequestBodyDiscardedError } from './server/errors.js';
export { ProxyProtocolError, DEFAULT_MAX_PROXY_HEADER_BYTES, DEFAULT_PROXY_HEADER_TIMEOUT_MS } from './server/proxy-protocol.js';
export { clientInfo, type ClientInfo, type TrustedProxyOptions } from './server/trusted-proxy.js';
export {
  startCluster,
  onShutdown,
  autoWorkerCount,
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_CRASH_LOOP_LIMIT,
  DEFAULT_STABLE_AFTER_MS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_CLUSTER_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  type ClusterOptions,
  type ClusterExit,
  type Supervisor,
  type ShutdownHook,
} from './server/cluster.js';

// The wire layer: the sans-IO request and response parsers, their limits and errors, and the status table.
export * from './wire/public.js';

// node:diagnostics_channel names and payloads (docs/server.md), for tracing tools.
export { DIAGNOSTICS_CHANNELS, type RequestDiagnostic, type FinishDiagnostic, type ErrorDiagnostic } from './server/diagnostics.js';

// WebSocket (RFC 6455, RFC 7692) on the server's own socket: docs/websocket.md.
export { upgradeWebSocket, type UpgradeOptions } from './server/websocket-upgrade.js';
export {
  WebSocket,
  DEFAULT_WS_MAX_BUFFERED_BYTES,
  DEFAULT_WS_IDLE_TIMEOUT_MS,
  DEFAULT_WS_CLOSE_TIMEOUT_MS,
  DEFAULT_WS_DEFLATE_THRESHOLD_BYTES,
  type WebSocketHandlers,
  type WebSocketOptions,
  type SendStatus,
  type WebSocketState,
  type BufferedLimitPolicy,
} from './server/websocket.js';
export { WebSocketTopics, defaultTopics, publish, type PublishOptions } from './server/websocket-topics.js';
export { ZlibLimiter, DEFAULT_WS_MAX_CONCURRENT_ZLIB_OPS } from './server/websocket-zlib-limiter.js';

// The client: keel's HTTP/1.1 client on the same wire (docs/client.md). `fetch` is also exported
// as `keelFetch`, a name that cannot be mistaken for the global one when both are in scope.
export * from './client/index.js';
export { fetch as keelFetch } from './client/index.js';

// The app layer.
export * from './app/public.js';

// Handlers: static files and CGI, usable with or without the App.
export {
  staticHandler,
  DEFAULT_SMALL_FILE_BYTES,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_COMPRESS_MIN_BYTES,
  DEFAULT_MAX_COMPRESS_BYTES,
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_FILE_BYTES,
  DEFAULT_MAX_LISTING_ENTRIES,
  type StaticOptions,
  type DotfilesPolicy,
  type SymlinksPolicy,
} from './handlers/static.js';
export { DEFAULT_MAX_RANGES } from './handlers/range.js';
// One cap on on-the-fly compressions, shareable by several handlers (issue #12 item 7).
export {
  CompressionLimiter,
  DEFAULT_MAX_CONCURRENT_COMPRESSIONS,
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_BROTLI_WINDOW_BITS,
  type CompressionOptions,
} from './handlers/compression.js';
export {
  cgiHandler,
  CgiAbortError,
  DEFAULT_CGI_TIMEOUT_MS,
  DEFAULT_CGI_MAX_OUTPUT_BYTES,
  DEFAULT_CGI_MAX_HEADER_BYTES,
  DEFAULT_CGI_MAX_BUFFERED_BODY_BYTES,
  DEFAULT_CGI_MAX_STDERR_LINE_BYTES,
  DEFAULT_CGI_LOCAL_REDIRECT_LIMIT,
  type CgiOptions,
  type CgiLogger,
} from './handlers/cgi.js';
export { DEFAULT_CGI_ENV_ALLOW_LIST, DEFAULT_CGI_PATH, DEFAULT_CGI_SERVER_SOFTWARE } from './handlers/cgi-env.js';
export { CgiResponseError } from './handlers/cgi-response.js';
// ERR_FILE_CHANGED: a file changed under a response already started (reaches onError).
export { FileChangedError } from './handlers/static-file.js';
