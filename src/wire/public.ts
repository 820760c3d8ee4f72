/**
 * The wire layer's public part: what users may import from 'keel' (src/index.ts
 * re-exports this file with `export *`): both sans-IO parsers, their events,
 * limits and errors, and the status table.
 *
 * Owns the explicit list of those names (no `export *` here, so a new export of a
 * wire module is not published by accident; test/index.test.ts pins the result).
 * Must not list the byte-level helpers (serializers, chunk framing, header-map
 * bit flags): those stay internal, in src/wire/index.ts.
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
export { STATUS_REASONS, reasonPhrase } from './status.js';
