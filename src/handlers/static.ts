/**
 * The static-files Handler: a directory on disk served over HTTP, nginx-grade (issue #5).
 *
 * Owns the request flow of the handler: mount prefix, dotfile policy, methods,
 * directories (slash redirect, index files, listings), the SPA fallback and
 * `onNotFound`, and what an error becomes. The rest lives in its parts (issue #14
 * item 7): options and defaults in static-options.ts, path resolution and its cache in
 * static-resolve.ts, answering for one file (representation, preconditions, ranges,
 * content cache, streaming) in static-send.ts, opening a file in static-file.ts.
 * It must not: decode paths itself (that is `normalizePath()` in wire/path.ts, shared
 * with the router and CGI), import anything from server/ but types, or ever open a
 * file whose real path is outside the real root.
 *
 * Theory of operation, per request:
 *  1. `normalizePath(req.path)` (null: 400), strip the mount `prefix`, apply the dotfile
 *     policy to the decoded segments.
 *  2. Resolve: `realpath` of root + segments must stay inside the real root (symlink
 *     policy), then `lstat` (cached for `cacheTtlMs`). Missing: SPA fallback,
 *     `onNotFound`, or 404.
 *  3. Methods: GET and HEAD serve; OPTIONS answers 204 with Allow; others get 405.
 *  4. Directories: redirect to the slash form, then an index file or a listing.
 *  5. Files: pick the representation (identity, a precompressed `.br`/`.gz` sibling,
 *     or zlib on the fly, within `maxConcurrentCompressions`), evaluate preconditions
 *     (RFC 9110 §13.2.2), then Range (RFC 9110 §14). Then acquire the body before any
 *     header is set: a cached buffer, or a descriptor from `openVerified()` (the file
 *     that was resolved, regular, inside the root; static-file.ts). If the file
 *     changed since it was resolved, the request is handled again from a fresh resolve,
 *     once. Then headers and send: `end(buffer)` for small files, a read/write loop that
 *     waits on `drain()` for large ones. The descriptor is closed in a `finally` once no
 *     read is in flight, also when the client is gone. An error after the head aborts
 *     the response (`res.destroy(err)`).
 */

import * as fs from 'node:fs';
import type { Handler, Request, ResponseWriter } from '../server/handler.js';
import { pathBelowPrefix } from '../wire/mount-prefix.js';
import { encodePath, normalizePath, splitSegments } from '../wire/path.js';
import { type ListingEntry, renderListing } from './listing.js';
import { extensionOf } from './mime.js';
import { FileChangedError } from './static-file.js';
import { resolveStaticOptions, type StaticOptions } from './static-options.js';
import { createPathResolver, isForbiddenError, type Found } from './static-resolve.js';
import { type Attempt, createFileSender, StaleResolutionError } from './static-send.js';

export {
  CORS_MAX_AGE_SECONDS,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_MAX_FILE_BYTES,
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_COMPRESS_MIN_BYTES,
  DEFAULT_MAX_COMPRESS_BYTES,
  DEFAULT_MAX_LISTING_ENTRIES,
  DEFAULT_SMALL_FILE_BYTES,
  type DotfilesPolicy,
  type StaticOptions,
  type SymlinksPolicy,
} from './static-options.js';
// What reaches onError when a file changed under a request (docs/errors.md); for index.ts.
export { FileChangedError } from './static-file.js';

const ALLOW = 'GET, HEAD, OPTIONS';

function readdirAsync(p: string): Promise<fs.Dirent[]> {
  return new Promise((resolve, reject) =>
    fs.readdir(p, { withFileTypes: true }, (err, d) => (err ? reject(err) : resolve(d))),
  );
}

/** Wraps an error thrown by `onNotFound`, so it is rethrown untouched rather than answered with 500. */
class DelegatedError extends Error {
  constructor(cause: unknown) {
    super('onNotFound failed', { cause });
  }
}

/**
 * Creates a Handler that serves files under `options.root`.
 *
 * Throws at once when the root does not exist or is not a directory, so a typo in a
 * config fails at startup rather than as 404s.
 *
 * @example
 * const server = new Server(staticHandler({ root: './public', maxAgeSeconds: 3600 }));
 * // or mounted, falling through to an App:
 * staticHandler({ root: './assets', prefix: '/assets', onNotFound: app.handler });
 */
export function staticHandler(options: StaticOptions): Handler {
  const config = resolveStaticOptions(options);
  const { prefix, indexNames, isListing, dotfiles, maxListingEntries, spaSegments, onNotFound } = config;
  const paths = createPathResolver(config);
  const sender = createFileSender(config, paths);

  async function notFound(req: Request, res: ResponseWriter): Promise<void> {
    if (onNotFound === undefined) return sender.sendStatus(req, res, 404);
    try {
      await onNotFound(req, res);
    } catch (err) {
      // Not ours to turn into a 500: the fall-through handler's errors pass through as is.
      throw new DelegatedError(err);
    }
  }

  /** 301 to the slash form of a directory (keeping the query), like Apache's mod_dir. */
  function redirectToSlash(req: Request, res: ResponseWriter, dirPath: string): void {
    // Built from the normalized path, never from the raw target: a raw "//evil.example"
    // would otherwise become an open redirect.
    const location = encodePath(dirPath) + '/' + (req.query !== '' ? '?' + req.query : '');
    sender.sendStatus(req, res, 301, { Location: location });
  }

  /**
   * OPTIONS on a file or directory: 204 with Allow. A CORS preflight (Fetch standard
   * §3.2.2) gets its fields from the `cors` option's policy (STATIC_CORS_OPTIONS).
   */
  function answerOptions(req: Request, res: ResponseWriter): void {
    res.status = 204;
    res.headers.set('Allow', ALLOW);
    sender.setCommonHeaders(req, res);
    res.end();
  }

  async function serveListing(req: Request, res: ResponseWriter, dir: Found, fsPath: string, displayPath: string, hasParent: boolean): Promise<void> {
    let dirents: fs.Dirent[];
    try {
      dirents = await readdirAsync(dir.realPath);
    } catch (err) {
      // Removed (or replaced by a file) since it was resolved, maybe from the path cache:
      // resolve again, as for a file that changed, rather than answer 500.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      paths.forget(fsPath);
      throw new StaleResolutionError(new FileChangedError('directory removed'));
    }
    const entries: ListingEntry[] = [];
    let skipped = 0;
    for (const d of dirents) {
      if (d.name.startsWith('.') && dotfiles !== 'allow') continue;
      if (entries.length + skipped >= maxListingEntries) {
        skipped++;
        continue;
      }
      entries.push({ name: d.name, isDirectory: d.isDirectory(), sizeBytes: 0, mtimeMs: 0 });
    }
    // stat every entry (follows symlinks); hide entries that vanished or point outside.
    const rows = await Promise.all(
      entries.map(async (e): Promise<ListingEntry | undefined> => {
        const child = await paths.resolve(dir.realPath + '/' + e.name);
        if (child.kind !== 'file' && child.kind !== 'dir') return undefined;
        return { name: e.name, isDirectory: child.kind === 'dir', sizeBytes: child.stat.size, mtimeMs: child.stat.mtimeMs };
      }),
    );
    const html = renderListing(displayPath, rows.filter((r): r is ListingEntry => r !== undefined), hasParent, skipped);
    const body = Buffer.from(html, 'utf8');
    res.status = 200;
    sender.setCommonHeaders(req, res);
    res.headers.set('Content-Type', 'text/html; charset=utf-8');
    res.headers.set('X-Content-Type-Options', 'nosniff');
    // A listing changes whenever any entry does: always revalidate, never store.
    res.headers.set('Cache-Control', 'no-store');
    if (req.method === 'HEAD') {
      res.headers.set('Content-Length', body.length);
      res.end();
    } else {
      res.end(body);
    }
  }

  async function serveSpa(req: Request, res: ResponseWriter, attempt: Attempt): Promise<boolean> {
    if (spaSegments === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const fsPath = paths.fsPathOf(spaSegments);
    const target = await paths.resolveCached(fsPath);
    if (target.kind !== 'file') return false;
    await sender.serveFile(req, res, target, fsPath, attempt);
    return true;
  }

  async function handle(req: Request, res: ResponseWriter, attempt: Attempt): Promise<void> {
    const normalized = normalizePath(req.path);
    if (normalized === null) return sender.sendStatus(req, res, 400);

    // Mount point: "/files" and "/files/..." are ours, anything else is not.
    const rel = pathBelowPrefix(normalized, prefix);
    if (rel === undefined) return notFound(req, res);

    const segments = splitSegments(rel);
    if (dotfiles !== 'allow' && segments.some((s) => s.startsWith('.'))) {
      if (dotfiles === 'deny') return sender.sendStatus(req, res, 403);
      return notFound(req, res);
    }

    const fsPath = paths.fsPathOf(segments);
    const target = await paths.resolveCached(fsPath);
    if (target.kind === 'forbidden') return sender.sendStatus(req, res, 403);
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (target.kind === 'missing') {
      // SPA fallback only for extension-less paths: a missing /app.js must stay a 404,
      // not become HTML that the browser then fails to parse as JavaScript.
      const last = segments[segments.length - 1] ?? '';
      if (isRead && extensionOf(last) === '' && (await serveSpa(req, res, attempt))) return;
      return notFound(req, res);
    }

    if (req.method === 'OPTIONS') return answerOptions(req, res);
    if (!isRead) return sender.sendStatus(req, res, 405, { Allow: ALLOW });

    if (target.kind === 'file') {
      // "/file.txt/" names a directory that does not exist (like nginx and Apache).
      if (rel.endsWith('/')) return notFound(req, res);
      return sender.serveFile(req, res, target, fsPath, attempt);
    }

    // A directory: its URL must end with "/" so relative links in it resolve (mod_dir).
    if (!rel.endsWith('/')) return redirectToSlash(req, res, prefix + (rel === '' ? '' : rel));
    for (const name of indexNames) {
      const indexPath = paths.fsPathOf([...segments, name]);
      const index = await paths.resolveCached(indexPath);
      if (index.kind === 'file') return sender.serveFile(req, res, index, indexPath, attempt);
    }
    if (isListing) return serveListing(req, res, target, fsPath, prefix + rel, rel !== '/');
    if (await serveSpa(req, res, attempt)) return;
    return notFound(req, res);
  }

  return async function staticFiles(req: Request, res: ResponseWriter): Promise<void> {
    try {
      try {
        await handle(req, res, 'first');
      } catch (err) {
        // The file changed between its resolve (maybe cached) and its open, or a directory
        // was removed before it was listed: nothing was set on res yet and the stale cache
        // entry is gone, so resolve once more from disk. The retry answers from the file
        // it opens (a file being written is served as it is then); only a file swapped
        // again within the request (another inode) fails it: a 500 (ERR_FILE_CHANGED).
        if (!(err instanceof StaleResolutionError)) throw err;
        await handle(req, res, 'retry');
      }
    } catch (caught) {
      if (caught instanceof DelegatedError) throw caught.cause;
      // The retry's own stale file is reported as what it is.
      const err = caught instanceof StaleResolutionError ? caught.cause : caught;
      if (res.finished) throw err;
      if (res.headersSent) {
        // The head is out: only an aborted connection tells the client the body is broken.
        // Ending here would make a short chunked body look complete (issue #14 item 7),
        // and so would an App's error mapping if we rethrew, so abort it ourselves.
        res.destroy(err);
        return;
      }
      // An I/O error before the head. A file or directory the server may not read is 403,
      // as a path it may not search is in resolve (lstat needs no read permission, so
      // EACCES comes from open or readdir); nginx answers the same.
      if (isForbiddenError(err)) {
        res.headers.delete('Content-Encoding');
        res.headers.delete('ETag');
        res.headers.delete('Last-Modified');
        res.headers.delete('Content-Length');
        res.headers.delete('Content-Range');
        sender.sendStatus(req, res, 403);
        return;
      }
      // Anything else is unexpected: thrown, so the server (or an App) reports it to its
      // onError and answers 500 with a bare body (no message, no stack). A 500 answered
      // here would be silent.
      throw err;
    }
  };
}
