/**
 * compress(): the App's response compression middleware (issue #16 item 2).
 *
 * Owns the decision whether a response an inner handler produced is compressed, and
 * the wrapping of its body: a whole body (string or bytes) is compressed on the thread
 * pool and keeps a Content-Length; a streamed body is compressed chunk by chunk, each
 * source chunk flushed (Z_SYNC_FLUSH / BROTLI_OPERATION_FLUSH) so a client sees it as
 * soon as the app produced it. The mechanism is the static handler's (src/semantics/):
 * the same server-tuned zlib settings, the same negotiation, the same `isCompressible`,
 * and a `CompressionLimiter` that bounds live streams (one may be shared with the
 * static handler so the bound is per process). Must not: buffer a streamed body,
 * compress what a client or a cache says must not be (no-transform, an encoded body,
 * a range), or wait for a compression slot (over the cap the body goes as identity).
 */
import type * as zlib from 'node:zlib';
import { constants } from 'node:zlib';
import { negotiateEncoding, type ContentCoding } from '../semantics/accept-encoding.js';
import {
  CompressionLimiter,
  compressBuffer,
  compressorSettings,
  createCompressor,
  type CompressionOptions,
} from '../semantics/compression.js';
import { isCompressible } from '../semantics/mime.js';
import { addVary } from '../semantics/vary.js';
import type { Middleware, Next } from './compose.js';
import type { Context, ContextBody } from './context.js';

/**
 * Default `thresholdBytes`: 1 KiB. Below it a compressed body saves less than a TCP
 * segment while costing a compressor; Fastify's @fastify/compress and Hono's compress()
 * use 1024 bytes too (nginx's gzip_min_length is 20 bytes, tuned for another age).
 */
export const DEFAULT_COMPRESS_THRESHOLD_BYTES = 1024;

/** Options of {@link compress}. Brotli tuning comes from src/semantics/compression.ts. */
export interface CompressOptions extends CompressionOptions {
  /** Bodies smaller than this (when their size is known) go uncompressed. Default 1024. */
  readonly thresholdBytes?: number;
  /** Codings offered, in server preference. Default `['br', 'gzip']` (zstd: none on Node 20). */
  readonly encodings?: readonly ContentCoding[];
  /**
   * Most streamed compressions alive at once; over it a stream goes uncompressed, never
   * queued. Ignored when `compressionLimiter` is given. Default 32 (`DEFAULT_MAX_CONCURRENT_COMPRESSIONS`).
   */
  readonly maxConcurrentCompressions?: number;
  /** A limiter shared with the static handler (or other middleware): one bound per process. */
  readonly compressionLimiter?: CompressionLimiter;
  /** Which Content-Types are compressed. Default the static handler's `isCompressible` (text, JSON, XML, SVG, ...). */
  readonly isCompressible?: (contentType: string) => boolean;
}

/** Cache-Control's no-transform forbids changing the content coding on the way (RFC 9111 §5.2.2.6). */
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;

/**
 * Response compression with br (quality 4) or gzip by the request's Accept-Encoding.
 * Adds `Vary: Accept-Encoding` to every compressible response, weakens a strong ETag
 * of a compressed one (RFC 9110 §8.8.1: a different coding is a different
 * representation), and skips bodies under 1 KiB, non-compressible types, responses
 * with a Content-Encoding or a Content-Range (206), `Cache-Control: no-transform`,
 * `text/event-stream`, and handlers that wrote through `ctx.res` themselves.
 *
 * @example
 * app.use(compress());
 * app.use(compress({ thresholdBytes: 2048, encodings: ['gzip'] }));
 */
export function compress(options: CompressOptions = {}): Middleware<Context<any, any>> {
  const settings = compressorSettings(options);
  const thresholdBytes = options.thresholdBytes ?? DEFAULT_COMPRESS_THRESHOLD_BYTES;
  if (!Number.isInteger(thresholdBytes) || thresholdBytes < 0) throw new RangeError(`thresholdBytes must be a non-negative integer: ${thresholdBytes}`);
  const encodings = options.encodings ?? (['br', 'gzip'] as const);
  for (const e of encodings) if (e !== 'br' && e !== 'gzip') throw new RangeError(`unsupported encoding: ${String(e)}`);
  const limiter = options.compressionLimiter ?? new CompressionLimiter(options.maxConcurrentCompressions);
  const compressible = options.isCompressible ?? isCompressible;

  return async function compressMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    await next();
    const res = ctx.res;
    const body = ctx.body;
    // Written through ctx.res (head gone), or nothing to compress.
    if (res.headersSent || body === undefined || body === null) return;
    const h = res.headers;
    const type = h.get('content-type');
    if (type === undefined || !compressible(type)) return;
    // RFC 9110 §6.4.1: these statuses carry no content; §14.4: a range of a coded body is a range of the coded bytes.
    const status = res.status;
    if (status < 200 || status === 204 || status === 304 || status === 206 || h.has('content-range')) return;
    if (h.has('content-encoding')) return;
    if (NO_TRANSFORM.test(h.get('cache-control') ?? '')) return;
    // Server-Sent Events: every event must reach the client at once, and proxies buffer compressed ones.
    if (/^\s*text\/event-stream/i.test(type)) return;
    // From here the representation depends on Accept-Encoding, whatever this request gets.
    addVary(h, 'Accept-Encoding');
    const isWhole = typeof body === 'string' || body instanceof Uint8Array;
    const declared = h.get('content-length');
    const size = isWhole ? (typeof body === 'string' ? Buffer.byteLength(body) : body.length) : declared !== undefined ? Number(declared) : undefined;
    if (size !== undefined && size < thresholdBytes) return;
    const coding = negotiateEncoding(ctx.req.header('accept-encoding'), encodings);
    if (coding === undefined) return;
    let out: ContextBody;
    if (isWhole) {
      const input = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.length);
      out = await compressBuffer(coding, input, settings);
    } else {
      const release = limiter.tryAcquire();
      if (release === undefined) return; // identity rather than a queue (see CompressionLimiter)
      const compressor = createCompressor(coding, settings);
      // The generator's finally runs only if it was started; a response that fails or whose
      // client leaves before the pump starts must free the native state and the slot too.
      const cleanup = (): void => {
        compressor.destroy();
        release();
      };
      res.onClose(cleanup);
      out = compressStream(body, compressor, coding, cleanup);
    }
    h.set('Content-Encoding', coding);
    h.delete('content-length');
    const etag = h.get('etag');
    if (etag !== undefined && etag.startsWith('"')) h.set('ETag', `W/${etag}`);
    ctx.body = out;
  };
}

/**
 * Compresses a streamed body lazily: each chunk pulled from `source` is written and
 * flushed, and its output yielded, so memory holds one chunk's output at a time and the
 * pump's backpressure reaches the source. The compressor is destroyed and the slot given
 * back however the stream ends (done, failed, or the client left and the pump returned).
 */
async function* compressStream(
  source: AsyncIterable<string | Uint8Array>,
  compressor: zlib.Gzip | zlib.BrotliCompress,
  coding: ContentCoding,
  cleanup: () => void,
): AsyncGenerator<Buffer> {
  const flushKind = coding === 'gzip' ? constants.Z_SYNC_FLUSH : constants.BROTLI_OPERATION_FLUSH;
  const out: Buffer[] = [];
  let failure: Error | undefined;
  /** Wakes whatever the generator is waiting for when the compressor fails. */
  let wake: (() => void) | undefined;
  compressor.on('data', (d: Buffer) => out.push(d));
  compressor.on('error', (err: Error) => {
    failure = err;
    wake?.();
  });
  const take = (): Buffer => (out.length === 1 ? out.pop()! : Buffer.concat(out.splice(0)));
  const flushed = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      compressor.flush(flushKind, () => resolve());
    });
  try {
    for await (const chunk of source) {
      if (chunk.length === 0) continue;
      compressor.write(chunk);
      await flushed();
      if (failure !== undefined) throw failure;
      // A flush always produces bytes; when the stream queued them instead of emitting
      // them before the callback, they come on the next turn.
      if (out.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (out.length > 0) yield take();
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      compressor.once('end', resolve);
      compressor.end();
    });
    if (failure !== undefined) throw failure;
    if (out.length > 0) yield take();
  } finally {
    cleanup();
  }
}
