/**
 * The request parser's memory of the previous request's field section.
 *
 * A client sends the same fields on every request of a keep-alive connection.
 * This owns what the request parser (parser.ts) keeps between two requests so
 * that a section repeated byte for byte is not parsed again: the section's
 * text, a private copy of its field lines, and the facts the parser drew from
 * them (`SectionFacts`). One entry point, `repeatEnd()`, says whether the
 * bytes after a request line repeat it. It must not parse or validate
 * anything: it stores only what parser.ts validated, under the limits of the
 * same parser (which are frozen, so what passed them once still passes), and
 * compares bytes.
 */

/** What a field section says that the request parser acts on. */
export interface SectionFacts {
  /** The Host value ('' when absent): a slice of the head's text. */
  readonly host: string;
  /** Host lines in the section (RFC 9112 §3.2: exactly one on HTTP/1.1). */
  readonly hostCount: number;
  /** Content-Length, or -1 when absent (RFC 9110 §8.6). */
  readonly contentLength: number;
  /** Transfer-Encoding codings in order, lower-cased; null when absent (RFC 9112 §6.1). */
  readonly codings: readonly string[] | null;
  /** The Connection options "close" and "keep-alive" (syntax.ts CONNECTION_* bits, RFC 9112 §9.3). */
  readonly connection: number;
  /** Expect: 100-continue (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
}

/**
 * Longest head whose section is remembered: a browser's is under 1 KiB. The field strings are
 * slices of the head's text, so what is remembered keeps the whole head alive with an idle
 * connection; a longer head is parsed every time instead.
 */
export const MAX_REMEMBERED_HEAD_BYTES = 4096;
/** Sections longer than this are compared as strings (one native slice), shorter ones byte by byte in JS. */
const NATIVE_COMPARE_BYTES = 64;
const CR = 0x0d;
const LF = 0x0a;
const NO_FIELDS: readonly string[] = Object.freeze([]);
const NO_FACTS: SectionFacts = Object.freeze({
  host: '', hostCount: 0, contentLength: -1, codings: null, connection: 0, expectContinue: false,
});

type Latin1 = Buffer & { latin1Slice(start: number, end: number): string };

/** The previous request's field section, its field lines and its facts, or nothing. */
export class RememberedSection {
  /**
   * The section as a latin1 string, from its first field line to the end of its last (the last
   * CRLF excluded); '' when nothing is remembered. A string costs an idle connection less
   * memory than a Buffer of its own.
   */
  #text = '';
  /** A private copy of the field lines: the request's own array may be changed by its handler. */
  #fields: readonly string[] = NO_FIELDS;
  #facts: SectionFacts = NO_FACTS;

  /** The remembered section's facts (meaningful after `repeatEnd()` found a repeat). */
  get facts(): SectionFacts {
    return this.#facts;
  }

  /** The remembered field lines in a new array, which the request owns. */
  copyFields(): string[] {
    return this.#fields.slice();
  }

  /**
   * Remembers the section buf[s, e) just parsed (one field line at least), with its field lines
   * and facts, when its head (`headBytes`, request line included) is at most
   * MAX_REMEMBERED_HEAD_BYTES; else forgets, so the next request is parsed in full.
   */
  remember(buf: Buffer, s: number, e: number, headBytes: number, fields: readonly string[], facts: SectionFacts): void {
    if (headBytes > MAX_REMEMBERED_HEAD_BYTES) return this.forget();
    this.#text = (buf as Latin1).latin1Slice(s, e);
    this.#fields = fields.slice();
    this.#facts = facts;
  }

  /** Forgets what was remembered (a head without fields, or one too long to keep). */
  forget(): void {
    this.#text = '';
    this.#fields = NO_FIELDS;
    this.#facts = NO_FACTS;
  }

  /**
   * When buf from `s` (just after a request line's LF) holds the remembered section, byte for
   * byte, then CRLF CRLF (its last line's end and the empty line), the index of the final LF:
   * the head is complete without locating its lines. Else -1, and the head is parsed in full.
   */
  repeatEnd(buf: Buffer, s: number): number {
    const text = this.#text;
    const len = text.length;
    if (len === 0) return -1;
    const se = s + len;
    if (se + 4 > buf.length || buf[se] !== CR || buf[se + 1] !== LF || buf[se + 2] !== CR || buf[se + 3] !== LF) return -1;
    // A long section: one native slice, then a memcmp-like string compare beat a JS loop.
    if (len > NATIVE_COMPARE_BYTES) return (buf as Latin1).latin1Slice(s, se) === text ? se + 3 : -1;
    for (let i = 0; i < len; i++) if (buf[s + i] !== text.charCodeAt(i)) return -1;
    return se + 3;
  }
}
