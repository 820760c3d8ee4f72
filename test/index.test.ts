// keel's public API is an explicit list (issue #13 item 3): this test pins it, so adding to or
// removing from the API is a deliberate edit here, reviewed as such. It also checks that the
// package name resolves to the same list (package.json "exports"; needs `npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as api from '../src/index.js';
import { Server } from '../src/index.js';

/** Every runtime value `import ... from 'keel'` offers. */
const VALUES = [
  'Agent',
  'App',
  'BadRequestError',
  'CSRF_ERROR_CODE',
  'CSRF_SECRET_BYTES',
  'CSRF_SESSION_KEY',
  'CgiAbortError',
  'CgiResponseError',
  'Client',
  'ClientAbortError',
  'ClientClosedError',
  'ClientError',
  'ClientResponse',
  'ClientTimeoutError',
  'CompressionLimiter',
  'ConnectError',
  'Context',
  'DEFAULT_AGENT_MAX_ORIGINS',
  'DEFAULT_BODY_TIMEOUT_MS',
  'DEFAULT_BROTLI_QUALITY',
  'DEFAULT_BROTLI_WINDOW_BITS',
  'DEFAULT_CACHE_MAX_BYTES',
  'DEFAULT_CACHE_MAX_ENTRIES',
  'DEFAULT_CACHE_MAX_FILE_BYTES',
  'DEFAULT_CACHE_TTL_MS',
  'DEFAULT_CGI_ENV_ALLOW_LIST',
  'DEFAULT_CGI_LOCAL_REDIRECT_LIMIT',
  'DEFAULT_CGI_MAX_BUFFERED_BODY_BYTES',
  'DEFAULT_CGI_MAX_HEADER_BYTES',
  'DEFAULT_CGI_MAX_OUTPUT_BYTES',
  'DEFAULT_CGI_MAX_STDERR_LINE_BYTES',
  'DEFAULT_CGI_PATH',
  'DEFAULT_CGI_SERVER_SOFTWARE',
  'DEFAULT_CGI_TIMEOUT_MS',
  'DEFAULT_CHUNK_BYTES',
  'DEFAULT_CLIENT_BODY_TIMEOUT_MS',
  'DEFAULT_CLIENT_CONNECT_TIMEOUT_MS',
  'DEFAULT_CLIENT_EXPECT_CONTINUE_TIMEOUT_MS',
  'DEFAULT_CLIENT_HEADERS_TIMEOUT_MS',
  'DEFAULT_CLIENT_IDLE_TIMEOUT_MS',
  'DEFAULT_CLIENT_MAX_CONNECTIONS',
  'DEFAULT_CLIENT_MAX_REQUESTS_PER_CONNECTION',
  'DEFAULT_CLIENT_MAX_RETRIES',
  'DEFAULT_CLIENT_PIPELINING',
  'DEFAULT_CLUSTER_SHUTDOWN_TIMEOUT_MS',
  'DEFAULT_COMPRESS_MIN_BYTES',
  'DEFAULT_COMPRESS_THRESHOLD_BYTES',
  'DEFAULT_CORS_MAX_AGE_SECONDS',
  'DEFAULT_CORS_METHODS',
  'DEFAULT_CRASH_LOOP_LIMIT',
  'DEFAULT_CSRF_HEADER',
  'DEFAULT_DISCARD_TIMEOUT_MS',
  'DEFAULT_HEADERS_TIMEOUT_MS',
  'DEFAULT_IDLE_TIMEOUT_MS',
  'DEFAULT_INITIAL_BACKOFF_MS',
  'DEFAULT_KILL_GRACE_MS',
  'DEFAULT_LINGER_MS',
  'DEFAULT_LISTEN_HOST',
  'DEFAULT_MAX_BACKOFF_MS',
  'DEFAULT_MAX_BODY_BYTES',
  'DEFAULT_MAX_BUFFERED_BYTES',
  'DEFAULT_MAX_CHUNK_EXTENSION_BYTES',
  'DEFAULT_MAX_COMPRESS_BYTES',
  'DEFAULT_MAX_CONCURRENT_COMPRESSIONS',
  'DEFAULT_MAX_CONNECTIONS',
  'DEFAULT_MAX_DISCARD_BYTES',
  'DEFAULT_MAX_FIELDS',
  'DEFAULT_MAX_FIELD_BYTES',
  'DEFAULT_MAX_FILES',
  'DEFAULT_MAX_FILE_BYTES',
  'DEFAULT_MAX_FORM_BYTES',
  'DEFAULT_MAX_FORM_FIELDS',
  'DEFAULT_MAX_HEADER_BYTES',
  'DEFAULT_MAX_HEADER_COUNT',
  'DEFAULT_MAX_INFORMATIONAL_RESPONSES',
  'DEFAULT_MAX_JSON_BYTES',
  'DEFAULT_MAX_LISTING_ENTRIES',
  'DEFAULT_MAX_MULTIPART_BYTES',
  'DEFAULT_MAX_PART_HEADER_BYTES',
  'DEFAULT_MAX_PROXY_HEADER_BYTES',
  'DEFAULT_MAX_RANGES',
  'DEFAULT_MAX_RAW_BYTES',
  'DEFAULT_MAX_REQUESTS_PER_CONNECTION',
  'DEFAULT_MAX_REQUEST_ID_LENGTH',
  'DEFAULT_MAX_REQUEST_LINE_BYTES',
  'DEFAULT_MAX_RESPONSE_BODY_BYTES',
  'DEFAULT_MAX_RESPONSE_CHUNK_EXTENSION_BYTES',
  'DEFAULT_MAX_RESPONSE_HEADER_BYTES',
  'DEFAULT_MAX_RESPONSE_HEADER_COUNT',
  'DEFAULT_MAX_SESSIONS',
  'DEFAULT_MAX_STATUS_LINE_BYTES',
  'DEFAULT_MIN_BODY_BYTES_PER_SECOND',
  'DEFAULT_PARSER_LIMITS',
  'DEFAULT_PROXY_HEADER_TIMEOUT_MS',
  'DEFAULT_READY_TIMEOUT_MS',
  'DEFAULT_REQUEST_ID_HEADER',
  'DEFAULT_RESPONSE_PARSER_LIMITS',
  'DEFAULT_SECURE_HEADERS',
  'DEFAULT_SEND_TIMEOUT_MS',
  'DEFAULT_SESSION_ABSOLUTE_TIMEOUT_MS',
  'DEFAULT_SESSION_COOKIE',
  'DEFAULT_SESSION_IDLE_TIMEOUT_MS',
  'DEFAULT_SESSION_TOUCH_INTERVAL_MS',
  'DEFAULT_SHUTDOWN_IDLE_GRACE_MS',
  'DEFAULT_SHUTDOWN_TIMEOUT_MS',
  'DEFAULT_SMALL_FILE_BYTES',
  'DEFAULT_SSE_HEARTBEAT_INTERVAL_MS',
  'DEFAULT_STABLE_AFTER_MS',
  'DEFAULT_TIMER_RESOLUTION_MS',
  'DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS',
  'DEFAULT_WS_CLOSE_TIMEOUT_MS',
  'DEFAULT_WS_DEFLATE_THRESHOLD_BYTES',
  'DEFAULT_WS_IDLE_TIMEOUT_MS',
  'DEFAULT_WS_MAX_BUFFERED_BYTES',
  'DEFAULT_WS_MAX_CONCURRENT_ZLIB_OPS',
  'DIAGNOSTICS_CHANNELS',
  'ExpectationFailedError',
  'FileChangedError',
  'HANDLER_BUFFER_BYTES',
  'HeaderTooLargeError',
  'HeadersSentError',
  'HttpError',
  'LinearRouter',
  'NEED_DATA',
  'NextCalledTwiceError',
  'NotImplementedError',
  'PAUSED',
  'PayloadTooLargeError',
  'ProtocolError',
  'ProxyProtocolError',
  'RadixRouter',
  'RequestAbortedError',
  'RequestBodyDiscardedError',
  'RequestBodyError',
  'RequestParser',
  'RequestTimeoutError',
  'ResponseBody',
  'ResponseClosedError',
  'ResponseError',
  'ResponseParser',
  'SESSION_ID_BYTES',
  'STATUS_REASONS',
  'SafeHtml',
  'Server',
  'SocketError',
  'SseStream',
  'UriTooLongError',
  'VersionNotSupportedError',
  'WebSocket',
  'WebSocketTopics',
  'ZlibLimiter',
  'accessLog',
  'autoWorkerCount',
  'bodyLimit',
  'cgiHandler',
  'clientInfo',
  'compose',
  'compress',
  'cors',
  'createFetch',
  'createServer',
  'csrf',
  'csrfToken',
  'defaultTopics',
  'escapeHtml',
  'fetch',
  'formatSseEvent',
  'fromHandler',
  'getDefaultAgent',
  'html',
  'isCrossSiteRequest',
  'isValidCsrfToken',
  'isWellFormedRequestId',
  'keelFetch',
  'layout',
  'memorySessionStore',
  'onShutdown',
  'parseCookies',
  'parseMediaType',
  'publish',
  'raw',
  'readForm',
  'readJson',
  'readMultipart',
  'readRaw',
  'reasonPhrase',
  'requestId',
  'secureHeaders',
  'sendError',
  'serializeCookie',
  'serveFetch',
  'serverTimingMetric',
  'session',
  'sessionStoreKey',
  'signCookieValue',
  'startCluster',
  'staticHandler',
  'toFetchRequest',
  'toHandler',
  'unsignCookieValue',
  'upgradeWebSocket',
  'verifyCsrf',
  'withCors',
  'writeFetchResponse',
];

/** Every type-only export of src/index.ts. */
const TYPES = [
  'AccessLogFormat',
  'AccessLogOptions',
  'AgentOptions',
  'AppErrorCode',
  'AppOptions',
  'BodyKind',
  'BufferedLimitPolicy',
  'CgiLogger',
  'CgiOptions',
  'ClientInfo',
  'ClientOptions',
  'ClusterExit',
  'ClusterOptions',
  'CompressOptions',
  'CompressionOptions',
  'ConnState',
  'ContextBody',
  'ContextConfig',
  'CookieOptions',
  'CorsOptions',
  'CorsOrigin',
  'CsrfOptions',
  'DataEvent',
  'DotfilesPolicy',
  'EndEvent',
  'ErrorDiagnostic',
  'ErrorMappingOptions',
  'FetchHandler',
  'FinishDiagnostic',
  'FormFields',
  'FormOptions',
  'Handler',
  'HeaderMapLike',
  'HtmlValue',
  'HttpErrorOptions',
  'InformationalEvent',
  'JsonOptions',
  'Layout',
  'ListenOptions',
  'MediaType',
  'MemorySessionStore',
  'MemorySessionStoreOptions',
  'Middleware',
  'MultipartOptions',
  'MultipartResult',
  'Next',
  'ParserEvent',
  'ParserLimits',
  'PathParams',
  'PublishOptions',
  'RawOptions',
  'Request',
  'RequestBody',
  'RequestDiagnostic',
  'RequestEvent',
  'RequestIdOptions',
  'RequestOptions',
  'ResponseBodyKind',
  'ResponseHeadEvent',
  'ResponseParserEvent',
  'ResponseParserLimits',
  'ResponseWriter',
  'RouteHandler',
  'RouteMatch',
  'Router',
  'RunningServer',
  'SameSite',
  'SecureHeadersOptions',
  'SendStatus',
  'ServerOptions',
  'Session',
  'SessionOptions',
  'SessionStore',
  'ShutdownHook',
  'SseEvent',
  'SseOptions',
  'StaticOptions',
  'StoredSession',
  'Supervisor',
  'SymlinksPolicy',
  'ToHandlerOptions',
  'TrustedProxyOptions',
  'UpgradeOptions',
  'UploadedFile',
  'WebSocketHandlers',
  'WebSocketOptions',
  'WebSocketState',
  'WsRoute',
  'WsRouteData',
];

/** Names that must never be public: wire byte helpers, test-only serializers, header-map flags, connection internals. */
const INTERNAL = [
  'HeaderMap',
  'SPECIAL_DATE',
  'SPECIAL_CONNECTION',
  'SPECIAL_CONTENT_LENGTH',
  'SPECIAL_TRANSFER_ENCODING',
  'CHUNK_END',
  'LAST_CHUNK',
  'chunkHeader',
  'lastChunk',
  'encodeChunked',
  'statusLine',
  'serializeResponseHead',
  'serializeRequestHead',
  'isValidHost',
  'splitTarget',
  'isToken',
  'Connection',
  'ClientConnection',
  'MemoryRequest',
  'MemoryResponse',
];

/** The files src/index.ts re-exports whole (`export * from`), each an explicit list of its layer's public part. */
const LISTS = ['../src/wire/public.ts', '../src/client/index.ts', '../src/app/public.ts'];

/** A file's text without comments. */
function code(url: URL): string {
  return readFileSync(url, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*/g, '');
}

/** The targets of a file's `export * from` lines, as URLs of their .ts sources. */
function starTargets(url: URL): URL[] {
  return [...code(url).matchAll(/^export \* from '([^']+)\.js';/gm)].map((m) => new URL(`${m[1]}.ts`, url));
}

/**
 * The type names a file exports, read from its text (types do not exist at run time), following its
 * `export * from` lines into the files they name.
 */
function typeExports(url: URL): string[] {
  const text = code(url);
  const names = new Set<string>();
  for (const m of text.matchAll(/export type \{([^}]*)\}/g)) {
    for (const n of m[1]!.split(',')) if (n.trim() !== '') names.add(n.trim());
  }
  for (const m of text.matchAll(/\btype (\w+)\s*[,}\n]/g)) names.add(m[1]!);
  for (const target of starTargets(url)) for (const n of typeExports(target)) names.add(n);
  return [...names].sort();
}

test("public API: src/index.ts exports exactly the pinned values", () => {
  assert.deepEqual(Object.keys(api).sort(), VALUES);
});

test('public API: src/index.ts exports exactly the pinned types', () => {
  assert.deepEqual(typeExports(new URL('../src/index.ts', import.meta.url)), TYPES);
});

test('public API: no internal name is exported', () => {
  assert.deepEqual(INTERNAL.filter((n) => n in api), []);
});

test('public API: src/index.ts re-exports whole only the explicit per-layer lists, which list their names (no export *)', () => {
  const entry = new URL('../src/index.ts', import.meta.url);
  assert.deepEqual(
    starTargets(entry).map((u) => u.href),
    LISTS.map((f) => new URL(f, import.meta.url).href),
  );
  for (const file of [...LISTS, '../src/db/index.ts']) {
    assert.doesNotMatch(code(new URL(file, import.meta.url)), /^export \*/m, file);
  }
});

test('public API: the layer surfaces add to their public list only by explicit names', () => {
  for (const [file, list] of [['../src/app/index.ts', '../src/app/public.ts'], ['../src/wire/index.ts', '../src/wire/public.ts']] as const) {
    const url = new URL(file, import.meta.url);
    assert.deepEqual(starTargets(url).map((u) => u.href), [new URL(list, import.meta.url).href], file);
  }
});

test("public API: import('keel') resolves through package.json exports to the same list", async () => {
  assert.deepEqual(Object.keys(await import('keel')).sort(), VALUES);
});

test("public API: Server's connection bookkeeping and resolved options are not reachable", () => {
  const server = new Server((_req, res) => res.end());
  assert.equal('options' in server, false);
  assert.equal('connectionClosed' in server, false);
});

test("public API: the client's fetch is one function under two names, and importing keel leaves the global fetch alone (#17)", () => {
  assert.equal(api.keelFetch, api.fetch);
  assert.notEqual(globalThis.fetch, api.fetch);
  assert.equal(typeof globalThis.fetch, 'function');
});
