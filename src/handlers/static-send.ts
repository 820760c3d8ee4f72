/**
 * Answering for one file of the static handler: representation, validators,
 * preconditions, ranges and the bytes (issue #14 item 7: the handler split on its seams).
 *
 * Owns choosing the representation (identity, a precompressed sibling, or zlib on the
 * fly within the compression cap), RFC 9110 preconditions (§13.2.2) and ranges (§14),
 * the content cache of small files, and sending with backpressure. The body is
 * acquired (a cached buffer, or a descriptor from `openVerified()`) before any header
 * is set, so a file that changed since it was resolved surfaces as
 * `StaleResolutionError` while the request can still be handled again. It must not
 * resolve request paths (static-resolve.ts) nor open a file any other way.
 */

import type * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { Request, ResponseWriter } from '../server/handler.js';
import { corsFields } from '../semantics/cors.js';
import { addVary } from '../semantics/vary.js';
import { PLAIN_ERROR_CONTENT_TYPE, plainErrorBody } from '../wire/error-body.js';
import { acceptableEncodings, type ContentCoding } from './accept-encoding.js';
import { compressBuffer, createCompressor, type ReleaseSlot } from './compression.js';
import { evaluatePreconditions, formatHttpDate, ifRangeAllows, type Validators } from './conditional.js';
import { LruCache } from './file-cache.js';
import { isCompressible, mimeType } from './mime.js';
import { type ByteRange, contentRange, multipartLayout, parseRange, unsatisfiedContentRange } from './range.js';
import { closeQuietly, FileChangedError, type OpenedFile, openVerified, readAsync, readExactly } from './static-file.js';
import type { StaticConfig } from './static-options.js';
import type { Found, PathResolver } from './static-resolve.js';

/** Random bytes in a multipart boundary (hex-encoded, so twice as many characters). */
const BOUNDARY_RANDOM_BYTES = 12;
const CODING_SUFFIX: Record<ContentCoding, string> = { br: '.br', gzip: '.gz' };
const CODING_TAG: Record<ContentCoding, string> = { br: 'br', gzip: 'gz' };

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

/**
 * A file was not the one resolved when it was opened (`FileChangedError` from
 * `openVerified()`), before anything was set on the response: the request may be
 * handled again from a fresh resolve.
 */
export class StaleResolutionError extends Error {
  constructor(cause: FileChangedError) {
    super('file changed since it was resolved', { cause });
  }
}

/** A strong ETag from inode, size and mtime (µs): changes whenever the file is replaced or written. */
function fileEtag(stat: fs.Stats): string {
  const MICROS_PER_MS = 1000;
  return `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.round(stat.mtimeMs * MICROS_PER_MS).toString(36)}"`;
}

/**
 * The ETag of a representation compressed on the fly. zlib output is not guaranteed
 * byte-identical across versions/levels, so the tag is weak (RFC 9110 §8.8.1), and
 * distinct from the identity one.
 */
function onTheFlyEtag(identityEtag: string, coding: ContentCoding): string {
  return `W/${identityEtag.slice(0, -1)}-${CODING_TAG[coding]}"`;
}

/**
 * Which try at a request this is. 'first' trusts the (maybe cached) resolution for size
 * and dates, and refuses a file that changed since (`StaleResolutionError`, the request
 * is handled again). 'retry' has a fresh resolution, opens the file before anything else
 * and answers from the descriptor's fstat: a file being appended to changes between any
 * lookup and any open, and is served as it is when opened, not refused twice (a 500).
 * Only another inode, a non-regular file or a path out of the root is refused then.
 */
export type Attempt = 'first' | 'retry';

/** Answers about files for one handler (see `createFileSender()`). */
export interface FileSender {
  /**
   * Answers GET/HEAD for a resolved file; `fsPath` is the path it was resolved from (its
   * cache key). `attempt` is 'retry' when `file` comes from a fresh resolve after a
   * `StaleResolutionError` (see `Attempt`).
   */
  serveFile(req: Request, res: ResponseWriter, file: Found, fsPath: string, attempt?: Attempt): Promise<void>;
  /** A fixed plain-text answer (`404 Not Found`), never echoing the request. */
  sendStatus(req: Request, res: ResponseWriter, status: number, headers?: Record<string, string>): void;
  /** The CORS fields of the `cors` option, on every answer of the handler (src/semantics/cors.ts). */
  setCommonHeaders(req: Request, res: ResponseWriter): void;
}

/** The sending half of a static handler, with its content cache. */
export function createFileSender(config: StaticConfig, paths: PathResolver): FileSender {
  const { useEtag, useLastModified, precompressed, onTheFly, compressMinBytes, maxCompressBytes, compressor, limiter } = config;
  const { smallFileBytes, chunkBytes, maxRanges, cors, cacheControl, cacheMaxBytes, wholeFileMaxBytes } = config;
  // Contents are keyed by file identity, so they need no age limit: only the budget.
  const contentCache = new LruCache<Promise<Buffer>>({ ttlMs: Infinity, maxEntries: config.cacheMaxEntries, maxBytes: cacheMaxBytes });

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

  function setCommonHeaders(req: Request, res: ResponseWriter): void {
    // Whether this is a preflight matters only to answerOptions (static.ts), which answers 204 anyway.
    if (cors !== undefined) corsFields(cors, req, res.headers);
  }

  function sendStatus(req: Request, res: ResponseWriter, status: number, headers?: Record<string, string>): void {
    res.status = status;
    setCommonHeaders(req, res);
    if (headers !== undefined) for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
    // The one plain-text error body (docs/errors.md "Error bodies"): never the request path
    // or an error message (STYLE rule 5).
    const body = plainErrorBody(status);
    res.headers.set('Content-Type', PLAIN_ERROR_CONTENT_TYPE);
    res.headers.set('X-Content-Type-Options', 'nosniff');
    if (req.method === 'HEAD') {
      res.headers.set('Content-Length', Buffer.byteLength(body));
      res.end();
    } else {
      res.end(body);
    }
  }

  /** `rep` describing the file as `stat` says it is now (size, dates and the ETag from them). */
  function withStat(rep: Representation, stat: fs.Stats): Representation {
    if (rep.etag === undefined) return { ...rep, stat };
    const etag = fileEtag(stat);
    return { ...rep, stat, etag: rep.isOnTheFly ? onTheFlyEtag(etag, rep.coding!) : etag };
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
    // Above maxCompressBytes: identity, so one request cannot cost gigabytes of CPU.
    const canCompress = onTheFly.length > 0 && file.stat.size >= compressMinBytes && file.stat.size <= maxCompressBytes;
    const isNegotiable = precompressed.length > 0 || canCompress;
    if (!isNegotiable) return { rep: identity, identity, isNegotiable };
    // Ranges are served from the identity representation only: byte offsets into a
    // compressed stream are useless to most clients (nginx does the same).
    if (req.method === 'GET' && req.header('range') !== undefined) return { rep: identity, identity, isNegotiable };
    const acceptEncoding = req.header('accept-encoding');
    for (const coding of acceptableEncodings(acceptEncoding, precompressed)) {
      const sibling = await paths.resolveCached(fsPath + CODING_SUFFIX[coding]);
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
        const etag = identity.etag !== undefined ? onTheFlyEtag(identity.etag, coding) : undefined;
        return { rep: { ...identity, coding, isOnTheFly: true, etag }, identity, isNegotiable };
      }
    }
    return { rep: identity, identity, isNegotiable };
  }

  /** Forgets what the path cache holds for a file and its precompressed siblings. */
  function forgetResolved(fsPath: string): void {
    paths.forget(fsPath);
    for (const coding of precompressed) paths.forget(fsPath + CODING_SUFFIX[coding]);
  }

  /**
   * Opens the file of `rep` if it is still the file that was resolved (see
   * static-file.ts), or hands out `pinned`: the descriptor a retry opened first, which
   * `rep` already describes (its owner, `serveFile()`, closes it).
   */
  async function openRep(rep: Representation, pinned: number | undefined): Promise<number> {
    return pinned ?? (await openVerified(rep.realPath, rep.stat, paths.isInsideRoot)).fd;
  }

  /** The whole (small) file of `rep`, checked against its stat (or read from `pinned`). */
  async function readRep(rep: Representation, pinned: number | undefined): Promise<Buffer> {
    if (pinned !== undefined) return readExactly(pinned, rep.stat.size);
    const fd = await openRep(rep, undefined);
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
  async function acquireBody(req: Request, rep: Representation, ranges: readonly ByteRange[] | undefined, pinned: number | undefined): Promise<Body> {
    const size = rep.stat.size;
    if (rep.isOnTheFly) {
      if (!isStreamedCompression(rep)) {
        // Compressed once per file version and coding, then served from the cache; a
        // HEAD compresses too, so its Content-Length is the one GET sends (RFC 9110 §9.3.2).
        const coding = rep.coding!;
        return { kind: 'buffer', bytes: await cachedContent(rep, coding, async () => compressBuffer(coding, await readRep(rep, pinned), compressor)) };
      }
      return req.method === 'HEAD' ? { kind: 'none' } : { kind: 'fd', fd: await openRep(rep, pinned) };
    }
    if (ranges !== undefined) return { kind: 'fd', fd: await openRep(rep, pinned) };
    if (req.method === 'HEAD') return { kind: 'none' };
    // One end(buffer): the core frames it with Content-Length and sends head and body in
    // one write. The buffer may be shared with other responses: never mutated.
    if (size <= wholeFileMaxBytes) return { kind: 'buffer', bytes: await cachedContent(rep, 'identity', () => readRep(rep, pinned)) };
    return { kind: 'fd', fd: await openRep(rep, pinned) };
  }

  async function serveFile(req: Request, res: ResponseWriter, file: Found, fsPath: string, attempt: Attempt = 'first'): Promise<void> {
    const contentType = mimeType(fsPath);
    const selected = await selectRepresentation(req, file, contentType, fsPath);
    let rep = selected.rep;
    let identity = selected.identity;
    // A retry opens first and answers from what it opened (see `Attempt`). The fallback
    // to identity below is the same file when it can happen (compression on the fly).
    let pinned: number | undefined;
    if (attempt === 'retry') {
      let opened: OpenedFile;
      try {
        opened = await openVerified(rep.realPath, rep.stat, paths.isInsideRoot, 'inode');
      } catch (err) {
        if (err instanceof FileChangedError) forgetResolved(fsPath);
        throw err;
      }
      pinned = opened.fd;
      rep = withStat(rep, opened.stat);
      if (identity.realPath === rep.realPath) identity = withStat(identity, opened.stat);
    }
    try {
      await serveSelected(req, res, rep, identity, selected.isNegotiable, contentType, fsPath, pinned);
    } finally {
      // serveRepresentation() has awaited every read on it by now.
      if (pinned !== undefined) await closeQuietly(pinned);
    }
  }

  async function serveSelected(
    req: Request,
    res: ResponseWriter,
    selectedRep: Representation,
    identity: Representation,
    isNegotiable: boolean,
    contentType: string,
    fsPath: string,
    pinned: number | undefined,
  ): Promise<void> {
    let rep = selectedRep;
    // Streaming compression needs a slot; without one the identity representation is
    // sent (compression.ts says why not queue). HEAD announces what a GET would get now.
    let release: ReleaseSlot | undefined;
    if (isStreamedCompression(rep)) {
      if (req.method === 'GET') release = limiter.tryAcquire();
      if (req.method === 'GET' ? release === undefined : !limiter.hasFreeSlot) rep = identity;
    }
    try {
      await serveRepresentation(req, res, rep, isNegotiable, contentType, fsPath, pinned);
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
    pinned: number | undefined,
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
        body = await acquireBody(req, rep, ranges, pinned);
      } catch (err) {
        // The cached resolution is stale: drop it so the retry asks the disk again.
        if (!(err instanceof FileChangedError)) throw err;
        forgetResolved(fsPath);
        throw new StaleResolutionError(err);
      }
    }
    try {
      // Headers every answer about this representation carries, 304 included (RFC 9110 §15.4.5).
      setCommonHeaders(req, res);
      if (rep.etag !== undefined) res.headers.set('ETag', rep.etag);
      if (validators.lastModifiedMs !== undefined) res.headers.set('Last-Modified', formatHttpDate(validators.lastModifiedMs));
      res.headers.set('Cache-Control', cacheControl);
      if (isNegotiable) addVary(res.headers, 'Accept-Encoding');

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
      // Ranges are served from the identity representation only (see selectRepresentation),
      // so only it advertises them (RFC 9110 §14.3). A compressed answer, on the fly or a
      // precompressed sibling, does not, like nginx's gzip filter: a client that resumed
      // it with a Range would get identity bytes to splice onto compressed ones.
      if (rep.coding === undefined) res.headers.set('Accept-Ranges', 'bytes');
      if (rep.coding !== undefined) res.headers.set('Content-Encoding', rep.coding);

      if (rep.isOnTheFly) return await sendCompressed(req, res, rep, body);
      if (ranges === undefined) return await sendWhole(res, rep, body);
      // acquireBody() opened the file for every range answer.
      if (body.kind !== 'fd') throw new Error('a range answer without a descriptor');
      const fd = body.fd;
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
      // A pinned descriptor is its opener's (serveFile) to close.
      if (body.kind === 'fd' && body.fd !== pinned) await closeQuietly(body.fd);
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

  async function sendWhole(res: ResponseWriter, rep: Representation, body: Body): Promise<void> {
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

  return { serveFile, sendStatus, setCommonHeaders };
}
