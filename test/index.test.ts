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
  'DEFAULT_CRASH_LOOP_LIMIT',
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
  'DEFAULT_MAX_REQUEST_LINE_BYTES',
  'DEFAULT_MAX_RESPONSE_BODY_BYTES',
  'DEFAULT_MAX_RESPONSE_CHUNK_EXTENSION_BYTES',
  'DEFAULT_MAX_RESPONSE_HEADER_BYTES',
  'DEFAULT_MAX_RESPONSE_HEADER_COUNT',
  'DEFAULT_MAX_STATUS_LINE_BYTES',
  'DEFAULT_MIN_BODY_BYTES_PER_SECOND',
  'DEFAULT_PARSER_LIMITS',
  'DEFAULT_PROXY_HEADER_TIMEOUT_MS',
  'DEFAULT_READY_TIMEOUT_MS',
  'DEFAULT_RESPONSE_PARSER_LIMITS',
  'DEFAULT_SEND_TIMEOUT_MS',
  'DEFAULT_SHUTDOWN_IDLE_GRACE_MS',
  'DEFAULT_SHUTDOWN_TIMEOUT_MS',
  'DEFAULT_SMALL_FILE_BYTES',
  'DEFAULT_STABLE_AFTER_MS',
  'DEFAULT_TIMER_RESOLUTION_MS',
  'DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS',
  'ExpectationFailedError',
  'FileChangedError',
  'HeaderTooLargeError',
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
  'STATUS_REASONS',
  'SafeHtml',
  'Server',
  'SocketError',
  'UriTooLongError',
  'VersionNotSupportedError',
  'autoWorkerCount',
  'cgiHandler',
  'clientInfo',
  'compose',
  'createFetch',
  'createServer',
  'escapeHtml',
  'fetch',
  'getDefaultAgent',
  'html',
  'keelFetch',
  'layout',
  'onShutdown',
  'parseCookies',
  'parseMediaType',
  'raw',
  'readForm',
  'readJson',
  'readMultipart',
  'readRaw',
  'reasonPhrase',
  'sendError',
  'serializeCookie',
  'serveFetch',
  'signCookieValue',
  'startCluster',
  'staticHandler',
  'toFetchRequest',
  'toHandler',
  'unsignCookieValue',
  'writeFetchResponse',
];

/** Every type-only export of src/index.ts. */
const TYPES = [
  'AgentOptions',
  'AppErrorCode',
  'AppOptions',
  'BodyKind',
  'CgiLogger',
  'CgiOptions',
  'ClientInfo',
  'ClientOptions',
  'ClusterExit',
  'ClusterOptions',
  'CompressionOptions',
  'ConnState',
  'ContextConfig',
  'CookieOptions',
  'DataEvent',
  'DotfilesPolicy',
  'EndEvent',
  'ErrorMappingOptions',
  'FetchHandler',
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
  'Middleware',
  'MultipartOptions',
  'MultipartResult',
  'Next',
  'ParserEvent',
  'ParserLimits',
  'PathParams',
  'RawOptions',
  'Request',
  'RequestBody',
  'RequestEvent',
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
  'ServerOptions',
  'ShutdownHook',
  'StaticOptions',
  'Supervisor',
  'SymlinksPolicy',
  'ToHandlerOptions',
  'TrustedProxyOptions',
  'UploadedFile',
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

/** The type names src/index.ts exports, read from its text (types do not exist at run time). */
function typeExports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*/g, '');
  const names = new Set<string>();
  for (const m of code.matchAll(/export type \{([^}]*)\}/g)) {
    for (const n of m[1]!.split(',')) if (n.trim() !== '') names.add(n.trim());
  }
  for (const m of code.matchAll(/\btype (\w+)\s*[,}\n]/g)) names.add(m[1]!);
  return [...names].sort();
}

test("public API: src/index.ts exports exactly the pinned values", () => {
  assert.deepEqual(Object.keys(api).sort(), VALUES);
});

test('public API: src/index.ts exports exactly the pinned types', () => {
  assert.deepEqual(typeExports(readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8')), TYPES);
});

test('public API: no internal name is exported', () => {
  assert.deepEqual(INTERNAL.filter((n) => n in api), []);
});

test('public API: the entry points list their exports (no export *)', () => {
  for (const file of ['../src/index.ts', '../src/app/index.ts', '../src/wire/index.ts', '../src/db/index.ts']) {
    assert.doesNotMatch(readFileSync(new URL(file, import.meta.url), 'utf8'), /^export \* from/m, file);
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
