/**
 * The one mount-prefix rule (issue #14 item 5): how a prefix such as "/api/" is written
 * down once, and whether a request path is at or below it.
 *
 * Owns the canonical form ("" for the root, otherwise no trailing "/") and the segment
 * boundary ("/api" owns "/api" and "/api/x", never "/apix"). Used by the App's `use()` and
 * `route()` and by the static and CGI handlers, which may not share code through app/:
 * hence wire/, pure string functions beside path.ts. Must not: decode or normalize paths
 * itself beyond what normalizePath() does (callers pass normalized paths), or know about
 * roots and files.
 */
import { normalizePath } from './path.js';

/**
 * The canonical form of a mount prefix that is already an absolute, normalized path:
 * "" for "/" (the root), otherwise the path without its trailing "/".
 *
 * @example
 * canonicalPrefix('/api/') // '/api'
 * canonicalPrefix('/')     // ''
 */
export function canonicalPrefix(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * A handler's `prefix` option as written by a user (a URL path, percent-encoded): ""
 * for none or "/", otherwise normalized by normalizePath() (decoded, dot segments
 * removed) in canonical form; null when normalizePath() refuses it.
 *
 * @example
 * normalizeMountPrefix('/cgi-bin/') // '/cgi-bin'
 * normalizeMountPrefix('/a/../b')   // '/b'
 * normalizeMountPrefix('cgi-bin')   // null (not absolute)
 */
export function normalizeMountPrefix(prefix: string | undefined): string | null {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  const p = normalizePath(prefix);
  return p === null ? null : canonicalPrefix(p);
}

/**
 * The part of `path` below `prefix` (canonical form): "" when `path` is the prefix itself,
 * "/rest" below it, undefined when `path` is not under it (segment-bounded: "/api" does
 * not own "/apix"). With the root prefix "" every path is returned whole.
 *
 * @example
 * pathBelowPrefix('/api/users', '/api') // '/users'
 * pathBelowPrefix('/api', '/api')       // ''
 * pathBelowPrefix('/apix', '/api')      // undefined
 */
export function pathBelowPrefix(path: string, prefix: string): string | undefined {
  if (prefix === '') return path;
  if (!path.startsWith(prefix)) return undefined;
  if (path.length === prefix.length) return '';
  return path.charCodeAt(prefix.length) === 0x2f ? path.slice(prefix.length) : undefined;
}
