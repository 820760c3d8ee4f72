/**
 * Test driver for the sans-IO WebSocket frame parser: feeds bytes in pieces
 * and collects an outcome that does not depend on how they were split.
 *
 * Owns the one loop the WebSocket tables, properties, ws cross-checks and the
 * fuzzer (scripts/fuzz-websocket.ts) use to drive `WebSocketParser`, so
 * "parse these bytes" means the same everywhere (STYLE.md rule 7). It copies
 * every piece first (the parser unmasks in place), keeps every data view until
 * the end (so a parser that overwrote bytes it had handed out is caught), and
 * never swallows an exception that is not a `WebSocketError`. It also builds
 * raw frames byte by byte, independently of the serializer, so tables can
 * write frames the serializer refuses to make.
 */
import { WebSocketError } from '../../src/wire/websocket-errors.js';
import { WS_NEED_DATA, WebSocketParser, type WebSocketParserOptions } from '../../src/wire/websocket-frame.js';

/** Everything a parse produced, independent of how the input was split. */
export interface WsOutcome {
  /**
   * Completed messages and control frames in arrival order: `text:<utf8>`,
   * `binary:<hex>` (or `binary:<length>:<fnv1a>` past 64 bytes), with `+z`
   * after the kind when compressed, `ping:<hex>`, `pong:<hex>`, `close:<code>:<reason>`.
   * A message still open at the end shows as `open:<kind>` (its bytes so far depend on the split).
   */
  readonly records: string[];
  /** The WebSocketError that stopped parsing, or null. */
  readonly error: { readonly code: string; readonly closeCode: number } | null;
  /** The parser's state at the end ('header', 'data', 'control', 'closed', 'error'). */
  readonly state: string;
  /** True when a frame or message was unfinished at the end (not idle, not closed, no error). */
  readonly pending: boolean;
}

/** Thrown when the parser made more nextEvent() calls than its input can justify. */
export class WsStepBudgetError extends Error {
  constructor(steps: number, bytes: number) {
    super(`WebSocket parser exceeded its step budget: ${steps} nextEvent() calls for ${bytes} bytes`);
    this.name = 'WsStepBudgetError';
  }
}

/** Throws a TypeError (not a WebSocketError: a harness failure) on invalid UTF-8. */
const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });

const hexOrDigest = (b: Buffer): string => (b.length <= 64 ? b.toString('hex') : `${b.length}:${fnv1a(b)}`);

/** FNV-1a over the bytes, as 8 hex digits: a short stand-in for a long payload in a record. */
export function fnv1a(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Feeds `pieces` (copied) one receive() at a time and drains events after
 * each. Every event but message-end consumes a byte or ends a frame of at
 * least 2 bytes, so calls are bounded by 2 per byte plus 2 per piece.
 */
export function parseWsPieces(pieces: readonly Uint8Array[], options: WebSocketParserOptions): WsOutcome {
  const p = new WebSocketParser(options);
  const records: string[] = [];
  let total = 0;
  for (const piece of pieces) total += piece.length;
  const budget = 4 + 2 * total + 2 * pieces.length;
  let steps = 0;
  let open: { kind: string; compressed: boolean; views: Buffer[]; copies: Buffer[] } | null = null;
  let error: WebSocketError | null = null;
  outer: for (const piece of pieces) {
    p.receive(Buffer.from(piece));
    for (;;) {
      if (++steps > budget) throw new WsStepBudgetError(steps, total);
      let ev;
      try {
        ev = p.nextEvent();
      } catch (err) {
        if (!(err instanceof WebSocketError)) throw err;
        error = err;
        break outer;
      }
      if (ev === WS_NEED_DATA) break;
      switch (ev.type) {
        case 'message-start':
          if (open !== null) throw new Error('message-start inside a message');
          open = { kind: ev.kind, compressed: ev.compressed, views: [], copies: [] };
          break;
        case 'message-data':
          if (open === null) throw new Error('message-data outside a message');
          if (ev.data.length === 0) throw new Error('empty message-data event');
          open.views.push(ev.data);
          open.copies.push(Buffer.from(ev.data));
          break;
        case 'message-end': {
          if (open === null) throw new Error('message-end outside a message');
          const data = Buffer.concat(open.views);
          if (!data.equals(Buffer.concat(open.copies))) throw new Error('the parser overwrote bytes it had handed out');
          // An independent check of the parser's UTF-8 rule: the record below would hide it (U+FFFD).
          if (open.kind === 'text' && !open.compressed) FATAL_UTF8.decode(data);
          const kind = open.kind + (open.compressed ? '+z' : '');
          records.push(open.kind === 'text' && !open.compressed ? `${kind}:${data.toString('utf8')}` : `${kind}:${hexOrDigest(data)}`);
          open = null;
          break;
        }
        case 'ping':
        case 'pong':
          records.push(`${ev.type}:${ev.data.toString('hex')}`);
          break;
        case 'close':
          records.push(`close:${ev.code}:${ev.reason}`);
          break;
      }
    }
  }
  if (error !== null) {
    // A dead parser stays dead: the same error again.
    let again: unknown = null;
    try {
      p.nextEvent();
    } catch (err) {
      again = err;
    }
    if (again !== error) throw new Error('a failed WebSocket parser did not rethrow its error');
  }
  if (open !== null) records.push(`open:${open.kind}`);
  return {
    records,
    error: error === null ? null : { code: error.code, closeCode: error.closeCode },
    state: p.state,
    pending: error === null && p.state !== 'closed' && !p.isIdle,
  };
}

/** The outcome as a comparable string. */
export function wsOutcomeKey(o: WsOutcome): string {
  return JSON.stringify(o);
}

/** A raw frame, written byte by byte with no validation (tables use it to make invalid frames). */
export interface RawFrame {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  rsv?: number;
  /** Masking key; null for an unmasked frame. Default a fixed key. */
  mask?: Uint8Array | null;
  /** Force the length encoding: 7, 16 or 64 bits (default minimal). */
  lengthBits?: 7 | 16 | 64;
  /** Write this length instead of the payload's (a lying header). */
  length?: bigint | number;
}

export const TEST_KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

export function rawFrame(f: RawFrame): Buffer {
  const payload = typeof f.payload === 'string' ? Buffer.from(f.payload, 'latin1') : Buffer.from(f.payload ?? []);
  const mask = f.mask === undefined ? TEST_KEY : f.mask;
  const len = BigInt(f.length ?? payload.length);
  const bits = f.lengthBits ?? (len < 126n ? 7 : len < 65536n ? 16 : 64);
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | f.opcode];
  const m = mask === null ? 0 : 0x80;
  if (bits === 7) head.push(m | Number(len));
  else if (bits === 16) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(m | 127);
    for (let s = 56n; s >= 0n; s -= 8n) head.push(Number((len >> s) & 0xffn));
  }
  const body = Buffer.from(payload);
  if (mask !== null) {
    head.push(...mask);
    for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  }
  return Buffer.concat([Buffer.from(head), body]);
}
