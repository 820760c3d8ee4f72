/**
 * The static-files Handler: a directory on disk served over HTTP, nginx-grade (issue #5).
 *
 * Owns mapping a request path onto a file under `root` and answering it: index files,
 * directory listings, MIME types, validators (ETag, Last-Modified) and conditional
 * requests, byte ranges, content-coding (precompressed siblings and zlib on the fly),
 * caching and CORS headers, and streaming with backpressure.
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
import { randomBytes } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { Handler, Request, ResponseWriter } from '../server/handler.js';
import { encodePath, normalizePath, splitSegments } from '../wire/path.js';
import { reasonPhrase } from '../wire/status.js';
import { acceptableEncodings, type ContentCoding, PREFERRED_CODINGS } from './accept-encoding.js';
import { evaluatePreconditions, formatHttpDate, ifRangeAllows, type Validators } from './conditional.js';
import { type ListingEntry, renderListing } from './listing.js';
import { compressBuffer, CompressionLimiter, compressorSettings, createCompressor, type ReleaseSlot } from './compression.js';
import { LruCache } from './file-cache.js';
import { extensionOf, isCompressible, mimeType } from './mime.js';
import { type ByteRange, contentRange, DEFAULT_MAX_RANGES, multipartLayout, parseRange, unsatisfiedContentRange } from './range.js';
import { closeQuietly, FileChangedError, openVerified, readAsync, readExactly } from './static-file.js';

/** What to do with path segments starting with ".": `.git`, `.env`, `.htpasswd`... */
export type DotfilesPolicy = 'deny' | 'allow' | 'ignore';

/** Which symlinks to follow. Neither ever leaves the root: the real path is checked. */
export type SymlinksPolicy = 'inside-root' | 'deny';

/** Options of `staticHandler()`. Only `root` is required. */
export interface StaticOptions {
  /** Directory to serve. Resolved with realpath once, when the handler is created. */
  readonly root: string;
  /**
   * Mount point stripped from the request path, e.g. "/files" serves root/a.txt at
   * /files/a.txt. Requests outside it go to `onNotFound` (or 404). Default: none.
   */
  readonly prefix?: string;
  /** File names tried, in order, for a directory. `false` disables. Default `['index.html']`. */
  readonly index?: readonly string[] | false;
  /** HTML listing of directories without an index file. Default false (`keel serve` turns it on). */
  readonly listing?: boolean;
  /**
   * Dotfiles (any segment starting with "."): 'deny' answers 403, 'ignore' acts as if
   * they did not exist (404 / `onNotFound`), 'allow' serves them. Default 'deny': a
   * stray `.env` or `.git/` must not be one typo away from the internet.
   */
  readonly dotfiles?: DotfilesPolicy;
  /**
   * 'inside-root' follows symlinks whose real target is inside the root; 'deny'
   * refuses any path that goes through a symlink. Escapes are always 403.
   * Default 'inside-root'.
   */
  readonly symlinks?: SymlinksPolicy;
  /** Literal Cache-Control value; wins over `maxAgeSeconds`. */
  readonly cacheControl?: string;
  /**
   * `Cache-Control: public, max-age=N`. Without it (and without `cacheControl`) files are
   * sent with `no-cache`: caches may store them but must revalidate, which the ETag makes
   * a cheap 304. That is the right default for a development server.
   */
  readonly maxAgeSeconds?: number;
  /** Adds `immutable` (RFC 8246) to a max-age Cache-Control: for fingerprinted assets. Default false. */
  readonly immutable?: boolean;
  /** Send a strong ETag and honour If-Match / If-None-Match / If-Range with it. Default true. */
  readonly etag?: boolean;
  /** Send Last-Modified and honour the date preconditions. Default true. */
  readonly lastModified?: boolean;
  /**
   * Serve `file.br` / `file.gz` siblings of compressible files when Accept-Encoding
   * allows (like nginx `gzip_static`). `true` means both. Default false.
   */
  readonly precompressed?: boolean | readonly ContentCoding[];
  /**
   * Compress compressible types on the fly with node:zlib. `true` means brotli and
   * gzip. Default false (compression costs CPU; a reverse proxy often does it).
   */
  readonly compress?: boolean | readonly ContentCoding[];
  /** Files smaller than this are not compressed on the fly. Default `DEFAULT_COMPRESS_MIN_BYTES`. */
  readonly compressMinBytes?: number;
  /**
   * Most on-the-fly compression streams (files above `smallFileBytes`) alive at once in
   * this handler. Over it, the file is sent uncompressed (identity) rather than queued:
   * a client that never reads would hold its slot for ever. 0 streams nothing compressed
   * (small files still come compressed from the content cache). Ignored when
   * `compressionLimiter` is given. Default `DEFAULT_MAX_CONCURRENT_COMPRESSIONS` (compression.ts).
   */
  readonly maxConcurrentCompressions?: number;
  /** A limiter shared with other handlers or middleware, so the cap is per process. */
  readonly compressionLimiter?: CompressionLimiter;
  /** Brotli quality (0-11) on the fly. Default `DEFAULT_BROTLI_QUALITY` (4). */
  readonly brotliQuality?: number;
  /** Brotli window as a power of two (10-24) on the fly. Default `DEFAULT_BROTLI_WINDOW_BITS` (18: 256 KiB). */
  readonly brotliWindowBits?: number;
  /**
   * Single-page-app fallback: a missing path without a file extension, requested with
   * GET/HEAD, is answered with this file (relative to root) and 200. `true` means
   * 'index.html'. Default off.
   */
  readonly spa?: string | boolean;
  /**
   * CORS: `true` sends `Access-Control-Allow-Origin: *`, a string sends that origin.
   * Preflight OPTIONS requests are answered. Default off.
   */
  readonly cors?: boolean | string;
  /** Called instead of answering 404, so an App can fall through to its own routes. */
  readonly onNotFound?: Handler;
  /** Files up to this size are read in one call and sent with `end()`. Default `DEFAULT_SMALL_FILE_BYTES`. */
  readonly smallFileBytes?: number;
  /** Read size of the streaming loop for larger files. Default `DEFAULT_CHUNK_BYTES`. */
  readonly chunkBytes?: number;
  /** Range headers with more parts are ignored (200 with the whole file). Default `DEFAULT_MAX_RANGES`. */
  readonly maxRanges?: number;
  /** A listing shows at most this many entries. Default `DEFAULT_MAX_LISTING_ENTRIES`. */
  readonly maxListingEntries?: number;
  /**
   * How long a resolved path (realpath + lstat) is reused before the disk is asked
   * again, like nginx's `open_file_cache valid=`. Within it a HEAD or a 304 may still
   * describe the old version, but no byte is read from a file that is not the one
   * resolved (it is resolved again first, see static-file.ts); missing paths are never
   * cached, so new files show up at once. 0 disables. Default `DEFAULT_CACHE_TTL_MS`.
   */
  readonly cacheTtlMs?: number;
  /** Most resolved paths (and cached contents) kept. Default `DEFAULT_CACHE_MAX_ENTRIES`. */
  readonly cacheMaxEntries?: number;
  /**
   * Memory budget for the contents of small files (up to `smallFileBytes`) and their
   * compressed forms. Keyed by inode, size and mtime, so a changed file is never
   * answered with old bytes. 0 disables. Default `DEFAULT_CACHE_MAX_BYTES`.
   */
  readonly cacheMaxBytes?: number;
  /**
   * Files up to this size are kept whole in the content cache (within `cacheMaxBytes`)
   * and sent from memory with one `end()`: no system call at all on a hit. Larger files
   * are always streamed. Default `DEFAULT_CACHE_MAX_FILE_BYTES`.
   */
  readonly cacheMaxFileBytes?: number;
  /** The clock in ms for cache ages (injected by tests). Default `performance.now`. */
  readonly clock?: () => number;
}

/**
 * Default `smallFileBytes`: 64 KiB. Below it one `read()` plus `end(buffer)` beats a
 * stream (fewer syscalls and promise hops, and the core can send head and body in one
 * write); above it, memory per request stays bounded by `chunkBytes`.
 */
export const DEFAULT_SMALL_FILE_BYTES = 64 * 1024;
/** Default `chunkBytes`: 64 KiB, the high-water mark of `fs.createReadStream`. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Default `compressMinBytes`: 1 KiB; smaller bodies gain little and a gzip header costs ~20 bytes. */
export const DEFAULT_COMPRESS_MIN_BYTES = 1024;
/**
 * Default `cacheTtlMs`: 1 s. Long enough to turn a hot file into zero system calls
 * per request under load, short enough that an edit shows up on the next reload
 * (nginx's `open_file_cache valid=` default is 60 s).
 */
export const DEFAULT_CACHE_TTL_MS = 1000;
/** Default `cacheMaxEntries`: 10 000 paths, a few MiB of metadata at most. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
/** Default `cacheMaxBytes`: 32 MiB of small-file contents. */
export const DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024;
/**
 * Default `cacheMaxFileBytes`: 1 MiB. Sending a cached buffer is about 1.7x faster than
 * streaming the file (no read per chunk), and Node has no sendfile(2); 1 MiB keeps at
 * least 32 such files in the default budget. Concurrent misses share one read.
 */
export const DEFAULT_CACHE_MAX_FILE_BYTES = 1024 * 1024;
/** Default `maxListingEntries`: 10 000 rows is already a multi-megabyte page. */
export const DEFAULT_MAX_LISTING_ENTRIES = 10_000;
/** `Access-Control-Max-Age` of preflight answers: one day (browsers cap it lower anyway). */
export const CORS_MAX_AGE_SECONDS = 86_400;

const ALLOW = 'GET, HEAD, OPTIONS';
/** Random bytes in a multipart boundary (hex-encoded, so twice as many characters). */
const BOUNDARY_RANDOM_BYTES = 12;
const CORS_ALLOW_HEADERS = 'Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range';
const CORS_EXPOSE_HEADERS = 'Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag, Last-Modified';
const CODING_SUFFIX: Record<ContentCoding, string> = { br: '.br', gzip: '.gz' };
const CODING_TAG: Record<ContentCoding, string> = { br: 'br', gzip: 'gz' };


/** A file or directory found under the root, with its real path and stat. */
type Found = { readonly kind: 'file' | 'dir'; readonly realPath: string; readonly stat: fs.Stats };
/** The outcome of resolving a path under the root. */
type Resolved = Found | { readonly kind: 'missing' } | { readonly kind: 'forbidden' };

/** What an answer sends as its body, acquired before any header is set. */
type Body = { readonly kind: 'none' } | { readonly kind: 'buffer'; readonly bytes: Buffer } | { readonly kind: 'fd'; readonly fd: number };

/** A selected representation of a file: which bytes, which coding, which validators. */
interface Representation {
  readonly realPath: string;
  readonly stat: fs.Stats;
  /** A precompressed sibling's coding, or the coding applied on the fly. */
  readonly coding: ContentCoding | undefined;
  readonly isOnTheFly: boolean;
  readonly etag: string | undefined;
}

// --- small promise wrappers over the callback fs API (cheaper than fs/promises FileHandle) ---

function realpathAsync(p: string): Promise<string> {
  return new Promise((resolve, reject) => fs.realpath.native(p, (err, r) => (err ? reject(err) : resolve(r))));
}
function lstatAsync(p: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.lstat(p, (err, s) => (err ? reject(err) : resolve(s))));
}
function readdirAsync(p: string): Promise<fs.Dirent[]> {
  return new Promise((resolve, reject) =>
    fs.readdir(p, { withFileTypes: true }, (err, d) => (err ? reject(err) : resolve(d))),
  );
}

/**
 * A file was not the one resolved when it was opened (`FileChangedError` from
 * `openVerified()`), before anything was set on the response: the request may be
 * handled again from a fresh resolve.
 */
class StaleResolutionError extends Error {
  constructor(cause: FileChangedError) {
    super('file changed since it was resolved', { cause });
  }
}

/** Wraps an error thrown by `onNotFound`, so it is rethrown untouched rather than answered with 500. */
class DelegatedError extends Error {
  constructor(cause: unknown) {
    super('onNotFound failed', { cause });
  }
}

function isMissingError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP';
}
function isForbiddenError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

function codingList(option: boolean | readonly ContentCoding[] | undefined): readonly ContentCoding[] {
  if (option === true) return PREFERRED_CODINGS;
  if (option === false || option === undefined) return [];
  return PREFERRED_CODINGS.filter((c) => option.includes(c));
}

/** A strong ETag from inode, size and mtime (µs): changes whenever the file is replaced or written. */
function fileEtag(stat: fs.Stats): string {
  const MICROS_PER_MS = 1000;
  return `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.round(stat.mtimeMs * MICROS_PER_MS).toString(36)}"`;
}

/**
 * Adds a field name to Vary, keeping what a middleware may have put there already
 * (RFC 9110 §12.5.5: Vary is a list; "*" already covers everything).
 */
function addVary(res: ResponseWriter, name: string): void {
  const current = res.headers.get('vary');
  if (current === undefined || current.trim() === '') {
    res.headers.set('Vary', name);
    return;
  }
  const lower = name.toLowerCase();
  const listed = current.split(',').map((v) => v.trim().toLowerCase());
  if (!listed.includes(lower) && !listed.includes('*')) res.headers.append('Vary', name);
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
  const realRoot = fs.realpathSync.native(options.root);
  if (!fs.statSync(realRoot).isDirectory()) throw new Error(`static root is not a directory: ${options.root}`);
  const rootPrefix = realRoot.endsWith('/') ? realRoot : realRoot + '/';

  let prefix = options.prefix ?? '';
  if (prefix !== '') {
    const p = normalizePath(prefix);
    if (p === null) throw new Error(`invalid static prefix: ${prefix}`);
    prefix = p.endsWith('/') ? p.slice(0, -1) : p;
  }
  const indexNames = options.index === false ? [] : (options.index ?? ['index.html']);
  const isListing = options.listing ?? false;
  const dotfiles: DotfilesPolicy = options.dotfiles ?? 'deny';
  const symlinks: SymlinksPolicy = options.symlinks ?? 'inside-root';
  const useEtag = options.etag ?? true;
  const useLastModified = options.lastModified ?? true;
  const precompressed = codingList(options.precompressed);
  const onTheFly = codingList(options.compress);
  const compressMinBytes = options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES;
  const compressor = compressorSettings(options);
  const limiter = options.compressionLimiter ?? new CompressionLimiter(options.maxConcurrentCompressions);
  const smallFileBytes = options.smallFileBytes ?? DEFAULT_SMALL_FILE_BYTES;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const maxRanges = options.maxRanges ?? DEFAULT_MAX_RANGES;
  const maxListingEntries = options.maxListingEntries ?? DEFAULT_MAX_LISTING_ENTRIES;
  const spaFile = options.spa === true ? 'index.html' : options.spa === false ? undefined : options.spa;
  const corsOrigin = options.cors === true ? '*' : options.cors === false ? undefined : options.cors;
  const onNotFound = options.onNotFound;
  const cacheControl =
    options.cacheControl ??
    (options.maxAgeSeconds !== undefined
      ? `public, max-age=${Math.max(0, Math.floor(options.maxAgeSeconds))}${options.immutable === true ? ', immutable' : ''}`
      : 'no-cache');

  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const cacheMaxEntries = options.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
  const cacheMaxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  // Whole-file reads are bounded by smallFileBytes without a cache, by cacheMaxFileBytes with one.
  const wholeFileMaxBytes = Math.max(smallFileBytes, cacheMaxBytes > 0 ? (options.cacheMaxFileBytes ?? DEFAULT_CACHE_MAX_FILE_BYTES) : 0);
  const pathCache = new LruCache<Promise<Resolved>>({ ttlMs: cacheTtlMs, maxEntries: cacheMaxEntries, clock: options.clock });
  // Contents are keyed by file identity, so they need no age limit: only the budget.
  const contentCache = new LruCache<Promise<Buffer>>({ ttlMs: Infinity, maxEntries: cacheMaxEntries, maxBytes: cacheMaxBytes });

  let spaSegments: string[] | undefined;
  if (spaFile !== undefined) {
    const p = normalizePath('/' + spaFile.replace(/^\/+/, ''));
    if (p === null) throw new Error(`invalid spa fallback file: ${spaFile}`);
    spaSegments = splitSegments(p);
  }

  function fsPathOf(segments: readonly string[]): string {
    return segments.length === 0 ? realRoot : rootPrefix + segments.join('/');
  }

  function isInsideRoot(real: string): boolean {
    return real === realRoot || real.startsWith(rootPrefix);
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
      if (!isInsideRoot(real)) return { kind: 'forbidden' };
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

  /**
   * The bytes of a small file, through the content cache. The key includes inode,
   * size and mtime: a file that changed since is a different key, never old bytes.
   */
  function cachedContent(rep: Representation, variant: string, load: () => Promise<Buffer>): Promise<Buffer> {
    if (cacheMaxBytes <= 0) return load();
    const key = `${rep.realPath}\0${fileEtag(rep.stat)}\0${variant}`;
    let p = contentCache.get(key);
    if (p === undefined) {
      const loading = load();
      p = loading;
      contentCache.set(key, loading, rep.stat.size);
      loading.catch(() => {
        if (contentCache.get(key) === loading) contentCache.delete(key);
      });
    }
    return p;
  }

  function setCommonHeaders(res: ResponseWriter): void {
    if (corsOrigin !== undefined) {
      res.headers.set('Access-Control-Allow-Origin', corsOrigin);
      res.headers.set('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
    }
  }

  function sendStatus(req: Request, res: ResponseWriter, status: number, headers?: Record<string, string>): void {
    res.status = status;
    setCommonHeaders(res);
    if (headers !== undefined) for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
    // A fixed text: never echo the request path or an error message (STYLE rule 5).
    const body = `${status} ${reasonPhrase(status)}\n`;
    res.headers.set('Content-Type', 'text/plain; charset=utf-8');
    res.headers.set('X-Content-Type-Options', 'nosniff');
    if (req.method === 'HEAD') {
      res.headers.set('Content-Length', Buffer.byteLength(body));
      res.end();
    } else {
      res.end(body);
    }
  }

  async function notFound(req: Request, res: ResponseWriter): Promise<void> {
    if (onNotFound === undefined) return sendStatus(req, res, 404);
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
    sendStatus(req, res, 301, { Location: location });
  }

  function answerOptions(req: Request, res: ResponseWriter): void {
    res.status = 204;
    res.headers.set('Allow', ALLOW);
    setCommonHeaders(res);
    // A CORS preflight (Fetch standard §3.2.2) carries Access-Control-Request-Method.
    if (corsOrigin !== undefined && req.header('access-control-request-method') !== undefined) {
      res.headers.set('Access-Control-Allow-Methods', ALLOW);
      res.headers.set('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      res.headers.set('Access-Control-Max-Age', CORS_MAX_AGE_SECONDS);
    }
    res.end();
  }

  /** Picks identity, a precompressed sibling or on-the-fly compression for this request. */
  async function selectRepresentation(req: Request, file: Found, contentType: string, fsPath: string): Promise<{
    rep: Representation;
    identity: Representation;
    isNegotiable: boolean;
  }> {
    const identity: Representation = {
      realPath: file.realPath,
      stat: file.stat,
      coding: undefined,
      isOnTheFly: false,
      etag: useEtag ? fileEtag(file.stat) : undefined,
    };
    if (!isCompressible(contentType)) return { rep: identity, identity, isNegotiable: false };
    const canCompress = onTheFly.length > 0 && file.stat.size >= compressMinBytes;
    const isNegotiable = precompressed.length > 0 || canCompress;
    if (!isNegotiable) return { rep: identity, identity, isNegotiable };
    // Ranges are served from the identity representation only: byte offsets into a
    // compressed stream are useless to most clients (nginx does the same).
    if (req.method === 'GET' && req.header('range') !== undefined) return { rep: identity, identity, isNegotiable };
    const acceptEncoding = req.header('accept-encoding');
    for (const coding of acceptableEncodings(acceptEncoding, precompressed)) {
      const sibling = await resolveCached(fsPath + CODING_SUFFIX[coding]);
      if (sibling.kind === 'file') {
        return {
          rep: { realPath: sibling.realPath, stat: sibling.stat, coding, isOnTheFly: false, etag: useEtag ? fileEtag(sibling.stat) : undefined },
          identity,
          isNegotiable,
        };
      }
    }
    if (canCompress) {
      const coding = acceptableEncodings(acceptEncoding, onTheFly)[0];
      if (coding !== undefined) {
        // zlib output is not guaranteed byte-identical across versions/levels, so the
        // tag is weak (RFC 9110 §8.8.1), and distinct from the identity one.
        const etag = identity.etag !== undefined ? `W/${identity.etag.slice(0, -1)}-${CODING_TAG[coding]}"` : undefined;
        return { rep: { ...identity, coding, isOnTheFly: true, etag }, identity, isNegotiable };
      }
    }
    return { rep: identity, identity, isNegotiable };
  }

  /** Forgets what the path cache holds for a file and its precompressed siblings. */
  function forgetResolved(fsPath: string): void {
    pathCache.delete(fsPath);
    for (const coding of precompressed) pathCache.delete(fsPath + CODING_SUFFIX[coding]);
  }

  /** Opens the file of `rep` if it is still the file that was resolved (see static-file.ts). */
  function openRep(rep: Representation): Promise<number> {
    return openVerified(rep.realPath, rep.stat, isInsideRoot);
  }

  /** The whole (small) file of `rep`, checked against its stat. */
  async function readRep(rep: Representation): Promise<Buffer> {
    const fd = await openRep(rep);
    try {
      return await readExactly(fd, rep.stat.size);
    } finally {
      await closeQuietly(fd);
    }
  }

  /** A streamed body is compressed on the fly: large files only; small ones come from the content cache. */
  function isStreamedCompression(rep: Representation): boolean {
    return rep.isOnTheFly && rep.stat.size > smallFileBytes;
  }

  /**
   * Gets the bytes the answer needs before any header is set: a buffer (from the content
   * cache or one read), an open descriptor (to stream), or nothing (HEAD, 304, 412, 416).
   * Opening first means a file that changed since it was resolved is found out while
   * the request can still be resolved again (FileChangedError, retried by the caller).
   */
  async function acquireBody(req: Request, rep: Representation, ranges: readonly ByteRange[] | undefined): Promise<Body> {
    const size = rep.stat.size;
    if (rep.isOnTheFly) {
      if (!isStreamedCompression(rep)) {
        // Compressed once per file version and coding, then served from the cache; a
        // HEAD compresses too, so its Content-Length is the one GET sends (RFC 9110 §9.3.2).
        const coding = rep.coding!;
        return { kind: 'buffer', bytes: await cachedContent(rep, coding, async () => compressBuffer(coding, await readRep(rep), compressor)) };
      }
      return req.method === 'HEAD' ? { kind: 'none' } : { kind: 'fd', fd: await openRep(rep) };
    }
    if (ranges !== undefined) return { kind: 'fd', fd: await openRep(rep) };
    if (req.method === 'HEAD') return { kind: 'none' };
    // One end(buffer): the core frames it with Content-Length and sends head and body in
    // one write. The buffer may be shared with other responses: never mutated.
    if (size <= wholeFileMaxBytes) return { kind: 'buffer', bytes: await cachedContent(rep, 'identity', () => readRep(rep)) };
    return { kind: 'fd', fd: await openRep(rep) };
  }

  async function serveFile(req: Request, res: ResponseWriter, file: Found, fsPath: string): Promise<void> {
    const contentType = mimeType(fsPath);
    const selected = await selectRepresentation(req, file, contentType, fsPath);
    let rep = selected.rep;
    // Streaming compression needs a slot; without one the identity representation is
    // sent (compression.ts says why not queue). HEAD announces what a GET would get now.
    let release: ReleaseSlot | undefined;
    if (isStreamedCompression(rep)) {
      if (req.method === 'GET') release = limiter.tryAcquire();
      if (req.method === 'GET' ? release === undefined : !limiter.hasFreeSlot) rep = selected.identity;
    }
    try {
      await serveRepresentation(req, res, rep, selected.isNegotiable, contentType, fsPath);
    } finally {
      release?.();
    }
  }

  async function serveRepresentation(
    req: Request,
    res: ResponseWriter,
    rep: Representation,
    isNegotiable: boolean,
    contentType: string,
    fsPath: string,
  ): Promise<void> {
    const size = rep.stat.size;
    const validators: Validators = {
      etag: rep.etag,
      lastModifiedMs: useLastModified ? rep.stat.mtimeMs : undefined,
    };
    const verdict = evaluatePreconditions(req.method, (n) => req.header(n), validators);
    // Range applies to GET only (RFC 9110 §14.2) and to the identity representation.
    let range: ReturnType<typeof parseRange> | undefined;
    if (verdict === 'proceed' && req.method === 'GET' && rep.coding === undefined && ifRangeAllows(req.header('if-range'), validators)) {
      range = parseRange(req.header('range'), size, maxRanges);
    }
    const ranges = range?.kind === 'ranges' ? range.ranges : undefined;

    let body: Body = { kind: 'none' };
    if (verdict === 'proceed' && range?.kind !== 'unsatisfiable') {
      try {
        body = await acquireBody(req, rep, ranges);
      } catch (err) {
        // The cached resolution is stale: drop it so the retry asks the disk again.
        if (!(err instanceof FileChangedError)) throw err;
        forgetResolved(fsPath);
        throw new StaleResolutionError(err);
      }
    }
    try {
      // Headers every answer about this representation carries, 304 included (RFC 9110 §15.4.5).
      setCommonHeaders(res);
      if (rep.etag !== undefined) res.headers.set('ETag', rep.etag);
      if (validators.lastModifiedMs !== undefined) res.headers.set('Last-Modified', formatHttpDate(validators.lastModifiedMs));
      res.headers.set('Cache-Control', cacheControl);
      if (isNegotiable) addVary(res, 'Accept-Encoding');

      if (verdict === 304) {
        res.status = 304;
        res.end();
        return;
      }
      if (verdict === 412) {
        res.headers.delete('ETag');
        res.headers.delete('Last-Modified');
        sendStatus(req, res, 412);
        return;
      }
      if (range?.kind === 'unsatisfiable') {
        sendStatus(req, res, 416, { 'Content-Range': unsatisfiedContentRange(size) });
        return;
      }

      res.headers.set('Content-Type', contentType);
      res.headers.set('X-Content-Type-Options', 'nosniff');
      res.headers.set('Accept-Ranges', 'bytes');
      if (rep.coding !== undefined) res.headers.set('Content-Encoding', rep.coding);

      if (rep.isOnTheFly) return await sendCompressed(req, res, rep, body);
      if (ranges === undefined) return await sendWhole(req, res, rep, body);
      const fd = (body as { fd: number }).fd;
      res.status = 206;
      if (ranges.length === 1) {
        const r = ranges[0]!;
        res.headers.set('Content-Range', contentRange(r, size));
        res.headers.set('Content-Length', r.end - r.start + 1);
        if (await streamRange(res, fd, r.start, r.end)) res.end();
        return;
      }
      const boundary = randomBytes(BOUNDARY_RANDOM_BYTES).toString('hex');
      const layout = multipartLayout(ranges, size, contentType, boundary);
      res.headers.set('Content-Type', layout.contentType);
      res.headers.set('Content-Length', layout.totalBytes);
      for (let i = 0; i < ranges.length; i++) {
        if (res.closed) return;
        if (!res.write(layout.partHeads[i]!)) await res.drain();
        if (!(await streamRange(res, fd, ranges[i]!.start, ranges[i]!.end))) return;
      }
      res.end(layout.trailer);
    } finally {
      // Every read on fd has been awaited by now, so closing cannot race a reused
      // descriptor number. This is the one place a streamed descriptor is closed.
      if (body.kind === 'fd') await closeQuietly(body.fd);
    }
  }

  /**
   * Sends bytes [start, end] of fd with backpressure. Returns false when the client
   * went away (the caller then just returns and the descriptor is closed).
   */
  async function streamRange(res: ResponseWriter, fd: number, start: number, end: number): Promise<boolean> {
    let pos = start;
    while (pos <= end) {
      if (res.closed) return false;
      const len = Math.min(chunkBytes, end - pos + 1);
      // A fresh buffer per chunk: the socket may still hold the previous one.
      const buf = Buffer.allocUnsafe(len);
      const n = await readAsync(fd, buf, len, pos);
      if (n === 0) throw new FileChangedError();
      pos += n;
      if (!res.write(n === len ? buf : buf.subarray(0, n))) await res.drain();
    }
    return !res.closed;
  }

  async function sendWhole(req: Request, res: ResponseWriter, rep: Representation, body: Body): Promise<void> {
    const size = rep.stat.size;
    res.status = 200;
    if (body.kind === 'buffer') {
      res.end(body.bytes);
      return;
    }
    res.headers.set('Content-Length', size);
    if (body.kind === 'none') {
      res.end(); // HEAD
      return;
    }
    if (await streamRange(res, body.fd, 0, size - 1)) res.end();
  }

  async function sendCompressed(req: Request, res: ResponseWriter, rep: Representation, body: Body): Promise<void> {
    res.status = 200;
    if (body.kind === 'buffer') {
      if (req.method === 'HEAD') {
        res.headers.set('Content-Length', body.bytes.length);
        res.end();
      } else {
        res.end(body.bytes);
      }
      return;
    }
    // A large body is streamed without a length: HEAD announces the same framing as
    // GET (chunked) rather than compress the whole file to count it.
    if (body.kind === 'none') {
      res.writeHead(200);
      res.end();
      return;
    }
    // Large: file chunks -> zlib -> socket, one chunk of the file read ahead at most.
    const zipper = createCompressor(rep.coding!, compressor);
    // highWaterMark 1: Readable.from() would otherwise read 16 chunks (1 MiB) ahead of a
    // client that does not read, per stream.
    const source = Readable.from(fileChunks(body.fd, rep.stat.size), { highWaterMark: 1 });
    pipeline(source, zipper, () => {
      // Errors (FileChangedError from a file that shrank) surface through the iteration below.
    });
    try {
      for await (const chunk of zipper as AsyncIterable<Buffer>) {
        if (res.closed) break;
        if (!res.write(chunk)) await res.drain();
      }
    } finally {
      // The client left or the file failed: free zlib's native state now (a brotli
      // stream holds megabytes), not at the next GC. Then wait for the source's 'close':
      // its generator has then finished its last read, so the caller may close the fd.
      zipper.destroy();
      source.destroy();
      if (!source.closed) await new Promise((resolve) => source.once('close', resolve));
    }
    if (!res.closed) res.end();
  }

  /** The file's bytes in `chunkBytes` reads. Does not own fd (the caller closes it). */
  async function* fileChunks(fd: number, size: number): AsyncGenerator<Buffer> {
    let pos = 0;
    while (pos < size) {
      const len = Math.min(chunkBytes, size - pos);
      const buf = Buffer.allocUnsafe(len);
      const n = await readAsync(fd, buf, len, pos);
      // The file shrank after it was checked: the body cannot be completed, and ending
      // the stream here would make a short body look complete (issue #14 item 7).
      if (n === 0) throw new FileChangedError();
      pos += n;
      yield n === len ? buf : buf.subarray(0, n);
    }
  }

  async function serveListing(req: Request, res: ResponseWriter, dir: Found, displayPath: string, hasParent: boolean): Promise<void> {
    const dirents = await readdirAsync(dir.realPath);
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
        const child = await resolve(dir.realPath + '/' + e.name);
        if (child.kind !== 'file' && child.kind !== 'dir') return undefined;
        return { name: e.name, isDirectory: child.kind === 'dir', sizeBytes: child.stat.size, mtimeMs: child.stat.mtimeMs };
      }),
    );
    const html = renderListing(displayPath, rows.filter((r): r is ListingEntry => r !== undefined), hasParent, skipped);
    const body = Buffer.from(html, 'utf8');
    res.status = 200;
    setCommonHeaders(res);
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

  async function serveSpa(req: Request, res: ResponseWriter): Promise<boolean> {
    if (spaSegments === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const fsPath = fsPathOf(spaSegments);
    const target = await resolveCached(fsPath);
    if (target.kind !== 'file') return false;
    await serveFile(req, res, target, fsPath);
    return true;
  }

  async function handle(req: Request, res: ResponseWriter): Promise<void> {
    const normalized = normalizePath(req.path);
    if (normalized === null) return sendStatus(req, res, 400);

    // Mount point: "/files" and "/files/..." are ours, anything else is not.
    let rel: string;
    if (prefix === '') rel = normalized;
    else if (normalized === prefix) rel = '';
    else if (normalized.startsWith(prefix + '/')) rel = normalized.slice(prefix.length);
    else return notFound(req, res);

    const segments = splitSegments(rel);
    if (dotfiles !== 'allow' && segments.some((s) => s.startsWith('.'))) {
      if (dotfiles === 'deny') return sendStatus(req, res, 403);
      return notFound(req, res);
    }

    const fsPath = fsPathOf(segments);
    const target = await resolveCached(fsPath);
    if (target.kind === 'forbidden') return sendStatus(req, res, 403);
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (target.kind === 'missing') {
      // SPA fallback only for extension-less paths: a missing /app.js must stay a 404,
      // not become HTML that the browser then fails to parse as JavaScript.
      const last = segments[segments.length - 1] ?? '';
      if (isRead && extensionOf(last) === '' && (await serveSpa(req, res))) return;
      return notFound(req, res);
    }

    if (req.method === 'OPTIONS') return answerOptions(req, res);
    if (!isRead) return sendStatus(req, res, 405, { Allow: ALLOW });

    if (target.kind === 'file') {
      // "/file.txt/" names a directory that does not exist (like nginx and Apache).
      if (rel.endsWith('/')) return notFound(req, res);
      return serveFile(req, res, target, fsPath);
    }

    // A directory: its URL must end with "/" so relative links in it resolve (mod_dir).
    if (!rel.endsWith('/')) return redirectToSlash(req, res, prefix + (rel === '' ? '' : rel));
    for (const name of indexNames) {
      const indexPath = fsPathOf([...segments, name]);
      const index = await resolveCached(indexPath);
      if (index.kind === 'file') return serveFile(req, res, index, indexPath);
    }
    if (isListing) return serveListing(req, res, target, prefix + rel, rel !== '/');
    if (await serveSpa(req, res)) return;
    return notFound(req, res);
  }

  return async function staticFiles(req: Request, res: ResponseWriter): Promise<void> {
    try {
      try {
        await handle(req, res);
      } catch (err) {
        // The file changed between its resolve (maybe cached) and its open: nothing was
        // set on res yet and the stale cache entry is gone, so resolve once more from disk.
        // A second failure is a 500 (a file replaced twice within one request).
        if (!(err instanceof StaleResolutionError)) throw err;
        await handle(req, res);
      }
    } catch (err) {
      if (err instanceof DelegatedError) throw err.cause;
      if (res.finished) throw err;
      if (res.headersSent) {
        // The head is out: only an aborted connection tells the client the body is broken.
        // Ending here would make a short chunked body look complete (issue #14 item 7),
        // and so would an App's error mapping if we rethrew, so abort it ourselves.
        res.destroy(err);
        return;
      }
      // Unexpected I/O error before the head: a bare 500 (no message, no stack).
      res.headers.delete('Content-Encoding');
      res.headers.delete('ETag');
      res.headers.delete('Last-Modified');
      res.headers.delete('Content-Length');
      res.headers.delete('Content-Range');
      sendStatus(req, res, 500);
    }
  };
}
