/**
 * The wire layer's surface: sans-IO parsing and serializing of HTTP/1.1, as the
 * layers above and the tests see it.
 *
 * Owns nothing itself: it re-exports the public part (src/wire/public.ts, an
 * explicit list that src/index.ts publishes) and, by an explicit list here, the
 * internals the layers above use (serializers, chunk framing, header-map bit
 * flags), which are not public. Nothing in wire/ imports outside wire/.
 */
export * from './public.js';
export { statusLine, serializeResponseHead, serializeRequestHead } from './serializer.js';
export { chunkHeader, CHUNK_END, LAST_CHUNK, lastChunk, encodeChunked } from './chunked.js';
export { HeaderMap, SPECIAL_DATE, SPECIAL_CONNECTION, SPECIAL_CONTENT_LENGTH, SPECIAL_TRANSFER_ENCODING } from './header-map.js';
export { isBodylessStatus } from './status.js';
export { isValidHost } from './syntax.js';
export { splitTarget, targetAuthority, type TargetParts } from './target.js';
export { isToken, isFieldValue, trimOws } from './chars.js';
