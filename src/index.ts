/**
 * keel's public API: the only entry point examples and users import.
 *
 * Owns the list of exports (anything here is maintained forever); internals
 * such as the Connection class or the in-memory writers stay out.
 */
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
  DEFAULT_TIMER_RESOLUTION_MS,
} from './server/options.js';
export type { ConnState } from './server/state.js';
export { RequestTimeoutError, RequestAbortedError, RequestBodyDiscardedError } from './server/connection.js';
export * from './wire/index.js';
export * from './app/index.js';
export { staticHandler, type StaticOptions } from './handlers/static.js';
export { cgiHandler, CgiAbortError, type CgiOptions } from './handlers/cgi.js';
export { startCluster, onShutdown, autoWorkerCount, type ClusterOptions, type Supervisor } from './server/cluster.js';
export { clientInfo, type ClientInfo, type TrustedProxyOptions } from './server/trusted-proxy.js';
export { ProxyProtocolError } from './server/proxy-protocol.js';
