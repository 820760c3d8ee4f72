/**
 * Incremental UTF-8 validation for WebSocket text (RFC 6455 §5.6, §8.1).
 *
 * Owns the one UTF-8 check of the WebSocket codec: text messages, Close
 * reasons, and (in the server layer) inflated text. It is a small DFA in the
 * manner of Bjoern Hoehrmann's decoder: each byte maps to one of 12 classes,
 * and a (state, class) table gives the next state, so a code point split
 * across frames or reads is simply a state carried over, and an invalid
 * sequence is seen at the first byte that cannot continue it (fail fast:
 * RFC 6455 §8.1 says to fail the connection on invalid data, and Autobahn
 * case 6.4 checks that it happens before the message ends). It decodes no
 * code points, it only validates. The table is derived below from the
 * well-formed sequences of RFC 3629 §4 (Unicode Table 3-7), so overlong forms
 * (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points past
 * U+10FFFF (F4 90.., F5..FF) are rejected. Pure computation: no I/O.
 */

// Byte classes: what a byte may do in a sequence.
const C_ASCII = 0; // 00..7F
const C_TAIL_LO = 1; // 80..8F
const C_TAIL_MID = 2; // 90..9F
const C_TAIL_HI = 3; // A0..BF
const C_NEVER = 4; // C0, C1, F5..FF: never in UTF-8
const C_LEAD2 = 5; // C2..DF
const C_E0 = 6; // E0: next byte A0..BF (no overlong 3-byte forms)
const C_LEAD3 = 7; // E1..EC, EE, EF
const C_ED = 8; // ED: next byte 80..9F (no surrogates)
const C_F0 = 9; // F0: next byte 90..BF (no overlong 4-byte forms)
const C_LEAD4 = 10; // F1..F3
const C_F4 = 11; // F4: next byte 80..8F (nothing past U+10FFFF)
const CLASS_COUNT = 12;

// States, stored pre-multiplied by CLASS_COUNT so a transition is one table index.
const ACCEPT = 0;
const NEED1 = 1 * CLASS_COUNT; // one tail byte left
const NEED2 = 2 * CLASS_COUNT;
const NEED3 = 3 * CLASS_COUNT;
const AFTER_E0 = 4 * CLASS_COUNT;
const AFTER_ED = 5 * CLASS_COUNT;
const AFTER_F0 = 6 * CLASS_COUNT;
const AFTER_F4 = 7 * CLASS_COUNT;
const REJECT = 8 * CLASS_COUNT;
const STATE_COUNT = 9;

const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    t[b] =
      b < 0x80 ? C_ASCII
      : b < 0x90 ? C_TAIL_LO
      : b < 0xa0 ? C_TAIL_MID
      : b < 0xc0 ? C_TAIL_HI
      : b < 0xc2 ? C_NEVER
      : b < 0xe0 ? C_LEAD2
      : b === 0xe0 ? C_E0
      : b === 0xed ? C_ED
      : b < 0xf0 ? C_LEAD3
      : b === 0xf0 ? C_F0
      : b < 0xf4 ? C_LEAD4
      : b === 0xf4 ? C_F4
      : C_NEVER;
  }
  return t;
})();

const NEXT: Uint8Array = (() => {
  const t = new Uint8Array(STATE_COUNT * CLASS_COUNT).fill(REJECT);
  const on = (state: number, classes: number[], next: number): void => {
    for (const c of classes) t[state + c] = next;
  };
  const ANY_TAIL = [C_TAIL_LO, C_TAIL_MID, C_TAIL_HI];
  on(ACCEPT, [C_ASCII], ACCEPT);
  on(ACCEPT, [C_LEAD2], NEED1);
  on(ACCEPT, [C_E0], AFTER_E0);
  on(ACCEPT, [C_LEAD3], NEED2);
  on(ACCEPT, [C_ED], AFTER_ED);
  on(ACCEPT, [C_F0], AFTER_F0);
  on(ACCEPT, [C_LEAD4], NEED3);
  on(ACCEPT, [C_F4], AFTER_F4);
  on(NEED1, ANY_TAIL, ACCEPT);
  on(NEED2, ANY_TAIL, NEED1);
  on(NEED3, ANY_TAIL, NEED2);
  on(AFTER_E0, [C_TAIL_HI], NEED1);
  on(AFTER_ED, [C_TAIL_LO, C_TAIL_MID], NEED1);
  on(AFTER_F0, [C_TAIL_MID, C_TAIL_HI], NEED2);
  on(AFTER_F4, [C_TAIL_LO], NEED2);
  return t;
})();

/** Inputs shorter than this are scanned byte by byte: a word view costs more than it saves. */
const WORD_SCAN_MIN_BYTES = 64;
/** The top bit of each byte of a 32-bit word: zero for four ASCII bytes. */
const HIGH_BITS = 0x80808080 | 0;

/** An incremental UTF-8 validator: feed a message's bytes in any pieces, then ask whether it ended on a whole code point. */
export class Utf8Validator {
  #state = ACCEPT;

  /**
   * Feeds `buf[start, end)`. Returns false as soon as the bytes so far cannot
   * be the start of valid UTF-8 (and keeps returning false until `reset()`).
   */
  write(buf: Uint8Array, start = 0, end = buf.length): boolean {
    let state = this.#state;
    let i = start;
    // Long inputs skip ASCII four bytes at a time over the aligned middle of the range.
    let words: Int32Array | null = null;
    let wordsFrom = 0;
    if (end - start >= WORD_SCAN_MIN_BYTES) {
      wordsFrom = start + ((4 - ((buf.byteOffset + start) & 3)) & 3);
      words = new Int32Array(buf.buffer, buf.byteOffset + wordsFrom, (end - wordsFrom) >>> 2);
    }
    while (i < end) {
      // ASCII run between code points: the common case.
      if (state === ACCEPT) {
        if (words !== null) {
          // Byte by byte to the next word boundary, then a word at a time to the first word with a non-ASCII byte.
          while (i < end && buf[i] < 0x80 && (i < wordsFrom || ((i - wordsFrom) & 3) !== 0)) i++;
          if (i < end && buf[i] < 0x80) {
            let w = (i - wordsFrom) >>> 2;
            while (w < words.length && (words[w] & HIGH_BITS) === 0) w++;
            i = wordsFrom + (w << 2);
          }
        }
        while (i < end && buf[i] < 0x80) i++;
        if (i === end) break;
      }
      state = NEXT[state + CLASS[buf[i]]];
      if (state === REJECT) break;
      i++;
    }
    this.#state = state;
    return state !== REJECT;
  }

  /** True when everything written so far is valid UTF-8 that ends on a code point boundary. */
  get isComplete(): boolean {
    return this.#state === ACCEPT;
  }

  /** True once an invalid sequence was seen. */
  get isFailed(): boolean {
    return this.#state === REJECT;
  }

  /** Forgets everything written: ready for the next message. */
  reset(): void {
    this.#state = ACCEPT;
  }
}

/** True when `buf[start, end)` is complete, valid UTF-8 (RFC 3629). */
export function isValidUtf8(buf: Uint8Array, start = 0, end = buf.length): boolean {
  const v = new Utf8Validator();
  return v.write(buf, start, end) && v.isComplete;
}
