/**
 * HeaderMap: the response's header fields, case-insensitive, in insertion order.
 *
 * Owns validation of outgoing field names (token, RFC 9110 §5.1) and values
 * (no CR/LF/NUL: response splitting, RFC 9110 §5.5). A bad name or value
 * throws TypeError at `set` time, so the bug shows where it was written.
 * One flat array, not a Map of objects: responses carry a handful of fields
 * and a linear scan over lower-cased names beats hashing at that size. Names
 * already validated are remembered, with the last value set under each, in
 * one bounded process-wide map (see KNOWN_NAMES for why and what it costs).
 */
import { isFieldValue, isToken, trimOws } from './chars.js';

/**
 * Bits of `HeaderMap#special`: the fields the server reads or sets itself when it
 * frames a response. A map without any of them needs no lookup at all.
 */
export const SPECIAL_DATE = 1;
export const SPECIAL_CONNECTION = 2;
export const SPECIAL_CONTENT_LENGTH = 4;
export const SPECIAL_TRANSFER_ENCODING = 8;

/** The SPECIAL_* bit of a lower-cased field name, or 0. */
function specialBit(lower: string): number {
  switch (lower.length) {
    case 4:
      return lower === 'date' ? SPECIAL_DATE : 0;
    case 10:
      return lower === 'connection' ? SPECIAL_CONNECTION : 0;
    case 14:
      return lower === 'content-length' ? SPECIAL_CONTENT_LENGTH : 0;
    case 17:
      return lower === 'transfer-encoding' ? SPECIAL_TRANSFER_ENCODING : 0;
    default:
      return 0;
  }
}

/** Case-insensitive, order-keeping multimap of header fields. */
export class HeaderMap {
  /** Field lines as triples: name as set, lower-cased name, value. One array, not three. */
  #f: string[] = [];
  #special = 0;

  /** SPECIAL_* bits of the names present (kept up to date by every change). */
  get special(): number {
    return this.#special;
  }

  /** Number of field lines. */
  get size(): number {
    return this.#f.length / 3;
  }

  /** Replaces every field of this name with the given value(s). */
  set(name: string, value: string | number | readonly string[]): this {
    const known = checkName(name);
    const lower = known.lower;
    if (typeof value !== 'object') {
      const v = checkValue(known, name, typeof value === 'string' ? value : String(value));
      this.#remove(lower);
      this.#f.push(name, lower, v);
      this.#special |= specialBit(lower);
      return this;
    }
    // Validate every value before touching the map, so a TypeError leaves it as it was.
    const values = value.map((v) => checkValue(known, name, v));
    this.#remove(lower);
    for (const v of values) this.#f.push(name, lower, v);
    if (values.length > 0) this.#special |= specialBit(lower);
    return this;
  }

  /** Adds one more field line of this name. */
  append(name: string, value: string | number): this {
    const known = checkName(name);
    const lower = known.lower;
    this.#f.push(name, lower, checkValue(known, name, typeof value === 'string' ? value : String(value)));
    this.#special |= specialBit(lower);
    return this;
  }

  /** Values of this name joined with ", " (RFC 9110 §5.3), or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const f = this.#f;
    let out: string | undefined;
    for (let i = 1; i < f.length; i += 3) {
      if (f[i] === lower) out = out === undefined ? f[i + 1] : `${out}, ${f[i + 1]}`;
    }
    return out;
  }

  /** Every value of this name, one per field line. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const f = this.#f;
    const out: string[] = [];
    for (let i = 1; i < f.length; i += 3) if (f[i] === lower) out.push(f[i + 1]);
    return out;
  }

  has(name: string): boolean {
    const lower = name.toLowerCase();
    const f = this.#f;
    for (let i = 1; i < f.length; i += 3) if (f[i] === lower) return true;
    return false;
  }

  /** Removes every field of this name; true when one existed. */
  delete(name: string): boolean {
    return this.#remove(name.toLowerCase());
  }

  /** Field lines as [name, value] in order. */
  *entries(): IterableIterator<[string, string]> {
    const f = this.#f;
    for (let i = 0; i < f.length; i += 3) yield [f[i], f[i + 2]];
  }

  /** Calls fn for each field line with its lower-cased name: the serializer's fast path. */
  forEachRaw(fn: (name: string, lower: string, value: string) => void): void {
    const f = this.#f;
    for (let i = 0; i < f.length; i += 3) fn(f[i], f[i + 1], f[i + 2]);
  }

  /** Whether `fields` (from copyFields) holds exactly this map's field lines, in order. */
  hasFields(fields: readonly string[]): boolean {
    const f = this.#f;
    if (f.length !== fields.length) return false;
    for (let i = 0; i < f.length; i++) if (f[i] !== fields[i]) return false;
    return true;
  }

  /** A copy of the field lines in an opaque form for hasFields. */
  copyFields(): string[] {
    return this.#f.slice();
  }

  /** Appends the field lines as `Name: value\r\n` to `head` and returns it. */
  serializeInto(head: string): string {
    const f = this.#f;
    for (let i = 0; i < f.length; i += 3) head += `${f[i]}: ${f[i + 2]}\r\n`;
    return head;
  }

  #remove(lower: string): boolean {
    const f = this.#f;
    let found = false;
    for (let i = f.length - 2; i >= 1; i -= 3) {
      if (f[i] === lower) {
        f.splice(i - 1, 3);
        found = true;
      }
    }
    if (found) this.#special &= ~specialBit(lower);
    return found;
  }
}

/**
 * What is remembered of a field name a handler set: its lower case, and the last value set
 * under it that passed validation unchanged (no OWS to trim).
 */
interface KnownName {
  readonly lower: string;
  value: string | undefined;
}

/**
 * Names already validated (#14 item 3). A handler sets the same few names on every response,
 * and most names the same value every time (Content-Type, Cache-Control, Vary...): one lookup
 * by name then answers both checks, and a value that changes every time (ETag, Content-Length,
 * Set-Cookie) costs its validation and keeps only itself, until the next one replaces it.
 *
 * Process-wide, and bounded: at most MAX_KNOWN_NAMES names of at most MAX_KNOWN_NAME_LENGTH
 * characters, each with one value of at most MAX_KNOWN_VALUE_LENGTH (about 90 KiB at most,
 * whatever handlers set: names and values may come from input, a CGI script's output or a
 * proxied response). A full map is cleared, not frozen, so the names seen first cannot pin it
 * and a flood of new names costs only validations. The earlier caches kept the first 512 names
 * of any length, and the first 512 short values (ETags, dates, lengths, cookies) forever.
 *
 * Measured (Node 20, taskset -c 0, `new HeaderMap()`, the fields set, then serializeInto; maps
 * per CPU second, variants interleaved in one process): four constant fields, no cache 2.3 M,
 * the earlier name map and value set 4.7-5.0 M, this 5.3-5.5 M; seven fields of a static file
 * (ETag, Last-Modified, Content-Length new each time) 1.26 M, 1.65-1.70 M, 1.9-2.1 M. Heap left
 * after 5000 distinct names of 8000 characters: 8.1 MiB with the earlier map, under 0.1 MiB.
 * Not per server: that would need the server to hand a cache to every response, for no gain
 * in these figures (one process rarely runs two servers), and what is kept is already small: a
 * name, and the last value set under it (a cookie stays only until the next Set-Cookie).
 */
const KNOWN_NAMES = new Map<string, KnownName>();
/** Names KNOWN_NAMES holds before it is cleared: an app sets a few dozen. */
const MAX_KNOWN_NAMES = 256;
/** Longest name KNOWN_NAMES keeps (a longer one is validated every time): standard names are under 40. */
const MAX_KNOWN_NAME_LENGTH = 64;
/** Longest value remembered for a name: media types, cache policies, Vary lists fit. */
const MAX_KNOWN_VALUE_LENGTH = 128;

/** The last name set and what is known of it: a handler often sets the same name again. */
let lastName = '';
let lastKnown: KnownName = { lower: '', value: undefined };

/** Validates a field name (a token, RFC 9110 §5.1) and returns what is known of it. */
function checkName(name: string): KnownName {
  if (name === lastName) return lastKnown;
  let known = KNOWN_NAMES.get(name);
  if (known === undefined) {
    if (!isToken(name)) throw new TypeError(`invalid header name: ${JSON.stringify(name)}`);
    known = { lower: name.toLowerCase(), value: undefined };
    if (name.length <= MAX_KNOWN_NAME_LENGTH) {
      if (KNOWN_NAMES.size >= MAX_KNOWN_NAMES) KNOWN_NAMES.clear();
      KNOWN_NAMES.set(name, known);
    }
  }
  lastName = name;
  lastKnown = known;
  return known;
}

/**
 * Validates a field value (RFC 9110 §5.5: no CR, LF, NUL or other control but HTAB) and returns
 * it without leading or trailing whitespace, which is not part of a field value.
 */
function checkValue(known: KnownName, name: string, value: string): string {
  if (value === known.value) return value;
  if (!isFieldValue(value)) throw new TypeError(`invalid value for header ${name}`);
  const trimmed = trimOws(value);
  if (trimmed === value && value.length <= MAX_KNOWN_VALUE_LENGTH) known.value = value;
  return trimmed;
}
