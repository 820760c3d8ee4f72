/**
 * The WebSocket frame serializer (RFC 6455 §5): messages and control frames to bytes.
 *
 * Owns the writing side of the framing: header layout with the minimal
 * length encoding (§5.2), masking for the client role (§5.3: a fresh,
 * unpredictable key per frame), Close payloads with a validated code and
 * reason (§5.5.1, §7.4), control frame limits (§5.5) and fragmentation (§5.4).
 * Each function makes one Buffer holding header and payload (one allocation,
 * a string is encoded straight into it), so a server frames a published
 * message once and writes the same Buffer to every subscriber. It never
 * compresses (the caller passes compressed bytes with `compressed: true`) and
 * does no I/O; the only outside resource is the Web Crypto random source
 * (`globalThis.crypto`, no import) for client masking keys, replaceable by a
 * supplied key.
 *
 * Bad arguments are programming errors and throw TypeError/RangeError where
 * they are made, like the header map does: a Close code that must not be sent,
 * a control payload over 125 bytes, a masking key with the server role.
 */
import {
  isValidCloseCode,
  MAX_CONTROL_PAYLOAD_BYTES,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  type WebSocketRole,
} from './websocket-frame.js';
import { applyMask } from './websocket-mask.js';

/** How frames are written. */
export interface EncodeOptions {
  /** 'server' (default) writes unmasked frames; 'client' masks every frame (RFC 6455 §5.1). */
  role?: WebSocketRole;
  /** The 4-byte masking key for a client frame; by default a random one per frame (§5.3). Tests pass one to get fixed bytes. */
  maskKey?: Uint8Array;
}

/** Options of one frame. */
export interface FrameOptions extends EncodeOptions {
  /** FIN: the last frame of its message. Default true. */
  fin?: boolean;
  /** RSV1: the message is compressed (permessage-deflate, RFC 7692 §6); only on a message's first frame. */
  rsv1?: boolean;
}

/** Longest Close reason in bytes: 125 minus the 2-byte code (§5.5, §5.5.1). */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD_BYTES - 2;

/** Random masking keys are cut from a pool filled this many bytes at a time (256 keys per call to the random source). */
const MASK_POOL_BYTES = 1024;
let maskPool = new Uint8Array(0);
let maskPoolPos = 0;

/** Four fresh random bytes (§5.3: "derived from a strong source of entropy"), from a pooled Web Crypto fill. */
function randomMaskKey(): Uint8Array {
  if (maskPoolPos + 4 > maskPool.length) {
    maskPool = new Uint8Array(MASK_POOL_BYTES);
    globalThis.crypto.getRandomValues(maskPool);
    maskPoolPos = 0;
  }
  const key = maskPool.subarray(maskPoolPos, maskPoolPos + 4);
  maskPoolPos += 4;
  return key;
}

const isKnownOpcode = (op: number): boolean =>
  op === OPCODE_CONTINUATION || op === OPCODE_TEXT || op === OPCODE_BINARY || op === OPCODE_CLOSE || op === OPCODE_PING || op === OPCODE_PONG;

/**
 * One frame: header (minimal length encoding, §5.2), masking key when the
 * role is client, and the payload (a string is written as UTF-8).
 * @throws RangeError for a reserved opcode, a fragmented or over-125-byte control frame, RSV1 on a control or continuation frame
 */
export function encodeFrame(opcode: number, payload: Uint8Array | string, options: FrameOptions = {}): Buffer {
  const fin = options.fin ?? true;
  const rsv1 = options.rsv1 ?? false;
  const isClient = (options.role ?? 'server') === 'client';
  if (!isKnownOpcode(opcode)) throw new RangeError(`reserved WebSocket opcode ${opcode}`);
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (opcode >= OPCODE_CLOSE) {
    if (!fin) throw new RangeError('a control frame cannot be fragmented (RFC 6455 §5.5)');
    if (length > MAX_CONTROL_PAYLOAD_BYTES) throw new RangeError('a control frame payload is at most 125 bytes (RFC 6455 §5.5)');
  }
  if (rsv1 && (opcode === OPCODE_CONTINUATION || opcode >= OPCODE_CLOSE)) {
    throw new RangeError('RSV1 marks the first frame of a compressed message only (RFC 7692 §6.1)');
  }
  let key: Uint8Array | null = null;
  if (options.maskKey !== undefined) {
    if (!isClient) throw new TypeError('a server does not mask its frames (RFC 6455 §5.1)');
    if (options.maskKey.length !== 4) throw new RangeError('a masking key is 4 bytes');
    key = options.maskKey;
  } else if (isClient) {
    key = randomMaskKey();
  }
  const extended = length < 126 ? 0 : length < 0x1_0000 ? 2 : 8;
  const headerLength = 2 + extended + (key === null ? 0 : 4);
  const out = Buffer.allocUnsafe(headerLength + length);
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = key === null ? 0 : 0x80;
  if (extended === 0) {
    out[1] = maskBit | length;
  } else if (extended === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = maskBit | 127;
    // Lengths here are under 2^53 (a Buffer's), so the top bit is 0 as §5.2 requires.
    out.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (key !== null) out.set(key, 2 + extended);
  if (typeof payload === 'string') out.write(payload, headerLength, 'utf8');
  else out.set(payload, headerLength);
  if (key !== null) applyMask(out, headerLength, out.length, key, 0);
  return out;
}

/** Options of a whole message. */
export interface MessageOptions extends EncodeOptions {
  /** The payload is already deflated (permessage-deflate): set RSV1 on the first frame. */
  compressed?: boolean;
}

/**
 * A whole message as one frame, ready to write. With the server role the
 * Buffer can be written to any number of connections (publish to a topic):
 * framing happens once.
 */
export function encodeMessage(kind: 'text' | 'binary', data: Uint8Array | string, options: MessageOptions = {}): Buffer {
  return encodeFrame(kind === 'text' ? OPCODE_TEXT : OPCODE_BINARY, data, { ...options, fin: true, rsv1: options.compressed === true });
}

/**
 * A message cut into frames of at most `fragmentBytes` payload bytes each
 * (§5.4): the first with the message's opcode, the rest continuations, FIN on
 * the last. Text may be cut inside a code point: UTF-8 is a property of the
 * message, not of its frames (§5.6). An empty message is one empty frame.
 */
export function encodeFragments(kind: 'text' | 'binary', data: Uint8Array | string, fragmentBytes: number, options: MessageOptions = {}): Buffer[] {
  if (!Number.isSafeInteger(fragmentBytes) || fragmentBytes < 1) throw new RangeError('fragmentBytes must be a positive integer');
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const frames: Buffer[] = [];
  let at = 0;
  do {
    const end = Math.min(bytes.length, at + fragmentBytes);
    const first = at === 0;
    frames.push(
      encodeFrame(first ? (kind === 'text' ? OPCODE_TEXT : OPCODE_BINARY) : OPCODE_CONTINUATION, bytes.subarray(at, end), {
        role: options.role,
        maskKey: options.maskKey,
        fin: end === bytes.length,
        rsv1: first && options.compressed === true,
      }),
    );
    at = end;
  } while (at < bytes.length);
  return frames;
}

/** A Ping frame (§5.5.2) with up to 125 bytes of application data. */
export function encodePing(data: Uint8Array | string = '', options: EncodeOptions = {}): Buffer {
  return encodeFrame(OPCODE_PING, data, options);
}

/** A Pong frame (§5.5.3): in answer to a Ping, it carries the Ping's data. */
export function encodePong(data: Uint8Array | string = '', options: EncodeOptions = {}): Buffer {
  return encodeFrame(OPCODE_PONG, data, options);
}

/**
 * A Close frame (§5.5.1): no payload when `code` is omitted, else the code
 * and a UTF-8 reason of at most 123 bytes.
 * @throws RangeError for a code an endpoint must not send (§7.4: 1004-1006, 1015, unassigned ones), a reason without a code, a reason over 123 bytes
 */
export function encodeClose(code?: number, reason = '', options: EncodeOptions = {}): Buffer {
  if (code === undefined) {
    if (reason !== '') throw new RangeError('a Close reason needs a code (RFC 6455 §5.5.1)');
    return encodeFrame(OPCODE_CLOSE, '', options);
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
  const reasonBytes = Buffer.byteLength(reason);
  if (reasonBytes > MAX_CLOSE_REASON_BYTES) throw new RangeError(`a Close reason is at most ${MAX_CLOSE_REASON_BYTES} bytes`);
  const payload = Buffer.allocUnsafe(2 + reasonBytes);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return encodeFrame(OPCODE_CLOSE, payload, options);
}
