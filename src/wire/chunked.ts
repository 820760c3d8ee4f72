/**
 * The chunked transfer coding, outgoing side (RFC 9112 §7.1).
 *
 * Owns the bytes that frame a chunked body: chunk headers, the last chunk and
 * the trailer section. Decoding lives in parser.ts, where it shares the
 * parser's buffer and limits.
 */
import { isFieldValue, isToken } from './chars.js';

/** The frame before a chunk of `size` bytes: hex size and CRLF. Size 0 is reserved for the last chunk. */
export function chunkHeader(size: number): string {
  if (!(size > 0)) throw new RangeError('a data chunk cannot be empty: size 0 ends the body');
  // A fraction or Infinity would print as "1.8" or "Infinity": not 1*HEXDIG (RFC 9112 §7.1).
  if (!Number.isSafeInteger(size)) throw new RangeError(`invalid chunk size ${size}`);
  return `${size.toString(16)}\r\n`;
}

/** CRLF that closes each chunk's data. */
export const CHUNK_END = '\r\n';

/** last-chunk with no trailers, then the empty line ending the message. */
export const LAST_CHUNK = '0\r\n\r\n';

/**
 * last-chunk, trailer-section and the final CRLF (RFC 9112 §7.1.2).
 * Throws TypeError on a name or value that could split the message.
 */
export function lastChunk(trailers?: ReadonlyArray<readonly [string, string]>): string {
  if (!trailers || trailers.length === 0) return LAST_CHUNK;
  let out = '0\r\n';
  for (const [name, value] of trailers) {
    if (!isToken(name)) throw new TypeError(`invalid trailer name: ${JSON.stringify(name)}`);
    if (!isFieldValue(value)) throw new TypeError(`invalid value for trailer ${name}`);
    out += `${name}: ${value}\r\n`;
  }
  return `${out}\r\n`;
}

/** A whole body as chunked bytes (one chunk per piece), for tests and small clients. */
export function encodeChunked(pieces: readonly Uint8Array[], trailers?: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const p of pieces) {
    if (p.length === 0) continue;
    parts.push(Buffer.from(chunkHeader(p.length), 'latin1'), Buffer.from(p), Buffer.from(CHUNK_END, 'latin1'));
  }
  parts.push(Buffer.from(lastChunk(trailers), 'latin1'));
  return Buffer.concat(parts);
}
