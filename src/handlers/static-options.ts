/**
 * Options of the static-files handler and their resolution (issue #14 item 7: the
 * handler split on its seams).
 *
 * Owns `StaticOptions`, every default (`DEFAULT_*`, with its reason), and
 * `resolveStaticOptions()`, which checks the options once, at creation, and returns a
 * frozen `StaticConfig` the other parts read. It must not touch a request or the disk
 * beyond checking the root once (a typo in a config fails at startup, not as 404s).
 */

import * as fs from 'node:fs';
import type { Handler } from '../server/handler.js';
import { normalizeMountPrefix } from '../wire/mount-prefix.js';
import { normalizePath, splitSegments } from '../wire/path.js';
import { type ContentCoding, PREFERRED_CODINGS } from './accept-encoding.js';
import { CompressionLimiter, compressorSettings, type CompressorSettings } from './compression.js';
import { DEFAULT_MAX_RANGES } from './range.js';
import { rootPrefixOf } from './root-containment.js';
import { type CorsOptions, type CorsPolicy, corsPolicy } from '../semantics/cors.js';

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
   * Files larger than this are never compressed on the fly: they are sent identity (with
   * a Content-Length, and ranges). Bounds the CPU one request can take: without it a
   * large (or sparse) text file is compressed whole for a client that may read a few
   * bytes of it. `Infinity` lifts the cap. Precompressed siblings are not affected.
   * Default `DEFAULT_MAX_COMPRESS_BYTES`.
   */
  readonly maxCompressBytes?: number;
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
   * CORS on the handler's own answers (files, listings, redirects, errors), by the one
   * CORS implementation (src/semantics/cors.ts) with `STATIC_CORS_OPTIONS`: `true` allows
   * any origin (`Access-Control-Allow-Origin: *`), a string allows that one origin
   * (echoed to it, with `Vary: Origin`). The fields go to requests that carry `Origin`;
   * preflight OPTIONS requests to a file or directory are answered 204. What
   * `onNotFound` answers is its own. Default off.
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
 * Default `maxCompressBytes`: 64 MiB. Text worth compressing on the fly (bundles, CSS,
 * HTML, JSON, SVG) is KiB to a few MiB; 64 MiB still covers large JSON/CSV exports,
 * while one request costs at most ~1.5 s of one core (gzip -6 ran at 45 MiB/s and
 * brotli q4 at 56 MiB/s on mixed source text, on a shared 2-core VM). Uncapped, a
 * sparse 10 GB .txt made the server compress ~2.2 GB in 5 s for a client that received
 * 2.2 MB. Above the cap the identity answer keeps a Content-Length and ranges, which
 * large downloads need more than the ratio. nginx and Apache have no such cap.
 */
export const DEFAULT_MAX_COMPRESS_BYTES = 64 * 1024 * 1024;
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
/**
 * The CORS policy of a static file tree, for the one CORS implementation
 * (src/semantics/cors.ts): any origin, the methods a file server answers, the request
 * fields that make range and conditional requests work cross-origin, and the response
 * fields a script needs to use them. The handler's own `cors` option applies it (with
 * its origin) to the handler's answers; `keel serve --cors` wraps the whole static
 * handler with it (`withCors`), so preflights to any path are answered (issues #14, #16).
 */
export const STATIC_CORS_OPTIONS: CorsOptions = Object.freeze({
  origin: '*',
  allowMethods: ['GET', 'HEAD', 'OPTIONS'],
  allowHeaders: ['Range', 'If-Match', 'If-None-Match', 'If-Modified-Since', 'If-Unmodified-Since', 'If-Range'],
  exposeHeaders: ['Content-Length', 'Content-Range', 'Content-Encoding', 'Accept-Ranges', 'ETag', 'Last-Modified'],
  maxAgeSeconds: CORS_MAX_AGE_SECONDS,
});

function codingList(option: boolean | readonly ContentCoding[] | undefined): readonly ContentCoding[] {
  if (option === true) return PREFERRED_CODINGS;
  if (option === false || option === undefined) return [];
  return PREFERRED_CODINGS.filter((c) => option.includes(c));
}

/** `StaticOptions` with every default applied and checked: what the handler's parts read. */
export interface StaticConfig {
  /** The root's real path, and that path with one trailing "/" (`rootPrefixOf()`: paths under the root are built on it). */
  readonly realRoot: string;
  readonly rootPrefix: string;
  /** The mount point in canonical form (`normalizeMountPrefix()`): no trailing "/", "" for none. */
  readonly prefix: string;
  readonly indexNames: readonly string[];
  readonly isListing: boolean;
  readonly dotfiles: DotfilesPolicy;
  readonly symlinks: SymlinksPolicy;
  readonly useEtag: boolean;
  readonly useLastModified: boolean;
  /** Codings of precompressed siblings, and of on-the-fly compression, in server order. */
  readonly precompressed: readonly ContentCoding[];
  readonly onTheFly: readonly ContentCoding[];
  readonly compressMinBytes: number;
  readonly maxCompressBytes: number;
  readonly compressor: CompressorSettings;
  readonly limiter: CompressionLimiter;
  readonly smallFileBytes: number;
  readonly chunkBytes: number;
  readonly maxRanges: number;
  readonly maxListingEntries: number;
  /** The SPA fallback file as path segments under the root, if any. */
  readonly spaSegments: readonly string[] | undefined;
  /** The checked policy of the `cors` option (`STATIC_CORS_OPTIONS` with its origin), or undefined when off. */
  readonly cors: CorsPolicy | undefined;
  readonly onNotFound: Handler | undefined;
  /** The Cache-Control value of files. */
  readonly cacheControl: string;
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly cacheMaxBytes: number;
  /** Files up to this size are read whole (and cached, within `cacheMaxBytes`). */
  readonly wholeFileMaxBytes: number;
  readonly clock: (() => number) | undefined;
}

/** Applies the defaults and checks the options; throws when the root is not a directory. */
export function resolveStaticOptions(options: StaticOptions): StaticConfig {
  const realRoot = fs.realpathSync.native(options.root);
  if (!fs.statSync(realRoot).isDirectory()) throw new Error(`static root is not a directory: ${options.root}`);
  const rootPrefix = rootPrefixOf(realRoot);

  const prefix = normalizeMountPrefix(options.prefix);
  if (prefix === null) throw new Error(`invalid static prefix: ${options.prefix}`);
  const indexNames = options.index === false ? [] : (options.index ?? ['index.html']);
  const isListing = options.listing ?? false;
  const dotfiles: DotfilesPolicy = options.dotfiles ?? 'deny';
  const symlinks: SymlinksPolicy = options.symlinks ?? 'inside-root';
  const useEtag = options.etag ?? true;
  const useLastModified = options.lastModified ?? true;
  const precompressed = codingList(options.precompressed);
  const onTheFly = codingList(options.compress);
  const compressMinBytes = options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES;
  const maxCompressBytes = options.maxCompressBytes ?? DEFAULT_MAX_COMPRESS_BYTES;
  if (Number.isNaN(maxCompressBytes) || maxCompressBytes < 0) throw new RangeError(`maxCompressBytes must be a number >= 0: ${maxCompressBytes}`);
  const compressor = compressorSettings(options);
  const limiter = options.compressionLimiter ?? new CompressionLimiter(options.maxConcurrentCompressions);
  const smallFileBytes = options.smallFileBytes ?? DEFAULT_SMALL_FILE_BYTES;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const maxRanges = options.maxRanges ?? DEFAULT_MAX_RANGES;
  const maxListingEntries = options.maxListingEntries ?? DEFAULT_MAX_LISTING_ENTRIES;
  const spaFile = options.spa === true ? 'index.html' : options.spa === false ? undefined : options.spa;
  const cors =
    options.cors === undefined || options.cors === false
      ? undefined
      : corsPolicy({ ...STATIC_CORS_OPTIONS, origin: options.cors === true ? '*' : options.cors });
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

  let spaSegments: string[] | undefined;
  if (spaFile !== undefined) {
    const p = normalizePath('/' + spaFile.replace(/^\/+/, ''));
    if (p === null) throw new Error(`invalid spa fallback file: ${spaFile}`);
    spaSegments = splitSegments(p);
  }
  return Object.freeze({
    realRoot,
    rootPrefix,
    prefix,
    indexNames: Object.freeze([...indexNames]),
    isListing,
    dotfiles,
    symlinks,
    useEtag,
    useLastModified,
    precompressed,
    onTheFly,
    compressMinBytes,
    maxCompressBytes,
    compressor,
    limiter,
    smallFileBytes,
    chunkBytes,
    maxRanges,
    maxListingEntries,
    spaSegments: spaSegments === undefined ? undefined : Object.freeze(spaSegments),
    cors,
    onNotFound,
    cacheControl,
    cacheTtlMs,
    cacheMaxEntries,
    cacheMaxBytes,
    wholeFileMaxBytes,
    clock: options.clock,
  });
}
