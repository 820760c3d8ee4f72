/**
 * The WebSocket masking transform (RFC 6455 §5.3), shared by the frame parser
 * (unmasking client frames) and the serializer (masking client frames).
 *
 * Owns one function: XOR a byte range with a 4-byte key, starting at a given
 * position in the key. It works in place on 32-bit words where the range is
 * aligned (a 16 MiB message is 4 Mi word operations, not 16 Mi byte ones, and
 * no allocation per byte), and byte by byte on the unaligned edges. Pure: no I/O.
 */

/** Ranges shorter than this are masked byte by byte: making a word view costs more than it saves. */
const WORD_MASK_MIN_BYTES = 32;

/** True on little-endian hosts: the order the key's bytes take inside a 32-bit word. */
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * XORs `buf[start, end)` in place with `key` (4 bytes), byte `start` taking
 * `key[keyOffset & 3]`. Masking and unmasking are the same operation.
 * @returns the key offset for the byte after `end`, to continue a payload split across buffers
 */
export function applyMask(buf: Uint8Array, start: number, end: number, key: Uint8Array, keyOffset: number): number {
  let i = start;
  let k = keyOffset & 3;
  if (end - start >= WORD_MASK_MIN_BYTES) {
    // Byte by byte up to a 4-byte boundary of the underlying memory, then whole words.
    for (let lead = (4 - ((buf.byteOffset + i) & 3)) & 3; lead > 0; lead--, i++, k = (k + 1) & 3) buf[i] ^= key[k];
    const words = (end - i) >>> 2;
    const b0 = key[k];
    const b1 = key[(k + 1) & 3];
    const b2 = key[(k + 2) & 3];
    const b3 = key[(k + 3) & 3];
    const m = IS_LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j++) w[j] ^= m;
    i += words << 2; // a whole number of words leaves the key offset where it was
  }
  for (; i < end; i++, k = (k + 1) & 3) buf[i] ^= key[k];
  return k;
}
