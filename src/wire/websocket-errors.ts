/**
 * Typed errors of the WebSocket codec (RFC 6455, RFC 7692).
 *
 * Owns every error the frame parser, the UTF-8 validator and the
 * permessage-deflate codec raise on bad input from the peer, each with a
 * stable `code` and the close code to send before closing (RFC 6455 §7.4.1).
 * They do not extend the HTTP `ProtocolError`: that one carries an HTTP
 * `status`, and once a connection has been upgraded nothing may answer it with
 * an HTTP response; the server's one error-to-response function must not be
 * able to mistake one for the other. Must not import anything outside wire/.
 */

/** Close codes the codec sends when it fails a connection (RFC 6455 §7.4.1). */
export type WebSocketFailureCloseCode = 1002 | 1007 | 1009;

/** Base class: the peer broke the protocol; fail the connection with `closeCode` (RFC 6455 §7.1.7). */
export class WebSocketError extends Error {
  /** Stable machine-readable code, e.g. `ERR_WS_UNMASKED_FRAME`. */
  readonly code: string;
  /** The close code to send in the Close frame before closing (1002, 1007 or 1009). */
  readonly closeCode: WebSocketFailureCloseCode;

  constructor(message: string, code: string, closeCode: WebSocketFailureCloseCode) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.closeCode = closeCode;
  }

  /**
   * A reason safe to put in the Close frame: never contains peer bytes. At most
   * 123 bytes, the room a Close payload leaves after its code (RFC 6455 §5.5).
   */
  get publicReason(): string {
    return PUBLIC_REASONS[this.closeCode];
  }
}

const PUBLIC_REASONS: Record<WebSocketFailureCloseCode, string> = {
  1002: 'protocol error',
  1007: 'invalid payload data',
  1009: 'message too big',
};

/** 1002: a framing rule of RFC 6455 §5 was broken (masking, opcode, RSV bits, fragmentation, lengths). */
export class WebSocketProtocolError extends WebSocketError {
  constructor(message: string, code: string) {
    super(message, code, 1002);
  }
}

/** 1007: text that is not UTF-8, a Close reason that is not UTF-8, or a compressed payload that does not inflate (RFC 6455 §8.1). */
export class WebSocketInvalidDataError extends WebSocketError {
  constructor(message: string, code = 'ERR_WS_INVALID_UTF8') {
    super(message, code, 1007);
  }
}

/** 1009: a message over `maxMessageBytes` (on the wire or once inflated), or over `maxFramesPerMessage` frames. */
export class WebSocketMessageTooBigError extends WebSocketError {
  constructor(message: string, code = 'ERR_WS_MESSAGE_TOO_BIG') {
    super(message, code, 1009);
  }
}
