/**
 * HeaderMap: the response's header fields, case-insensitive, in insertion order.
 *
 * Owns validation of outgoing field names (token, RFC 9110 §5.1) and values
 * (no CR/LF/NUL: response splitting, RFC 9110 §5.5). A bad name or value
 * throws TypeError at `set` time, so the bug shows where it was written.
 * One flat array, not a Map of objects: responses carry a handful of fields
 * and a linear scan over lower-cased names beats hashing at that size.
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
    const lower = checkName(name);
    if (typeof value !== 'object') {
      const v = checkValue(name, typeof value === 'string' ? value : String(value));
      this.#remove(lower);
      this.#f.push(name, lower, v);
      this.#special |= specialBit(lower);
      return this;
    }
    // Validate every value before touching the map, so a TypeError leaves it as it was.
    const values = value.map((v) => checkValue(name, v));
    this.#remove(lower);
    for (const v of values) this.#f.push(name, lower, v);
    if (values.length > 0) this.#special |= specialBit(lower);
    return this;
  }

  /** Adds one more field line of this name. */
  append(name: string, value: string | number): this {
    const lower = checkName(name);
    this.#f.push(name, lower, checkValue(name, typeof value === 'string' ? value : String(value)));
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

/** Names already validated, with their lower-case form: handlers set the same few names on every response. */
const KNOWN_NAMES = new Map<string, string>();
/** Bound on KNOWN_NAMES, so names built from input cannot grow it without limit. */
const MAX_KNOWN_NAMES = 512;

/** The last name checked and its lower case: a handler usually sets the same name again. */
let lastName = 'Content-Type';
let lastLower = 'content-type';

function checkName(name: string): string {
  if (name === lastName) return lastLower;
  const known = KNOWN_NAMES.get(name);
  if (known !== undefined) {
    lastName = name;
    lastLower = known;
    return known;
  }
  if (!isToken(name)) throw new TypeError(`invalid header name: ${JSON.stringify(name)}`);
  const lower = name.toLowerCase();
  if (KNOWN_NAMES.size < MAX_KNOWN_NAMES) KNOWN_NAMES.set(name, lower);
  return lower;
}

/** Short values already validated (content types, cache policies...): the same few on every response. */
const KNOWN_VALUES = new Set<string>();
/** Longest value KNOWN_VALUES remembers, and how many: bounded, since values may come from input. */
const MAX_KNOWN_VALUE_LENGTH = 64;
const MAX_KNOWN_VALUES = 512;

/** The last value that passed unchanged (no OWS to trim): checked again with one compare. */
let lastValue: string | undefined;

function checkValue(name: string, value: string): string {
  if (value === lastValue) return value;
  if (KNOWN_VALUES.has(value)) {
    lastValue = value;
    return value;
  }
  if (!isFieldValue(value)) throw new TypeError(`invalid value for header ${name}`);
  // Leading/trailing whitespace is not part of a field value (RFC 9110 §5.5).
  const trimmed = trimOws(value);
  if (trimmed === value) {
    lastValue = value;
    if (value.length <= MAX_KNOWN_VALUE_LENGTH && KNOWN_VALUES.size < MAX_KNOWN_VALUES) KNOWN_VALUES.add(value);
  }
  return trimmed;
}
