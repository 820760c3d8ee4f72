/**
 * HeaderMap: the response's header fields, case-insensitive, in insertion order.
 *
 * Owns validation of outgoing field names (token, RFC 9110 §5.1) and values
 * (no CR/LF/NUL: response splitting, RFC 9110 §5.5). A bad name or value
 * throws TypeError at `set` time, so the bug shows where it was written.
 * Parallel arrays, not a Map of objects: responses carry a handful of fields
 * and a linear scan over lower-cased names beats hashing at that size.
 */
import { isFieldValue, isToken, trimOws } from './chars.js';

/** Case-insensitive, order-keeping multimap of header fields. */
export class HeaderMap {
  #names: string[] = [];
  #lower: string[] = [];
  #values: string[] = [];

  /** Number of field lines. */
  get size(): number {
    return this.#names.length;
  }

  /** Replaces every field of this name with the given value(s). */
  set(name: string, value: string | number | readonly string[]): this {
    const lower = checkName(name);
    // Validate every value before touching the map, so a TypeError leaves it as it was.
    const values = typeof value === 'object' ? value.map((v) => checkValue(name, v)) : [checkValue(name, String(value))];
    this.#remove(lower);
    for (const v of values) this.#push(name, lower, v);
    return this;
  }

  /** Adds one more field line of this name. */
  append(name: string, value: string | number): this {
    this.#push(name, checkName(name), checkValue(name, String(value)));
    return this;
  }

  /** Values of this name joined with ", " (RFC 9110 §5.3), or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    let out: string | undefined;
    for (let i = 0; i < this.#lower.length; i++) {
      if (this.#lower[i] === lower) out = out === undefined ? this.#values[i] : `${out}, ${this.#values[i]}`;
    }
    return out;
  }

  /** Every value of this name, one per field line. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#lower.length; i++) if (this.#lower[i] === lower) out.push(this.#values[i]);
    return out;
  }

  has(name: string): boolean {
    return this.#lower.includes(name.toLowerCase());
  }

  /** Removes every field of this name; true when one existed. */
  delete(name: string): boolean {
    return this.#remove(name.toLowerCase());
  }

  /** Field lines as [name, value] in order. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i], this.#values[i]];
  }

  /** Calls fn for each field line with its lower-cased name: the serializer's fast path. */
  forEachRaw(fn: (name: string, lower: string, value: string) => void): void {
    for (let i = 0; i < this.#names.length; i++) fn(this.#names[i], this.#lower[i], this.#values[i]);
  }

  /** Appends the field lines as `Name: value\r\n` to `head` and returns it. */
  serializeInto(head: string): string {
    for (let i = 0; i < this.#names.length; i++) head += `${this.#names[i]}: ${this.#values[i]}\r\n`;
    return head;
  }

  #push(name: string, lower: string, value: string): void {
    this.#names.push(name);
    this.#lower.push(lower);
    this.#values.push(value);
  }

  #remove(lower: string): boolean {
    let found = false;
    for (let i = this.#lower.length - 1; i >= 0; i--) {
      if (this.#lower[i] === lower) {
        this.#names.splice(i, 1);
        this.#lower.splice(i, 1);
        this.#values.splice(i, 1);
        found = true;
      }
    }
    return found;
  }
}

/** Names already validated, with their lower-case form: handlers set the same few names on every response. */
const KNOWN_NAMES = new Map<string, string>();
/** Bound on KNOWN_NAMES, so names built from input cannot grow it without limit. */
const MAX_KNOWN_NAMES = 512;

function checkName(name: string): string {
  const known = KNOWN_NAMES.get(name);
  if (known !== undefined) return known;
  if (!isToken(name)) throw new TypeError(`invalid header name: ${JSON.stringify(name)}`);
  const lower = name.toLowerCase();
  if (KNOWN_NAMES.size < MAX_KNOWN_NAMES) KNOWN_NAMES.set(name, lower);
  return lower;
}

function checkValue(name: string, value: string): string {
  if (!isFieldValue(value)) throw new TypeError(`invalid value for header ${name}`);
  // Leading/trailing whitespace is not part of a field value (RFC 9110 §5.5).
  return trimOws(value);
}
