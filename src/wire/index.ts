/**
 * The wire layer's surface: sans-IO parsing and serializing of HTTP/1.1, as the
 * layers above and the tests see it.
 *
 * Owns nothing itself; it re-exports an explicit list (no `export *`, so a new
 * export of a wire module is not published by accident). This is not the public
 * API: src/index.ts picks the part of this list users may import from 'keel'
 * (both parsers, their events, limits and errors), and leaves the byte-level
 * helpers here (serializers, chunk framing, header-map bit flags) internal.
 * Nothing in wire/ imports outside wire/.
 */
export {
  ProtocolError,
  BadRequestError,
  UriTooLongError,
  HeaderTooLargeError,
  PayloadTooLargeError,
  NotImplementedError,
  VersionNotSupportedError,
  ExpectationFailedError,
  ResponseError,
  ResponseClosedError,
} from './errors.js';
export {
  DEFAULT_MAX_REQUEST_LINE_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_CHUNK_EXTENSION_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PARSER_LIMITS,
  type ParserLimits,
} from './limits.js';
export {
  RequestParser,
  NEED_DATA,
  PAUSED,
  type BodyKind,
  type RequestEvent,
  type DataEvent,
  type EndEvent,
  type ParserEvent,
} from './parser.js';
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
} from './response-parser.js';
export { statusLine, serializeResponseHead, serializeRequestHead } from './serializer.js';
export { chunkHeader, CHUNK_END, LAST_CHUNK, lastChunk, encodeChunked } from './chunked.js';
export { HeaderMap, SPECIAL_DATE, SPECIAL_CONNECTION, SPECIAL_CONTENT_LENGTH, SPECIAL_TRANSFER_ENCODING } from './header-map.js';
export { STATUS_REASONS, reasonPhrase, isBodylessStatus } from './status.js';
export { isValidHost } from './syntax.js';
export { splitTarget, targetAuthority, type TargetParts } from './target.js';
export { isToken, isFieldValue, trimOws } from './chars.js';
