/**
 * Root containment for the handlers that map URLs onto a directory (static files,
 * CGI): is a resolved file-system path the root or under it? (issue #14 item 5:
 * one implementation, where each handler had its own.)
 *
 * Owns the string test only. It must not touch the file system: callers resolve
 * symlinks first (realpath) and pass the real path, and the root's real path,
 * because a lexical test on unresolved paths is what symlink escapes get past
 * (issue #5, STYLE rule 12). What status an escape gets is the caller's choice
 * (both handlers answer 403).
 */

import { sep } from 'node:path';

/** The root with exactly one trailing separator: every path under it starts with this. */
export function rootPrefixOf(root: string): string {
  return root.endsWith(sep) ? root : root + sep;
}

/**
 * Whether `path` is `root` itself or lies under it. Both must be absolute and
 * normalized (realpaths, or `path.resolve()` results): "/srv/www-old" is not
 * inside "/srv/www", and the file-system root "/" contains every absolute path.
 */
export function isInsideRoot(root: string, path: string): boolean {
  return path === root || path.startsWith(rootPrefixOf(root));
}
