/**
 * The client's public surface (src/client): src/index.ts re-exports this file with
 * `export *` (the response parser and its errors reach it through wire/public.ts).
 *
 * Owns the explicit list of exports (no `export *`; test/index.test.ts pins the
 * result), so everything here is public API; connection internals
 * (ClientConnection, Dispatch) stay out. Must not import server/.
 */
export { Client } from './client.js';
export { Agent } from './agent.js';
export { fetch, createFetch, getDefaultAgent } from './fetch.js';
export { ClientResponse, ResponseBody } from './response.js';
export {
  ClientError,
  ConnectError,
  SocketError,
  ClientTimeoutError,
  ClientAbortError,
  ClientClosedError,
  RequestBodyError,
} from './errors.js';
export {
  type ClientOptions,
  type AgentOptions,
  type RequestOptions,
  type RequestBody,
  DEFAULT_CLIENT_MAX_CONNECTIONS,
  DEFAULT_CLIENT_PIPELINING,
  DEFAULT_CLIENT_IDLE_TIMEOUT_MS,
  DEFAULT_CLIENT_MAX_REQUESTS_PER_CONNECTION,
  DEFAULT_CLIENT_CONNECT_TIMEOUT_MS,
  DEFAULT_CLIENT_HEADERS_TIMEOUT_MS,
  DEFAULT_CLIENT_BODY_TIMEOUT_MS,
  DEFAULT_CLIENT_EXPECT_CONTINUE_TIMEOUT_MS,
  DEFAULT_CLIENT_MAX_RETRIES,
  DEFAULT_AGENT_MAX_ORIGINS,
} from './options.js';
// The response parser and its errors are wire/'s (src/wire/index.ts lists them); not repeated here.
