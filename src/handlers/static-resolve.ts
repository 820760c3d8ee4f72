/**
 * Path resolution of the static handler, and its cache (issue #14 item 7: the handler
 * split on its seams).
 *
 * Owns mapping a file-system path under the root onto what is there (`realpath` +
 * `lstat`, with the symlink policy) and the path cache that reuses the answer for
 * `cacheTtlMs`, like nginx's `open_file_cache`. It must not open files: a resolution
 * may be a second old, so whoever reads a file checks the descriptor against it
 * (`openVerified()` in static-file.ts). It knows nothing about HTTP.
 */

import * as fs from 'node:fs';
import { LruCache } from './file-cache.js';
import { isInsideRoot } from './root-containment.js';
import type { StaticConfig } from './static-options.js';

/** A file or directory found under the root, with its real path and stat. */
export type Found = { readonly kind: 'file' | 'dir'; readonly realPath: string; readonly stat: fs.Stats };
/** The outcome of resolving a path under the root. */
export type Resolved = Found | { readonly kind: 'missing' } | { readonly kind: 'forbidden' };

/** Resolution of paths under one root (see `createPathResolver()`). */
export interface PathResolver {
  /** The file-system path of decoded URL segments under the root. */
  fsPathOf(segments: readonly string[]): string;
  /** Whether a real path is the root or under it. */
  isInsideRoot(real: string): boolean;
  /** Asks the disk, always. */
  resolve(fsPath: string): Promise<Resolved>;
  /** Through the path cache; concurrent misses share one lookup. */
  resolveCached(fsPath: string): Promise<Resolved>;
  /** Drops the cached resolution of one path (it was found stale). */
  forget(fsPath: string): void;
}

function realpathAsync(p: string): Promise<string> {
  return new Promise((resolve, reject) => fs.realpath.native(p, (err, r) => (err ? reject(err) : resolve(r))));
}
function lstatAsync(p: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.lstat(p, (err, s) => (err ? reject(err) : resolve(s))));
}

function isMissingError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP';
}
/** True for an error that means "not allowed to read or search this" (EACCES, EPERM). */
export function isForbiddenError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/** A resolver for `config.realRoot` with its own path cache. */
export function createPathResolver(
  config: Pick<StaticConfig, 'realRoot' | 'rootPrefix' | 'symlinks' | 'cacheTtlMs' | 'cacheMaxEntries' | 'clock'>,
): PathResolver {
  const { realRoot, rootPrefix, symlinks, cacheTtlMs } = config;
  const pathCache = new LruCache<Promise<Resolved>>({ ttlMs: cacheTtlMs, maxEntries: config.cacheMaxEntries, clock: config.clock });

  function fsPathOf(segments: readonly string[]): string {
    return segments.length === 0 ? realRoot : rootPrefix + segments.join('/');
  }

  /** The one containment test (root-containment.ts, shared with CGI: issue #14 item 5). */
  function isInsideThisRoot(real: string): boolean {
    return isInsideRoot(realRoot, real);
  }

  /**
   * realpath + lstat, with the symlink policy: the only place a request path is resolved.
   * The result may be reused for `cacheTtlMs`, so it is never trusted to open a file:
   * `openVerified()` checks the descriptor against it (static-file.ts).
   */
  async function resolve(fsPath: string): Promise<Resolved> {
    let real: string;
    let stat: fs.Stats;
    try {
      real = await realpathAsync(fsPath);
      // A symlink (anywhere in the path) whose target leaves the root is refused even
      // when the target exists: issue #5, STYLE rule 12.
      if (!isInsideThisRoot(real)) return { kind: 'forbidden' };
      if (symlinks === 'deny' && real !== fsPath) return { kind: 'forbidden' };
      // lstat: `real` has no symlink left, and one swapped in since must not be followed.
      stat = await lstatAsync(real);
    } catch (err) {
      if (isMissingError(err)) return { kind: 'missing' };
      if (isForbiddenError(err)) return { kind: 'forbidden' };
      throw err;
    }
    if (stat.isFile()) return { kind: 'file', realPath: real, stat };
    if (stat.isDirectory()) return { kind: 'dir', realPath: real, stat };
    // FIFOs, sockets, devices (and a symlink swapped in after realpath): opening them
    // could block a thread for ever or read what is not a file. As if absent.
    return { kind: 'missing' };
  }

  /** `resolve()` through the path cache; concurrent misses share one lookup. */
  function resolveCached(fsPath: string): Promise<Resolved> {
    if (cacheTtlMs <= 0) return resolve(fsPath);
    let p = pathCache.get(fsPath);
    if (p === undefined) {
      const loading = resolve(fsPath);
      p = loading;
      pathCache.set(fsPath, loading);
      // Only hits are kept: a missing file that appears must be served at once, and an
      // I/O error must be retried, not remembered.
      const forget = (): void => {
        if (pathCache.get(fsPath) === loading) pathCache.delete(fsPath);
      };
      loading.then((r) => {
        if (r.kind === 'missing') forget();
      }, forget);
    }
    return p;
  }

  return {
    fsPathOf,
    isInsideRoot: isInsideThisRoot,
    resolve,
    resolveCached,
    forget: (fsPath) => {
      pathCache.delete(fsPath);
    },
  };
}
