/**
 * The one parser of raw HTTP/1.1 response bytes for tests (issue #14 item 9): splits a
 * response received with `exchange()` (test/helpers/socket.ts) into status, fields and a
 * body de-framed by Content-Length or chunked coding, and hands back the bytes after it
 * (a pipelined next response).
 *
 * Owns reading what a server sent, leniently enough to show a test what went wrong; it
 * is not a conforming client and must not be used to judge framing itself (compare the
 * exact bytes for that). Not a test file itself.
 */

/** One response as received on the wire. */
export interface ParsedResponse {
  /** "HTTP/1.1 200 OK", exactly as received. */
  readonly statusLine: string;
  readonly status: number;
  /** Lower-case name -> values joined with ", " (RFC 9110 §5.3). */
  readonly headers: Readonly<Record<string, string>>;
  /** Field lines in order, names as sent. */
  readonly headerLines: ReadonlyArray<readonly [string, string]>;
  /** The head exactly as received (status line and field lines, without the blank line). */
  readonly head: string;
  /** The content: after chunked decoding, or cut at Content-Length, or everything to the close. */
  readonly body: Buffer;
  /** False when the body is shorter than its framing says (a cut connection). */
  readonly isComplete: boolean;
  /** The bytes after this response (the next pipelined response), empty when none. */
  readonly rest: Buffer;
  /** Every byte given to parseResponse. */
  readonly raw: Buffer;
}

/**
 * Decodes a chunked body (RFC 9112 §7.1): the content, where the message ended, and
 * whether it was complete (a body cut short before its last chunk is returned as is).
 */
function dechunk(data: Buffer): { body: Buffer; end: number; isComplete: boolean } {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', i);
    if (eol < 0) return { body: Buffer.concat(parts), end: data.length, isComplete: false };
    const size = parseInt(data.subarray(i, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(data.subarray(i, eol).toString('latin1'))}`);
    if (size === 0) {
      // Trailer section, then the final CRLF.
      const end = data.indexOf('\r\n\r\n', eol);
      return { body: Buffer.concat(parts), end: end < 0 ? data.length : end + 4, isComplete: end >= 0 };
    }
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    if (eol + 2 + size + 2 > data.length) return { body: Buffer.concat(parts), end: data.length, isComplete: false };
    i = eol + 2 + size + 2;
  }
}

/**
 * Parses the first response in `raw`. `isHead` says the request was HEAD (no content
 * whatever the fields say); 1xx, 204 and 304 never have content (RFC 9112 §6.3).
 */
export function parseResponse(raw: Buffer, options: { isHead?: boolean } = {}): ParsedResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete head in ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const head = raw.subarray(0, end).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  const headerLines: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    headerLines.push([name, value]);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const after = raw.subarray(end + 4);
  const hasNoContent = options.isHead === true || status < 200 || status === 204 || status === 304;
  let body: Buffer;
  let rest: Buffer;
  let isComplete = true;
  if (hasNoContent) {
    body = Buffer.alloc(0);
    rest = after;
  } else if (/(?:^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '')) {
    const d = dechunk(after);
    body = d.body;
    rest = after.subarray(d.end);
    isComplete = d.isComplete;
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    body = after.subarray(0, n);
    rest = after.subarray(n);
    isComplete = body.length === n;
  } else {
    body = after;
    rest = Buffer.alloc(0);
  }
  return { statusLine, status, headers, headerLines, head, body, isComplete, rest, raw };
}

/**
 * Parses every response in `raw` (several on one keep-alive connection), in order, by
 * following `parseResponse().rest`; stops at bytes that hold no complete head.
 */
export function parseResponses(raw: Buffer, options: { isHead?: boolean } = {}): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = raw;
  while (rest.length > 0 && rest.indexOf('\r\n\r\n') >= 0) {
    const one = parseResponse(rest, options);
    out.push(one);
    rest = one.rest;
  }
  return out;
}
