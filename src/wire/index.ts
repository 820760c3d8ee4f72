/**
 * The wire layer's public surface: sans-IO parsing and serializing of HTTP/1.1.
 *
 * Owns nothing itself; it re-exports. Nothing in wire/ imports outside wire/.
 */
export * from './errors.js';
export * from './limits.js';
export * from './parser.js';
export * from './serializer.js';
export * from './chunked.js';
export * from './header-map.js';
export * from './status.js';
export * from './target.js';
export { isToken, isFieldValue, trimOws } from './chars.js';
