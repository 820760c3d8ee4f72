/**
 * On-the-fly compression with bounded memory (issue #12 item 7).
 *
 * Owns two things every on-the-fly compressor in keel shares (the static handler and
 * the App's compress() middleware, issue #16): the zlib parameters chosen
 * for a server rather than for a build step, and `CompressionLimiter`, the cap on
 * compression streams alive at once. It must not touch files, sockets or HTTP fields:
 * callers decide what to compress and what to do when no slot is free. It lives in
 * src/semantics/ (imports only node: builtins) because both app/ and handlers/ use it and
 * neither may import the other. zstd is not offered: node:zlib on Node 20 has none.
 *
 * Why a cap: a brotli stream holds its window, hash tables and block buffers (about
 * 2.6 MiB at quality 4 with a 256 KiB window, 3.6-4.1 MiB with zlib's 4 MiB window;
 * gzip about 0.5 MiB; measured by holding 100 streams fed 1 MiB of text each)
 * for as long as its client takes to read. Clients that ask for a large text file and
 * never read hold that memory indefinitely: 500 of them grew `keel serve --gzip` by
 * 2.7 GiB (bench/compress-memory.mjs). With a cap, memory is bounded by
 * cap x per-stream state whatever the clients do.
 */

import * as zlib from 'node:zlib';
import type { ContentCoding } from './accept-encoding.js';

/**
 * Default `maxConcurrentCompressions`: 32 streams. At about 2.6 MiB per brotli stream
 * (quality 4, 256 KiB window) that bounds compression state near 100 MiB; the CPU work
 * of more streams than that cannot run at once on a few cores anyway, and a stream over
 * the cap is sent uncompressed rather than waiting (see `CompressionLimiter`).
 */
export const DEFAULT_MAX_CONCURRENT_COMPRESSIONS = 32;
/**
 * Default `brotliQuality`: 4. zlib's default (11) is meant for build-time compression
 * and is ~20x slower; 4 is a common setting for dynamic content (measured here on 2 MiB
 * of text: output 18% smaller than gzip -6's, in 1-2x its time).
 */
export const DEFAULT_BROTLI_QUALITY = 4;
/**
 * Default `brotliWindowBits`: 18 (a 256 KiB window). zlib's default is 22 (4 MiB);
 * measured on 2 MiB of text at quality 4, 18 bits gave the same ratio (0.375 vs 0.376)
 * with about 30% less memory per stream (2.6 vs 3.6-4.1 MiB). Back-references farther
 * than 256 KiB are rare in web assets. ngx_brotli's default window is 512 KiB (19 bits).
 */
export const DEFAULT_BROTLI_WINDOW_BITS = 18;
/** Brotli's own bounds for the window (BROTLI_MIN/MAX_WINDOW_BITS) and quality. */
const BROTLI_MIN_WINDOW_BITS = 10;
const BROTLI_MAX_WINDOW_BITS = 24;
const BROTLI_MAX_QUALITY = 11;

/** Tuning of the compressors (all optional; defaults above). */
export interface CompressionOptions {
  /** Brotli quality, 0-11. Default `DEFAULT_BROTLI_QUALITY`. */
  readonly brotliQuality?: number;
  /** Brotli window as a power of two, 10-24. Default `DEFAULT_BROTLI_WINDOW_BITS`. */
  readonly brotliWindowBits?: number;
}

/** Resolved compressor settings, checked once. */
export interface CompressorSettings {
  readonly brotliQuality: number;
  readonly brotliWindowBits: number;
}

/** Applies defaults and range checks (throws a RangeError at configuration time, not per request). */
export function compressorSettings(options: CompressionOptions = {}): CompressorSettings {
  const brotliQuality = options.brotliQuality ?? DEFAULT_BROTLI_QUALITY;
  const brotliWindowBits = options.brotliWindowBits ?? DEFAULT_BROTLI_WINDOW_BITS;
  if (!Number.isInteger(brotliQuality) || brotliQuality < 0 || brotliQuality > BROTLI_MAX_QUALITY) {
    throw new RangeError(`brotliQuality must be an integer 0-${BROTLI_MAX_QUALITY}: ${brotliQuality}`);
  }
  if (!Number.isInteger(brotliWindowBits) || brotliWindowBits < BROTLI_MIN_WINDOW_BITS || brotliWindowBits > BROTLI_MAX_WINDOW_BITS) {
    throw new RangeError(`brotliWindowBits must be an integer ${BROTLI_MIN_WINDOW_BITS}-${BROTLI_MAX_WINDOW_BITS}: ${brotliWindowBits}`);
  }
  return Object.freeze({ brotliQuality, brotliWindowBits });
}

function brotliOptions(settings: CompressorSettings, sizeHintBytes: number | undefined): zlib.BrotliOptions {
  const params: Record<number, number> = {
    [zlib.constants.BROTLI_PARAM_QUALITY]: settings.brotliQuality,
    [zlib.constants.BROTLI_PARAM_LGWIN]: settings.brotliWindowBits,
  };
  // A size hint lets the encoder size its buffers for a small input. Only for whole
  // buffers: a hint of 1 MiB or more makes quality 4 pick a larger hasher (measured:
  // 5.5 MiB per stream instead of 2.6 MiB), so streams get none.
  if (sizeHintBytes !== undefined) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHintBytes;
  return { params };
}

/** A streaming compressor for `coding`. The caller must `destroy()` it when the client leaves: that frees its native state at once. */
export function createCompressor(coding: ContentCoding, settings: CompressorSettings): zlib.Gzip | zlib.BrotliCompress {
  if (coding === 'gzip') return zlib.createGzip();
  return zlib.createBrotliCompress(brotliOptions(settings, undefined));
}

/** Compresses a whole buffer (on the thread pool), for bodies small enough to hold in memory. */
export function compressBuffer(coding: ContentCoding, input: Buffer, settings: CompressorSettings): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const cb = (err: Error | null, r: Buffer): void => (err ? reject(err) : resolve(r));
    if (coding === 'gzip') zlib.gzip(input, cb);
    else zlib.brotliCompress(input, brotliOptions(settings, input.length), cb);
  });
}

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * A counting cap on compression streams alive at once.
 *
 * `tryAcquire()` never waits: when every slot is taken it returns undefined and the
 * caller sends the body uncompressed (identity). Queueing was rejected on purpose: a
 * slot is held for as long as its client takes to read, so clients that never read
 * would hold every slot and make the queue, and every request in it, wait forever.
 * Identity costs bandwidth, never memory beyond one read chunk. One limiter may be
 * shared by several handlers (and middleware) so the bound is per process.
 */
export class CompressionLimiter {
  readonly #max: number;
  #inUse = 0;

  /** `maxConcurrentCompressions`: slots, 0 turns streaming compression off. */
  constructor(maxConcurrentCompressions: number = DEFAULT_MAX_CONCURRENT_COMPRESSIONS) {
    if (!Number.isInteger(maxConcurrentCompressions) || maxConcurrentCompressions < 0) {
      throw new RangeError(`maxConcurrentCompressions must be a non-negative integer: ${maxConcurrentCompressions}`);
    }
    this.#max = maxConcurrentCompressions;
  }

  /** Slots taken now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Whether `tryAcquire()` would succeed now. */
  get hasFreeSlot(): boolean {
    return this.#inUse < this.#max;
  }

  /** Takes a slot, or returns undefined when all are taken. The release function is idempotent. */
  tryAcquire(): ReleaseSlot | undefined {
    if (this.#inUse >= this.#max) return undefined;
    this.#inUse++;
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      this.#inUse--;
    };
  }
}
