/**
 * Random WebSocket inputs for the fuzz test (test/wire/websocket-fuzz.test.ts)
 * and the long fuzzer (scripts/fuzz-websocket.ts).
 *
 * Owns input generation and the independent check of what the parser
 * accepted. Every input is a pure function of (seed, index), so a failure is
 * reproducible from two numbers. Inputs: uniform random bytes, frame-shaped
 * noise (random header fields, lengths near the encoding edges, random masks,
 * payloads with UTF-8 edge bytes), valid streams from the serializer, and
 * mutations of those (bit flips, insertions, deletions, header byte swaps).
 */
import type { WebSocketParserOptions } from '../../src/wire/websocket-frame.js';
import { isValidCloseCode } from '../../src/wire/websocket-frame.js';
import { encodeClose, encodeFragments, encodeMessage, encodePing, encodePong } from '../../src/wire/websocket-serializer.js';
import { randomCuts, Rng } from './generators.js';
import { parseWsPieces, rawFrame, wsOutcomeKey, type WsOutcome } from './websocket-harness.js';

/** Lengths around every encoding edge (§5.2) and the small ones. */
const EDGE_LENGTHS = [0, 1, 2, 3, 4, 5, 124, 125, 126, 127, 128, 255, 256, 65535, 65536];
/** Bytes that matter to UTF-8 validation. */
const UTF8_EDGE = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90];
const TEXTS = ['', 'Hello', 'κόσμε', '𝄞', '€uro', 'a'.repeat(130)];

/** One generated input: its bytes, how the parser is configured, and the splits to compare with whole delivery. */
export interface WsFuzzCase {
  kind: 'random' | 'shaped' | 'valid' | 'mutated';
  input: Buffer;
  options: WebSocketParserOptions;
  cuts: number[][];
}

/** A 32-bit seed for input `index`: inputs are independent, so any one can be rebuilt alone. */
export function caseSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

function randomPayload(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  const edgy = rng.chance(0.5);
  for (let i = 0; i < n; i++) b[i] = edgy ? rng.pick(UTF8_EDGE) : rng.int(256);
  return b;
}

/** A frame with every header field drawn at random, often near the rules' edges. */
function shapedFrame(rng: Rng, masked: boolean): Buffer {
  const opcode = rng.chance(0.85) ? rng.pick([0, 1, 2, 8, 9, 10]) : rng.int(16);
  const len = rng.chance(0.8) ? rng.pick(EDGE_LENGTHS.filter((l) => l < 300)) : rng.int(300);
  let payload = randomPayload(rng, len);
  if (opcode === 8 && rng.chance(0.7) && len >= 2) payload.writeUInt16BE(rng.pick([1000, 1005, 1006, 1015, 999, 3000, 4999, 5000, 1012, rng.int(65536)]), 0);
  if (opcode === 1 && rng.chance(0.5)) payload = Buffer.from(rng.pick(TEXTS), 'utf8');
  return rawFrame({
    opcode,
    payload,
    fin: rng.chance(0.75),
    rsv: rng.chance(0.85) ? 0 : rng.int(8),
    mask: masked === rng.chance(0.95) ? Uint8Array.of(rng.int(256), rng.int(256), rng.int(256), rng.int(256)) : null,
    lengthBits: rng.chance(0.9) ? undefined : rng.pick([7, 16, 64] as const),
    length: rng.chance(0.05) ? BigInt(rng.int(2 ** 31)) * BigInt(rng.pick([1, 2 ** 16, 2 ** 32])) : undefined,
  });
}

/** A valid stream for the role's peer: messages, fragments, interleaved control frames, maybe a close. */
function validStream(rng: Rng, writerRole: 'client' | 'server'): Buffer {
  const frames: Buffer[] = [];
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const o = { role: writerRole };
    if (r < 0.4) {
      const kind = rng.chance(0.5) ? 'text' : 'binary';
      const data = kind === 'text' ? rng.pick(TEXTS) : randomPayload(rng, rng.pick(EDGE_LENGTHS.filter((l) => l < 1000)));
      const fr = rng.chance(0.5) ? [encodeMessage(kind, data, o)] : encodeFragments(kind, data, rng.range(1, 8), o);
      if (fr.length > 1 && rng.chance(0.5)) fr.splice(1, 0, encodePing(randomPayload(rng, rng.int(10)), o));
      frames.push(...fr);
    } else if (r < 0.6) frames.push(encodePing(randomPayload(rng, rng.int(126)), o));
    else if (r < 0.8) frames.push(encodePong(randomPayload(rng, rng.int(126)), o));
  }
  if (rng.chance(0.3)) frames.push(rng.chance(0.5) ? encodeClose(1000, 'bye', { role: writerRole }) : encodeClose(undefined, '', { role: writerRole }));
  return Buffer.concat(frames);
}

function mutate(rng: Rng, b: Buffer): Buffer {
  const at = rng.int(b.length + 1);
  switch (rng.int(6)) {
    case 0: {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[rng.int(c.length)] ^= 1 << rng.int(8);
      return c;
    }
    case 1:
      return Buffer.concat([b.subarray(0, at), Buffer.from([rng.int(256)]), b.subarray(at)]);
    case 2:
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.range(1, 6)))]);
    case 3: {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[rng.int(Math.min(2, c.length))] = rng.int(256); // the first header bytes: opcode, flags, length
      return c;
    }
    case 4:
      return Buffer.concat([b.subarray(0, at), shapedFrame(rng, rng.chance(0.5)), b.subarray(at)]);
    default:
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.max(0, at - rng.range(1, 16)), at), b.subarray(at)]);
  }
}

/** Input `index` of a run with `seed`. */
export function makeWsCase(seed: number, index: number): WsFuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const role = rng.chance(0.7) ? 'server' : 'client';
  const peer = role === 'server' ? 'client' : 'server';
  const options: WebSocketParserOptions = { role, perMessageDeflate: rng.chance(0.3) };
  if (rng.chance(0.2)) options.maxMessageBytes = rng.range(0, 300);
  if (rng.chance(0.2)) options.maxFramesPerMessage = rng.range(1, 4);
  const r = rng.next();
  let kind: WsFuzzCase['kind'];
  let input: Buffer;
  if (r < 0.1) {
    kind = 'random';
    input = randomPayload(rng, rng.range(0, 200));
  } else if (r < 0.4) {
    kind = 'shaped';
    input = Buffer.concat(Array.from({ length: rng.range(1, 4) }, () => shapedFrame(rng, role === 'server')));
  } else if (r < 0.6) {
    kind = 'valid';
    input = validStream(rng, peer);
  } else {
    kind = 'mutated';
    input = rng.chance(0.5) ? validStream(rng, peer) : shapedFrame(rng, role === 'server');
    for (let i = rng.range(1, 4); i > 0; i--) input = mutate(rng, input);
  }
  return { kind, input, options, cuts: [randomCuts(rng, input.length, 6), randomCuts(rng, input.length, 1)] };
}

/**
 * An independent check of an outcome: returns why it should not have been
 * accepted, or null. Restates the rules as plain checks on the records (the
 * harness itself checks accepted text with a fatal TextDecoder).
 */
export function wsViolation(o: WsOutcome, options: WebSocketParserOptions): string | null {
  for (const r of o.records) {
    const colon = r.indexOf(':');
    const kind = r.slice(0, colon);
    const rest = r.slice(colon + 1);
    if (kind === 'close') {
      const code = Number(rest.slice(0, rest.indexOf(':')));
      if (code !== 1005 && !isValidCloseCode(code)) return `close code ${code} accepted`;
    } else if ((kind === 'text+z' || kind === 'binary+z') && options.perMessageDeflate !== true) {
      return 'compressed message without permessage-deflate';
    } else if ((kind === 'ping' || kind === 'pong') && rest.length > 250) {
      return 'control frame over 125 bytes accepted';
    }
  }
  if (o.state === 'closed' && !o.records.some((r) => r.startsWith('close:'))) return 'closed without a close frame';
  return null;
}

/** Runs one case every way; returns a failure description or null. Throws only what the parser threw that is not a WebSocketError. */
export function checkWsCase(c: WsFuzzCase): string | null {
  const ref = parseWsPieces([c.input], c.options);
  const want = wsOutcomeKey(ref);
  for (const cuts of c.cuts) {
    const pieces: Buffer[] = [];
    let prev = 0;
    for (const cut of cuts) {
      pieces.push(c.input.subarray(prev, cut));
      prev = cut;
    }
    pieces.push(c.input.subarray(prev));
    const got = wsOutcomeKey(parseWsPieces(pieces, c.options));
    if (got !== want) return `split at ${cuts.join(',')} gives ${got}; whole gives ${want}`;
  }
  return wsViolation(ref, c.options);
}
