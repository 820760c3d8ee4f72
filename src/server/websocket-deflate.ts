/**
 * permessage-deflate message codec (RFC 7692 §7.2) over node:zlib.
 *
 * Owns compressing outgoing messages and inflating incoming ones for one
 * connection, with the parameters negotiated by wire/websocket-handshake.ts:
 * the trailing 0x00 0x00 0xff 0xff of a sync flush removed and re-added
 * (§7.2.1, §7.2.2), context takeover kept or dropped per direction
 * (§7.1.1), window sizes as negotiated (§7.1.2), and the inflated size
 * bounded by `maxMessageBytes`: inflation stops at the first output chunk
 * past it (the zlib stream is destroyed, so a small frame that would inflate
 * to gigabytes costs at most the limit plus one 16 KiB chunk) and fails with
 * close code 1009. It does no socket I/O, framing or UTF-8 checking: the
 * connection frames the bytes (wire/websocket-serializer.ts) and validates
 * inflated text (wire/websocket-utf8.ts). zlib work runs on libuv's thread
 * pool; operations of one codec run one at a time, in call order.
 */
import * as zlib from 'node:zlib';
import { DEFAULT_WS_MAX_MESSAGE_BYTES, type WebSocketRole } from '../wire/websocket-frame.js';
import { WebSocketInvalidDataError, WebSocketMessageTooBigError } from '../wire/websocket-errors.js';
import type { PerMessageDeflateParams } from '../wire/websocket-handshake.js';

/** The bytes a sync flush ends with, removed from each compressed message (RFC 7692 §7.2.1). */
const SYNC_FLUSH_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** zlib cannot inflate or deflate raw streams with an 8-bit window; 9 reads anything an 8-bit window wrote. */
const MIN_ZLIB_WINDOW_BITS = 9;

/** Options of a `PerMessageDeflateCodec`. */
export interface PerMessageDeflateOptions {
  /** The negotiated parameters (negotiatePerMessageDeflate().params). */
  params: PerMessageDeflateParams;
  /** Which end this codec works for: 'server' (default) compresses with the server_* parameters. */
  role?: WebSocketRole;
  /** Largest inflated message; past it decompress() fails with close code 1009. Default DEFAULT_WS_MAX_MESSAGE_BYTES (16 MiB). */
  maxMessageBytes?: number;
  /** zlib compression level, 0-9. Default zlib's own (6). */
  level?: number;
  /** zlib memLevel, 1-9: memory of the compressor's hash tables (2^(memLevel+9) bytes each). Default zlib's own (8). */
  memLevel?: number;
}

/** Compresses and inflates the messages of one connection (RFC 7692). Call close() when the connection ends. */
export class PerMessageDeflateCodec {
  readonly #maxMessageBytes: number;
  readonly #level: number | undefined;
  readonly #memLevel: number | undefined;
  /** Window and context takeover of what we send, and of what the peer sends. */
  readonly #ownWindowBits: number;
  readonly #ownNoContextTakeover: boolean;
  readonly #peerWindowBits: number;
  readonly #peerNoContextTakeover: boolean;
  #deflate: zlib.DeflateRaw | null = null;
  #inflate: zlib.InflateRaw | null = null;
  /** Each direction's last operation: the next one starts after it (messages are ordered). */
  #deflateTail: Promise<unknown> = Promise.resolve();
  #inflateTail: Promise<unknown> = Promise.resolve();
  #isClosed = false;
  /** Rejecters of the operations under way: close() settles them. */
  readonly #pending = new Set<(err: Error) => void>();

  constructor(options: PerMessageDeflateOptions) {
    const p = options.params;
    const isServer = (options.role ?? 'server') === 'server';
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_WS_MAX_MESSAGE_BYTES;
    this.#level = options.level;
    this.#memLevel = options.memLevel;
    this.#ownWindowBits = Math.max(MIN_ZLIB_WINDOW_BITS, isServer ? p.serverMaxWindowBits : p.clientMaxWindowBits);
    this.#ownNoContextTakeover = isServer ? p.serverNoContextTakeover : p.clientNoContextTakeover;
    this.#peerWindowBits = Math.max(MIN_ZLIB_WINDOW_BITS, isServer ? p.clientMaxWindowBits : p.serverMaxWindowBits);
    this.#peerNoContextTakeover = isServer ? p.clientNoContextTakeover : p.serverNoContextTakeover;
  }

  /**
   * One message's payload, compressed (RFC 7692 §7.2.1): send it with RSV1
   * set on the first frame. With context takeover the compressor keeps its
   * window for the next message (§7.1.1), so the result belongs to this
   * connection only.
   */
  compress(data: Uint8Array): Promise<Buffer> {
    const run = (): Promise<Buffer> => {
      if (this.#isClosed) return Promise.reject(new Error('PerMessageDeflateCodec is closed'));
      const deflate = (this.#deflate ??= zlib.createDeflateRaw({ windowBits: this.#ownWindowBits, level: this.#level, memLevel: this.#memLevel }));
      return this.#track<Buffer>((resolve, reject) => {
        const out: Buffer[] = [];
        let total = 0;
        const onData = (chunk: Buffer): void => {
          out.push(chunk);
          total += chunk.length;
        };
        const onError = (err: Error): void => {
          deflate.off('data', onData);
          this.#deflate = null;
          reject(err);
        };
        deflate.on('data', onData);
        deflate.once('error', onError);
        deflate.write(data);
        deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          deflate.off('data', onData);
          deflate.off('error', onError);
          if (this.#deflate !== deflate) return; // failed or closed meanwhile: already rejected
          const all = Buffer.concat(out, total);
          // §7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff at the tail end.
          const body = endsWithTrailer(all) ? all.subarray(0, all.length - 4) : all;
          if (this.#ownNoContextTakeover) deflate.reset(); // §7.1.1.1: a fresh window for every message
          resolve(body);
        });
      });
    };
    const p = this.#deflateTail.then(run, run);
    this.#deflateTail = p.catch(() => undefined);
    return p;
  }

  /**
   * One message's compressed payload (its frames' payloads in order),
   * inflated (RFC 7692 §7.2.2).
   * @throws WebSocketMessageTooBigError (1009) once the output passes maxMessageBytes: inflation stops there
   * @throws WebSocketInvalidDataError (1007) when the bytes are not a valid deflate stream
   */
  decompress(pieces: Uint8Array | readonly Uint8Array[]): Promise<Buffer> {
    const list = pieces instanceof Uint8Array ? [pieces] : pieces;
    const run = (): Promise<Buffer> => {
      if (this.#isClosed) return Promise.reject(new Error('PerMessageDeflateCodec is closed'));
      const inflate = (this.#inflate ??= zlib.createInflateRaw({ windowBits: this.#peerWindowBits }));
      const max = this.#maxMessageBytes;
      return this.#track<Buffer>((resolve, reject) => {
        const out: Buffer[] = [];
        let total = 0;
        let failed = false;
        const fail = (err: Error): void => {
          if (failed) return;
          failed = true;
          inflate.off('data', onData);
          // The stream's window is now unusable (and over the limit, a bomb): drop it, so zlib
          // stops at once; a later message would get a fresh context (the connection is closing anyway).
          this.#inflate = null;
          inflate.destroy();
          reject(err);
        };
        const onData = (chunk: Buffer): void => {
          total += chunk.length;
          if (total > max) fail(new WebSocketMessageTooBigError(`inflated message exceeds ${max} bytes`, 'ERR_WS_INFLATED_TOO_BIG'));
          else out.push(chunk);
        };
        const onError = (): void => fail(new WebSocketInvalidDataError('compressed payload does not inflate', 'ERR_WS_INFLATE_FAILED'));
        inflate.on('data', onData);
        inflate.once('error', onError);
        for (const piece of list) if (piece.length > 0) inflate.write(piece);
        // §7.2.2: append 0x00 0x00 0xff 0xff to the payload, then inflate.
        inflate.write(SYNC_FLUSH_TRAILER);
        inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          if (failed) return;
          inflate.off('data', onData);
          inflate.off('error', onError);
          if (this.#peerNoContextTakeover) inflate.reset(); // the peer starts each message afresh (§7.1.1.2)
          resolve(Buffer.concat(out, total));
        });
      });
    };
    const p = this.#inflateTail.then(run, run);
    this.#inflateTail = p.catch(() => undefined);
    return p;
  }

  /** A promise whose rejecter close() can call. */
  #track<T>(body: (resolve: (v: T) => void, reject: (err: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const rejecter = (err: Error): void => reject(err);
      this.#pending.add(rejecter);
      body(
        (v) => {
          this.#pending.delete(rejecter);
          resolve(v);
        },
        (err) => {
          this.#pending.delete(rejecter);
          reject(err);
        },
      );
    });
  }

  /** Frees both zlib streams; operations under way and later calls reject. */
  close(): void {
    this.#isClosed = true;
    for (const reject of this.#pending) reject(new Error('PerMessageDeflateCodec closed'));
    this.#pending.clear();
    this.#deflate?.close();
    this.#inflate?.close();
    this.#deflate = null;
    this.#inflate = null;
  }
}

function endsWithTrailer(b: Buffer): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0x00 && b[n - 3] === 0x00 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}

/**
 * Compresses one message with a fresh context (RFC 7692 §7.2.1), for a
 * publish to many connections: the same bytes are valid on every connection
 * that negotiated server_no_context_takeover (and a window of at least
 * `windowBits`). A connection whose compressor keeps its context must not be
 * sent them: its compressor's window would no longer match what the peer saw.
 */
export function deflateMessage(data: Uint8Array, options: { windowBits?: number; level?: number; memLevel?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(
      data,
      { windowBits: Math.max(MIN_ZLIB_WINDOW_BITS, options.windowBits ?? 15), level: options.level, memLevel: options.memLevel, finishFlush: zlib.constants.Z_SYNC_FLUSH },
      (err, out) => {
        if (err) reject(err);
        else resolve(endsWithTrailer(out) ? out.subarray(0, out.length - 4) : out);
      },
    );
  });
}
