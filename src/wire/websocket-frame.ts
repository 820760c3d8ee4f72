/**
 * The sans-IO WebSocket frame parser (RFC 6455 §5), for either end of a connection.
 *
 * Owns the reading side of the framing: frame headers (7/16/64-bit lengths),
 * masking, fragmentation, control frames, RSV bits, reserved opcodes, UTF-8
 * validation of text, Close payloads, and the limits on message size and
 * frame count. Every rule is enforced where it is decided, citing its RFC
 * section. It never touches sockets, timers, files or the clock, and never
 * inflates (permessage-deflate payloads are passed on compressed, flagged;
 * src/server/websocket-deflate.ts inflates them).
 *
 * Theory of operation
 * -------------------
 * `receive(bytes)` hands over input; `nextEvent()` returns the next event or
 * `NEED_DATA`. A data message is delivered as it arrives, not buffered:
 *
 *   message-start ─► message-data* ─► message-end
 *
 * with ping / pong / close events allowed between any two of those (control
 * frames may be interleaved with the fragments of a message, §5.4). A
 * `message-data` event is a view of the input, unmasked in place: receive()
 * takes ownership of the bytes it is given (a socket's chunks are the
 * caller's to give). So a payload that is whole in one input buffer is never
 * copied, and a 16 MiB message costs no memory here. Only a split frame
 * header (at most 14 bytes) or a split control payload (at most 125) is ever
 * copied, into a small scratch buffer.
 *
 * Any violation throws a `WebSocketError` carrying the close code to send
 * (1002, 1007 or 1009); the parser is then dead (every later call throws the
 * same error): after a framing error nothing that follows can be trusted
 * (§7.1.7, "Fail the WebSocket Connection"). After a Close frame the parser
 * is 'closed': the peer may send nothing more (§5.5.1), so later bytes are
 * ignored and nextEvent() returns NEED_DATA.
 *
 * Rules applied to each frame, in this order, as soon as the bytes that
 * decide them have arrived (so an error is the same whatever the split):
 *   byte 0-1: reserved opcode, RSV bits, mask bit, control frame rules,
 *             fragmentation rules, frame count;
 *   length:   minimal encoding, 64-bit MSB, message size;
 *   payload:  UTF-8 of text (fail fast, per piece), Close code and reason.
 */
import { applyMask } from './websocket-mask.js';
import { WebSocketError, WebSocketInvalidDataError, WebSocketMessageTooBigError, WebSocketProtocolError } from './websocket-errors.js';
import { Utf8Validator } from './websocket-utf8.js';

/** Returned by `nextEvent()` when the parser needs more bytes (the same sentinel idea as the request parser). */
export const WS_NEED_DATA: unique symbol = Symbol('WS_NEED_DATA');

/** Opcodes of RFC 6455 §5.2 (§11.8 registry). Every other value is reserved and refused. */
export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** Longest control frame payload (RFC 6455 §5.5): 125 bytes, so it always fits the 7-bit length. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;
/** The close code reported when a Close frame carries no code (RFC 6455 §7.1.5); never valid on the wire. */
export const CLOSE_NO_STATUS = 1005;

/** Which end of the connection the parser or serializer works for: it decides which frames must be masked (§5.1). */
export type WebSocketRole = 'server' | 'client';

/** Bounds the frame parser enforces on each message. */
export interface WebSocketLimits {
  /**
   * Largest message, payload bytes as received (compressed ones counted as
   * received; the inflater applies the same bound to the inflated size).
   * Over it: close 1009, decided from the frame header before the payload arrives.
   */
  maxMessageBytes: number;
  /** Most frames in one message (fragment flood: many tiny frames cost a call each). Over it: close 1009. */
  maxFramesPerMessage: number;
}

/**
 * `maxMessageBytes` default: 16 MiB. Bun's default `maxPayloadLength`, and what
 * the `keel echo` contract asks for; ws allows 100 MiB, uWS 16 KiB.
 */
export const DEFAULT_WS_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/**
 * `maxFramesPerMessage` default: 65 536. Autobahn cases 9.3/9.4 send a 4 MiB
 * message in 64-byte fragments (65 536 frames); browsers and ws send one frame.
 */
export const DEFAULT_WS_MAX_FRAMES_PER_MESSAGE = 65_536;

/** Every WebSocket parser limit at its default. */
export const DEFAULT_WS_LIMITS: Readonly<WebSocketLimits> = Object.freeze({
  maxMessageBytes: DEFAULT_WS_MAX_MESSAGE_BYTES,
  maxFramesPerMessage: DEFAULT_WS_MAX_FRAMES_PER_MESSAGE,
});

/** Options of a `WebSocketParser`. */
export interface WebSocketParserOptions extends Partial<WebSocketLimits> {
  /** 'server' reads client frames (which MUST be masked), 'client' reads server frames (which MUST NOT be, §5.1). */
  role: WebSocketRole;
  /**
   * permessage-deflate was negotiated (RFC 7692): RSV1 is then allowed on the
   * first frame of a data message and marks it compressed (§6). Default false:
   * any RSV bit is a protocol error (RFC 6455 §5.2).
   */
  perMessageDeflate?: boolean;
}

/** The first frame of a data message arrived. */
export interface MessageStartEvent {
  readonly type: 'message-start';
  /** Opcode of the first frame: text (1) or binary (2). */
  readonly kind: 'text' | 'binary';
  /** RSV1 was set (permessage-deflate): the data events carry compressed bytes, and UTF-8 is checked only after inflating. */
  readonly compressed: boolean;
}

/** Payload bytes of the current message, unmasked. A view of the input: do not keep it past the next receive() if you reuse the input. */
export interface MessageDataEvent {
  readonly type: 'message-data';
  readonly data: Buffer;
}

/** The final frame of the message ended (text was complete UTF-8 when not compressed). */
export interface MessageEndEvent {
  readonly type: 'message-end';
}

/** A Ping (§5.5.2): answer with a Pong carrying the same data. */
export interface PingEvent {
  readonly type: 'ping';
  readonly data: Buffer;
}

/** A Pong (§5.5.3), solicited or not. */
export interface PongEvent {
  readonly type: 'pong';
  readonly data: Buffer;
}

/** A Close frame (§5.5.1): the code (1005 when it carried none, §7.1.5) and the reason, valid UTF-8. */
export interface CloseEvent {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
}

export type WebSocketEvent = MessageStartEvent | MessageDataEvent | MessageEndEvent | PingEvent | PongEvent | CloseEvent;

/** The header of the last frame read, for inspectors and logs (the demo's wire view). */
export interface FrameHeader {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payloadLength: number;
}

/**
 * True for a close code an endpoint may send (RFC 6455 §7.4.1, §7.4.2):
 * 1000-1003, 1007-1014 and 3000-4999. 1004 is reserved, 1005, 1006 and 1015
 * must never be on the wire, other values below 3000 are unassigned. 1012-1014
 * (service restart, try again later, bad gateway) are registered in the IANA
 * registry of §11.7 and sent by real servers, so they are accepted.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

type State = 'header' | 'data' | 'control' | 'end' | 'closed' | 'error';

const EMPTY = Buffer.alloc(0);
const MESSAGE_END: MessageEndEvent = Object.freeze({ type: 'message-end' });
const STARTS: Record<string, MessageStartEvent> = {
  text: Object.freeze({ type: 'message-start', kind: 'text', compressed: false }),
  textz: Object.freeze({ type: 'message-start', kind: 'text', compressed: true }),
  binary: Object.freeze({ type: 'message-start', kind: 'binary', compressed: false }),
  binaryz: Object.freeze({ type: 'message-start', kind: 'binary', compressed: true }),
};
/** Largest frame header: 2 bytes, 8 of extended length, 4 of masking key (§5.2). */
const MAX_HEADER_BYTES = 14;
const FIN = 0x80;
const RSV1 = 0x40;
const RSV2_RSV3 = 0x30;
const MASK = 0x80;
/** 2^32, to assemble a 64-bit length from two 32-bit halves. */
const TWO_POW_32 = 0x1_0000_0000;

/** Incremental WebSocket frame parser: bytes in, message and control events out. */
export class WebSocketParser {
  readonly #maxMessageBytes: number;
  readonly #maxFrames: number;
  readonly #isServer: boolean;
  readonly #allowRsv1: boolean;
  /** Unconsumed input is #buf[#pos, #buf.length). */
  #buf: Buffer = EMPTY;
  #pos = 0;
  #state: State = 'header';
  #error: WebSocketError | null = null;
  /** A frame header split across inputs is assembled here; #scratchLen bytes are used. Also holds a split control payload. */
  readonly #scratch = Buffer.allocUnsafe(MAX_HEADER_BYTES + MAX_CONTROL_PAYLOAD_BYTES);
  #scratchLen = 0;
  /** The current header's first two bytes were checked (they are checked once, as soon as they arrive). */
  #isChecked = false;
  // The current frame.
  #fin = false;
  #rsv1 = false;
  #opcode = 0;
  #masked = false;
  #length = 0;
  readonly #key = new Uint8Array(4);
  /** Payload bytes of the current frame still to come, and the masking key position of the next one. */
  #remaining = 0;
  #keyPos = 0;
  // The current data message.
  #inMessage = false;
  #isText = false;
  #isCompressed = false;
  #messageBytes = 0;
  #frames = 0;
  readonly #utf8 = new Utf8Validator();

  constructor(options: WebSocketParserOptions) {
    this.#isServer = options.role === 'server';
    this.#allowRsv1 = options.perMessageDeflate === true;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_WS_MAX_MESSAGE_BYTES;
    this.#maxFrames = options.maxFramesPerMessage ?? DEFAULT_WS_MAX_FRAMES_PER_MESSAGE;
  }

  /** 'header' between frames, 'data'/'control' inside one, 'closed' after a Close frame, 'error' once dead. */
  get state(): State {
    return this.#state;
  }

  /** True between messages with no byte of a next frame received (a caller tells idle from mid-message with it). */
  get isIdle(): boolean {
    return this.#state === 'header' && !this.#inMessage && this.#scratchLen === 0 && this.#pos === this.#buf.length;
  }

  /** The header of the frame read last (or being read), for inspectors. */
  get lastFrame(): FrameHeader {
    return { fin: this.#fin, rsv1: this.#rsv1, opcode: this.#opcode, masked: this.#masked, payloadLength: this.#length };
  }

  /**
   * Hands bytes to the parser. It takes ownership: masked payloads are
   * unmasked in place, and data events are views of these bytes.
   * Pass a copy if the bytes must stay as they were.
   */
  receive(data: Uint8Array): void {
    if (data.length === 0 || this.#state === 'error' || this.#state === 'closed') return;
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    if (this.#pos < this.#buf.length) {
      // Unconsumed bytes are only ever left when nextEvent() was not drained; keep them (one copy).
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), chunk]);
    } else {
      this.#buf = chunk;
    }
    this.#pos = 0;
  }

  /** The next event, or WS_NEED_DATA. Throws a WebSocketError on invalid input (and for ever after). */
  nextEvent(): WebSocketEvent | typeof WS_NEED_DATA {
    try {
      for (;;) {
        switch (this.#state) {
          case 'header': {
            const ev = this.#header();
            if (ev === null) continue; // a continuation frame's header: nothing to report yet
            return ev;
          }
          case 'data': {
            const ev = this.#data();
            if (ev === null) continue;
            return ev;
          }
          case 'control':
            return this.#control();
          case 'end':
            this.#state = 'header';
            this.#inMessage = false;
            return MESSAGE_END;
          case 'closed':
            return WS_NEED_DATA;
          case 'error':
            throw this.#error!;
        }
      }
    } catch (err) {
      if (err instanceof WebSocketError) {
        this.#state = 'error';
        this.#error = err;
        this.#buf = EMPTY;
        this.#pos = 0;
      }
      throw err;
    }
  }

  // ---- frame header -------------------------------------------------------

  /**
   * Reads a frame header. Returns the message-start event for the first frame
   * of a data message, null for a header that needs no event, or NEED_DATA.
   */
  #header(): MessageStartEvent | typeof WS_NEED_DATA | null {
    let src = this.#buf;
    let at = this.#pos;
    if (this.#scratchLen === 0 && src.length - at >= 2) {
      // The usual case: the header's first bytes are in the input. Check what they decide now
      // (fail fast), then wait for the rest of the header if it is not all there.
      if (!this.#isChecked) this.#checkFirstBytes(src[at], src[at + 1]);
      if (src.length - at < headerBytes(src[at + 1])) return this.#stash(src.length - at);
    } else {
      // A header split across inputs: assemble it in the scratch buffer.
      const scratch = this.#scratch;
      if (this.#fill(2) < 2) return WS_NEED_DATA;
      if (!this.#isChecked) this.#checkFirstBytes(scratch[0], scratch[1]);
      const need = headerBytes(scratch[1]);
      if (this.#fill(need) < need) return WS_NEED_DATA;
      src = scratch;
      at = 0;
      this.#scratchLen = 0;
    }
    this.#isChecked = false;
    const b0 = src[at];
    let length = src[at + 1] & 0x7f;
    at += 2;
    if (length === 126) {
      length = (src[at] << 8) | src[at + 1];
      at += 2;
      // §5.2: "the minimal number of bytes MUST be used to encode the length". A longer
      // encoding is a sender bug; refusing it keeps one encoding per frame (see docs/websocket.md).
      if (length < 126) throw new WebSocketProtocolError('16-bit length used for a length under 126', 'ERR_WS_NON_MINIMAL_LENGTH');
    } else if (length === 127) {
      const hi = src.readUInt32BE(at);
      const lo = src.readUInt32BE(at + 4);
      at += 8;
      // §5.2: "the most significant bit MUST be 0".
      if (hi >= 0x8000_0000) throw new WebSocketProtocolError('64-bit length with the most significant bit set', 'ERR_WS_INVALID_LENGTH');
      if (hi === 0 && lo < 0x1_0000) throw new WebSocketProtocolError('64-bit length used for a length under 65536', 'ERR_WS_NON_MINIMAL_LENGTH');
      // Past 2^53 a JS number is not exact; any limit is far below, so it is simply too big.
      length = hi >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : hi * TWO_POW_32 + lo;
    }
    this.#length = length;
    const opcode = b0 & 0x0f;
    const isControl = opcode >= OPCODE_CLOSE;
    if (!isControl && length > this.#maxMessageBytes - this.#messageBytes) {
      throw new WebSocketMessageTooBigError(`message exceeds ${this.#maxMessageBytes} bytes`);
    }
    if (this.#masked) {
      const key = this.#key;
      key[0] = src[at];
      key[1] = src[at + 1];
      key[2] = src[at + 2];
      key[3] = src[at + 3];
      at += 4;
    }
    if (src === this.#buf) this.#pos = at;
    this.#remaining = length;
    this.#keyPos = 0;
    if (isControl) {
      this.#state = 'control';
      return null;
    }
    this.#messageBytes += length;
    this.#state = 'data';
    if (opcode === OPCODE_CONTINUATION) return null;
    this.#inMessage = true;
    this.#isText = opcode === OPCODE_TEXT;
    this.#isCompressed = this.#rsv1;
    this.#utf8.reset();
    return STARTS[(this.#isText ? 'text' : 'binary') + (this.#isCompressed ? 'z' : '')];
  }

  /**
   * The rules the first two bytes decide (§5.2, §5.4, §5.5), checked as soon
   * as they are there. Records FIN, RSV1, opcode and the mask bit.
   */
  #checkFirstBytes(b0: number, b1: number): void {
    const opcode = b0 & 0x0f;
    const fin = (b0 & FIN) !== 0;
    const rsv1 = (b0 & RSV1) !== 0;
    const masked = (b1 & MASK) !== 0;
    this.#fin = fin;
    this.#rsv1 = rsv1;
    this.#opcode = opcode;
    this.#masked = masked;
    this.#length = 0;
    this.#isChecked = true;
    const isControl = opcode >= OPCODE_CLOSE;
    // §5.2: opcodes 3-7 and 0xB-0xF are reserved; "MUST _Fail the WebSocket Connection_".
    if (opcode > OPCODE_BINARY && opcode !== OPCODE_CLOSE && opcode !== OPCODE_PING && opcode !== OPCODE_PONG) {
      throw new WebSocketProtocolError(`reserved opcode ${opcode}`, 'ERR_WS_RESERVED_OPCODE');
    }
    // §5.2: RSV bits MUST be 0 unless an extension defines them. permessage-deflate defines
    // RSV1 on the first frame of a data message only (RFC 7692 §6.1: not on continuations, not on control frames).
    if ((b0 & RSV2_RSV3) !== 0) throw new WebSocketProtocolError('RSV2 or RSV3 set without an extension', 'ERR_WS_RSV_BITS');
    if (rsv1 && (!this.#allowRsv1 || isControl || opcode === OPCODE_CONTINUATION)) {
      throw new WebSocketProtocolError('RSV1 set where no extension allows it', 'ERR_WS_RSV_BITS');
    }
    // §5.1: a server MUST close on an unmasked client frame; a client on a masked server frame.
    if (masked !== this.#isServer) {
      throw this.#isServer
        ? new WebSocketProtocolError('client frame not masked', 'ERR_WS_UNMASKED_FRAME')
        : new WebSocketProtocolError('server frame masked', 'ERR_WS_MASKED_FRAME');
    }
    if (isControl) {
      // §5.5: control frames are at most 125 bytes and MUST NOT be fragmented.
      if (!fin) throw new WebSocketProtocolError('fragmented control frame', 'ERR_WS_FRAGMENTED_CONTROL');
      if ((b1 & 0x7f) > MAX_CONTROL_PAYLOAD_BYTES) throw new WebSocketProtocolError('control frame payload over 125 bytes', 'ERR_WS_CONTROL_TOO_LONG');
      return;
    }
    // §5.4: a continuation only inside a fragmented message; a new text/binary frame only between messages.
    if (opcode === OPCODE_CONTINUATION) {
      if (!this.#inMessage) throw new WebSocketProtocolError('continuation frame without a message to continue', 'ERR_WS_UNEXPECTED_CONTINUATION');
      this.#frames++;
    } else {
      if (this.#inMessage) throw new WebSocketProtocolError('new data frame inside a fragmented message', 'ERR_WS_EXPECTED_CONTINUATION');
      // The message starts here; a new one resets the counters (the previous one ended with FIN).
      this.#frames = 1;
      this.#messageBytes = 0;
    }
    if (this.#frames > this.#maxFrames) {
      throw new WebSocketMessageTooBigError(`message exceeds ${this.#maxFrames} frames`, 'ERR_WS_TOO_MANY_FRAMES');
    }
  }

  /** Copies the `n` available bytes into the scratch buffer and asks for more. */
  #stash(n: number): typeof WS_NEED_DATA {
    this.#scratch.set(this.#buf.subarray(this.#pos, this.#pos + n), 0);
    this.#scratchLen = n;
    this.#pos += n;
    return WS_NEED_DATA;
  }

  /** Moves input bytes into the scratch buffer until it holds `want`; returns how many it holds. */
  #fill(want: number): number {
    const n = Math.min(want - this.#scratchLen, this.#buf.length - this.#pos);
    if (n > 0) {
      this.#scratch.set(this.#buf.subarray(this.#pos, this.#pos + n), this.#scratchLen);
      this.#scratchLen += n;
      this.#pos += n;
    }
    return this.#scratchLen;
  }

  // ---- payloads -----------------------------------------------------------

  /** Delivers the available part of a data frame's payload; ends the frame (and the message on FIN). */
  #data(): MessageDataEvent | typeof WS_NEED_DATA | null {
    if (this.#remaining === 0) {
      // The frame is done. §5.6 / §8.1: a text message must end on a whole code point.
      if (this.#fin) {
        if (this.#isText && !this.#isCompressed && !this.#utf8.isComplete) {
          throw new WebSocketInvalidDataError('text message ends inside a UTF-8 sequence');
        }
        this.#state = 'end';
      } else {
        this.#state = 'header';
      }
      return null;
    }
    const buf = this.#buf;
    const start = this.#pos;
    const n = Math.min(this.#remaining, buf.length - start);
    if (n === 0) return WS_NEED_DATA;
    const end = start + n;
    if (this.#masked) this.#keyPos = applyMask(buf, start, end, this.#key, this.#keyPos);
    // §8.1: fail as soon as invalid UTF-8 is seen, even mid-frame (compressed text is checked once inflated).
    if (this.#isText && !this.#isCompressed && !this.#utf8.write(buf, start, end)) {
      throw new WebSocketInvalidDataError('text message is not valid UTF-8');
    }
    this.#pos = end;
    this.#remaining -= n;
    return { type: 'message-data', data: buf.subarray(start, end) };
  }

  /** Collects a control frame's payload (at most 125 bytes) and turns it into its event. */
  #control(): PingEvent | PongEvent | CloseEvent | typeof WS_NEED_DATA {
    const length = this.#length;
    let payload: Buffer;
    if (this.#scratchLen === 0 && this.#buf.length - this.#pos >= length) {
      payload = this.#buf.subarray(this.#pos, this.#pos + length);
      this.#pos += length;
    } else {
      if (this.#fill(length) < length) return WS_NEED_DATA;
      // Copied out of the scratch buffer: the event may outlive the next frame's header.
      payload = Buffer.from(this.#scratch.subarray(0, length));
      this.#scratchLen = 0;
    }
    if (this.#masked) applyMask(payload, 0, length, this.#key, 0);
    this.#state = 'header';
    switch (this.#opcode) {
      case OPCODE_PING:
        return { type: 'ping', data: payload };
      case OPCODE_PONG:
        return { type: 'pong', data: payload };
      default:
        this.#state = 'closed';
        this.#buf = EMPTY;
        this.#pos = 0;
        return parseClosePayload(payload);
    }
  }
}

/** Header size from the second byte: 2, plus 2 or 8 bytes of extended length, plus 4 of masking key. */
function headerBytes(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & MASK) !== 0 ? 4 : 0);
}

/** A Close payload (§5.5.1): empty, or a 2-byte code and a UTF-8 reason. */
function parseClosePayload(payload: Buffer): CloseEvent {
  if (payload.length === 0) return { type: 'close', code: CLOSE_NO_STATUS, reason: '' };
  if (payload.length === 1) throw new WebSocketProtocolError('close payload of one byte', 'ERR_WS_INVALID_CLOSE_PAYLOAD');
  const code = (payload[0] << 8) | payload[1];
  // §7.4: 1005, 1006, 1015 and unassigned codes MUST NOT be sent; receiving one is a protocol error.
  if (!isValidCloseCode(code)) throw new WebSocketProtocolError(`invalid close code ${code}`, 'ERR_WS_INVALID_CLOSE_CODE');
  const v = new Utf8Validator();
  // §5.5.1: the reason "is not guaranteed to be human readable" but is UTF-8; §8.1 applies.
  if (!v.write(payload, 2) || !v.isComplete) throw new WebSocketInvalidDataError('close reason is not valid UTF-8', 'ERR_WS_INVALID_CLOSE_REASON');
  return { type: 'close', code, reason: payload.toString('utf8', 2) };
}
