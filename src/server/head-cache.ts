/**
 * ResponseHeadCache: the last response head a server built, reused when the next one is equal.
 *
 * Owns one entry: the head text and what it was built from (status line, the handler's fields,
 * Date, framing and Connection lines). Consecutive responses often share all of it (same
 * handler, same Date second, same length), and then the same string is sent again instead of
 * being concatenated anew: no allocation, and a string already flattened by its first reuse.
 *
 * One per Server (issue #14 item 3): it was a module-level object, shared by every server of
 * the process, so one server's heads (fields a handler may have copied from a request) stayed
 * alive in another's. Its bound is its size: one head. It must not touch sockets or decide
 * framing (response.ts does); it only concatenates what it is given.
 */
import { Buffer } from 'node:buffer';
import type { HeaderMap } from '../wire/header-map.js';

/** The last head built by one server, and what it was built from. */
export class ResponseHeadCache {
  #status = '';
  #date = '';
  #framing = '';
  #connection = '';
  #fields: string[] = [];
  #text = '';
  /** The text was flattened (one sequential copy) on its first reuse. */
  #isFlat = false;

  /** Status line, the handler's fields, then the server's (Date, framing, Connection), then CRLF. */
  build(status: string, h: HeaderMap | undefined, date: string, framing: string, connection: string): string {
    if (
      status === this.#status && date === this.#date && framing === this.#framing && connection === this.#connection &&
      (h === undefined ? this.#fields.length === 0 : h.hasFields(this.#fields))
    ) {
      if (!this.#isFlat) {
        // Reused at least once: made flat now. A concatenation is a tree of pieces that every
        // socket write walks again; one sequential copy is written with a single memcpy.
        // (Not on a miss: a server whose heads always differ would pay for nothing.)
        this.#text = Buffer.from(this.#text, 'latin1').toString('latin1');
        this.#isFlat = true;
      }
      return this.#text;
    }
    this.#status = status;
    this.#date = date;
    this.#framing = framing;
    this.#connection = connection;
    this.#fields = h === undefined ? [] : h.copyFields();
    this.#isFlat = false;
    return (this.#text = `${h === undefined ? status : h.serializeInto(status)}${date}${framing}${connection}\r\n`);
  }
}
