/**
 * The guestbook model: validation, writing and paging entries.
 *
 * Owns the rules for what an entry may contain and the SQL that stores and
 * pages entries, on either engine through `Database`. Returns plain data;
 * must not produce HTML (views escape) nor know about requests (controllers
 * turn forms into `EntryInput`).
 */
import type { Database } from '../../db/database.js';

/** Longest name accepted, in characters (code points). */
export const MAX_NAME_CHARS = 60;
/** Longest message accepted, in characters (code points). */
export const MAX_MESSAGE_CHARS = 1000;
/** Entries per page. */
export const DEFAULT_PAGE_SIZE = 10;
/** Highest page number a client may ask for: keeps OFFSET bounded. */
export const MAX_PAGE = 100_000;

/** A stored entry. */
export interface Entry {
  id: number;
  name: string;
  message: string;
  /** Creation time, ms since the epoch. */
  createdMs: number;
}

/** What a visitor submitted, before validation (absent fields are undefined). */
export interface EntryInput {
  name?: string | undefined;
  message?: string | undefined;
}

/** The outcome of `validateEntry`: the cleaned values, or an error per field. */
export type Validation =
  | { ok: true; value: { name: string; message: string } }
  | { ok: false; errors: Partial<Record<'name' | 'message', string>>; value: { name: string; message: string } };

/** One page of entries, newest first. */
export interface EntryPage {
  entries: Entry[];
  /** 1-based page number actually shown (clamped to the last page). */
  page: number;
  /** Number of pages (at least 1). */
  pages: number;
  /** Number of entries in the guestbook. */
  total: number;
}

// C0 controls (except TAB/LF/CR), DEL and C1 controls have no business in a guestbook.
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Validates and normalises a submission: trims, turns CRLF into LF, and checks
 * presence, length and characters. Never throws: bad input yields `errors`.
 */
export function validateEntry(input: EntryInput): Validation {
  const name = (input.name ?? '').trim();
  const message = (input.message ?? '').replace(/\r\n?/g, '\n').trim();
  const errors: Partial<Record<'name' | 'message', string>> = {};
  if (name === '') errors.name = 'Please give a name.';
  else if (charCount(name) > MAX_NAME_CHARS) errors.name = `A name has at most ${MAX_NAME_CHARS} characters.`;
  else if (CONTROL_CHARS.test(name) || name.includes('\n') || name.includes('\t')) errors.name = 'A name is one line of printable text.';
  if (message === '') errors.message = 'Please write a message.';
  else if (charCount(message) > MAX_MESSAGE_CHARS) errors.message = `A message has at most ${MAX_MESSAGE_CHARS} characters.`;
  else if (CONTROL_CHARS.test(message)) errors.message = 'A message is printable text.';
  const value = { name, message };
  return Object.keys(errors).length === 0 ? { ok: true, value } : { ok: false, errors, value };
}

interface EntryRow {
  id: number;
  name: string;
  message: string;
  created_ms: number;
}

function toEntry(row: EntryRow): Entry {
  return { id: Number(row.id), name: row.name, message: row.message, createdMs: Number(row.created_ms) };
}

/** The guestbook's data access, over any `Database`. */
export class Guestbook {
  readonly #db: Database;
  readonly #pageSize: number;

  constructor(db: Database, options: { pageSize?: number } = {}) {
    this.#db = db;
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  /** Stores a validated entry and returns it with its id. */
  async add(value: { name: string; message: string }, nowMs: number = Date.now()): Promise<Entry> {
    const row = await this.#db.get<EntryRow>(
      'INSERT INTO entries (name, message, created_ms) VALUES (?, ?, ?) RETURNING id, name, message, created_ms',
      [value.name, value.message, nowMs],
    );
    return toEntry(row!);
  }

  /** Number of entries. */
  async count(): Promise<number> {
    const row = await this.#db.get<{ n: number }>('SELECT COUNT(*) AS n FROM entries');
    return Number(row?.n ?? 0);
  }

  /** One entry by id, or undefined. */
  async find(id: number): Promise<Entry | undefined> {
    const row = await this.#db.get<EntryRow>('SELECT id, name, message, created_ms FROM entries WHERE id = ?', [id]);
    return row === undefined ? undefined : toEntry(row);
  }

  /**
   * Page `page` (1-based) of entries, newest first. Out-of-range pages are
   * clamped (below 1 -> 1, past the end -> the last page), never an error.
   */
  async page(page: number): Promise<EntryPage> {
    const total = await this.count();
    const pages = Math.max(1, Math.ceil(total / this.#pageSize));
    const shown = Math.min(Math.max(1, Math.floor(Number.isFinite(page) ? page : 1)), pages);
    const rows = await this.#db.all<EntryRow>(
      'SELECT id, name, message, created_ms FROM entries ORDER BY id DESC LIMIT ? OFFSET ?',
      [this.#pageSize, (shown - 1) * this.#pageSize],
    );
    return { entries: rows.map(toEntry), page: shown, pages, total };
  }
}
