/**
 * The client's public surface (src/client): what src/index.ts re-exports from here
 * (the response parser and its errors reach src/index.ts through wire/index.ts).
 *
 * Owns the explicit list of exports; connection internals (ClientConnection,
 * Dispatch) stay out. Must not import server/.
 */
export { Client } from './client.js';
export { Agent } from './agent.js';
export { fetch, createFetch, getDefaultAgent, MAX_REDIRECTS } from './fetch.js';
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
  type RequestOptions,
  type RequestBody,
  type HeadersInit,
  DEFAULT_CLIENT_MAX_CONNECTIONS,
  DEFAULT_CLIENT_PIPELINING,
  DEFAULT_CLIENT_IDLE_TIMEOUT_MS,
  DEFAULT_CLIENT_MAX_REQUESTS_PER_CONNECTION,
  DEFAULT_CLIENT_CONNECT_TIMEOUT_MS,
  DEFAULT_CLIENT_HEADERS_TIMEOUT_MS,
  DEFAULT_CLIENT_BODY_TIMEOUT_MS,
  DEFAULT_CLIENT_EXPECT_CONTINUE_TIMEOUT_MS,
  DEFAULT_CLIENT_MAX_RETRIES,
} from './options.js';
export { ResponseError, ResponseClosedError } from '../wire/errors.js';
export {
  ResponseParser,
  type ResponseParserLimits,
  type ResponseHeadEvent,
  type InformationalEvent,
  type ResponseParserEvent,
  type ResponseBodyKind,
  DEFAULT_RESPONSE_PARSER_LIMITS,
  DEFAULT_MAX_STATUS_LINE_BYTES,
  DEFAULT_MAX_RESPONSE_HEADER_BYTES,
  DEFAULT_MAX_RESPONSE_HEADER_COUNT,
  DEFAULT_MAX_RESPONSE_CHUNK_EXTENSION_BYTES,
  DEFAULT_MAX_RESPONSE_BODY_BYTES,
  DEFAULT_MAX_INFORMATIONAL_RESPONSES,
} from '../wire/response-parser.js';
