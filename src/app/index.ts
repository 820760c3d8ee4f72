/**
 * The public API of the app layer (issue #4): App, Context, routing, middleware,
 * errors, body parsers, cookies, views, the fetch adapters, and the batteries of
 * issue #16 (compress, cors, secureHeaders, bodyLimit, fromHandler).
 *
 * Owns the list of what is exported (everything here is maintained forever);
 * must not export internals (in-memory writer classes stay reachable only for
 * tests through their module).
 */
export { App, type AppOptions, type RouteHandler } from './app.js';
export type { WsRoute, WsRouteData } from './websocket.js';
export { Context, HeadersSentError, type ContextConfig, type ContextBody } from './context.js';
export { compose, NextCalledTwiceError, type Middleware, type Next } from './compose.js';
export { HttpError, sendError, type AppErrorCode, type HttpErrorOptions, type ErrorMappingOptions } from './http-error.js';
export { RadixRouter } from './router/radix.js';
export { LinearRouter } from './router/linear.js';
export type { Router, RouteMatch, PathParams } from './router/router.js';
export {
  readJson,
  readForm,
  readRaw,
  parseMediaType,
  DEFAULT_MAX_JSON_BYTES,
  DEFAULT_MAX_FORM_BYTES,
  DEFAULT_MAX_FORM_FIELDS,
  DEFAULT_MAX_RAW_BYTES,
  type JsonOptions,
  type FormOptions,
  type RawOptions,
  type FormFields,
  type MediaType,
} from './body.js';
export {
  readMultipart,
  DEFAULT_MAX_MULTIPART_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_FILES,
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_FIELD_BYTES,
  DEFAULT_MAX_PART_HEADER_BYTES,
  type MultipartOptions,
  type MultipartResult,
  type UploadedFile,
} from './multipart.js';
export { parseCookies, serializeCookie, signCookieValue, unsignCookieValue, type CookieOptions, type SameSite } from './cookies.js';
export { html, raw, layout, escapeHtml, SafeHtml, type HtmlValue, type Layout } from './views.js';
export { preferredType } from './negotiate.js';
export { toHandler, serveFetch, toFetchRequest, writeFetchResponse, type FetchHandler, type ToHandlerOptions } from './fetch.js';
export { DEFAULT_LISTEN_HOST, type ListenOptions, type RunningServer } from './listen.js';
export { compress, DEFAULT_COMPRESS_THRESHOLD_BYTES, type CompressOptions } from './compress.js';
export { cors, withCors, DEFAULT_CORS_MAX_AGE_SECONDS, DEFAULT_CORS_METHODS, type CorsOptions, type CorsOrigin } from './cors.js';
export { secureHeaders, DEFAULT_SECURE_HEADERS, type SecureHeadersOptions } from './secure-headers.js';
export { bodyLimit } from './body-limit.js';
export { fromHandler, HANDLER_BUFFER_BYTES } from './from-handler.js';
export {
  session,
  sessionStoreKey,
  DEFAULT_SESSION_IDLE_TIMEOUT_MS,
  DEFAULT_SESSION_ABSOLUTE_TIMEOUT_MS,
  DEFAULT_SESSION_TOUCH_INTERVAL_MS,
  DEFAULT_SESSION_COOKIE,
  SESSION_ID_BYTES,
  type Session,
  type SessionOptions,
  type SessionStore,
  type StoredSession,
} from './session.js';
export { memorySessionStore, DEFAULT_MAX_SESSIONS, type MemorySessionStore, type MemorySessionStoreOptions } from './session-memory-store.js';
export {
  csrf,
  csrfToken,
  verifyCsrf,
  isValidCsrfToken,
  isCrossSiteRequest,
  CSRF_SESSION_KEY,
  CSRF_SECRET_BYTES,
  CSRF_ERROR_CODE,
  DEFAULT_CSRF_HEADER,
  type CsrfOptions,
} from './csrf.js';
