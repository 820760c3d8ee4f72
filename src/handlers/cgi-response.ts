/**
 * CGI response parsing: the header block a script writes on stdout (RFC 3875 §6).
 *
 * Owns finding the end of the header block, parsing its field lines, and turning
 * them into a plan: a document response, a local redirect or a client redirect
 * (RFC 3875 §6.2), or the status line and headers of an `nph-` script
 * (RFC 3875 §5). It is pure: bytes and strings in, values out. It must not spawn
 * processes, touch sockets or the response writer, or know about timeouts.
 *
 * Theory of operation: the gateway feeds stdout chunks into a growing buffer and
 * calls {@link findHeaderBlockEnd} until it finds the blank line. The bytes before
 * it are decoded as latin1 (field values are octets, RFC 9110 §5.5) and parsed
 * with {@link parseCgiFieldLines}; {@link planCgiResponse} (or {@link planNphResponse})
 * then decides what the client gets. Anything the RFC does not allow makes a
 * {@link CgiResponseError}, which the gateway answers with 502 Bad Gateway.
 */

/** A script broke the CGI response grammar; the gateway answers 502 and logs `message`. */
export class CgiResponseError extends Error {
  /** Stable code for logs and tests. */
  readonly code = 'ERR_CGI_BAD_RESPONSE';
  /** The status the client gets: the gateway received an invalid response (RFC 9110 §15.6.3). */
  readonly status = 502;
  constructor(message: string) {
    super(message);
    this.name = 'CgiResponseError';
  }
}

/** Where the header block ends in a buffer: header bytes are `[0, headerEnd)`, the body starts at `bodyStart`. */
export interface HeaderBlockEnd {
  /** Index just past the last header line's content (before its line end). */
  readonly headerEnd: number;
  /** Index of the first body byte, just past the blank line. */
  readonly bodyStart: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Finds the blank line that ends a CGI header block.
 *
 * RFC 3875 §6.2 ends every line with NL, which a script may write as LF or CRLF
 * (§3.3: the server must accept both); the block ends at the first empty line.
 * A buffer that starts with a blank line has an empty header block.
 * Returns null when the blank line has not arrived yet.
 *
 * @param buf the stdout bytes received so far
 * @param from an index to resume scanning at (the previous length minus 2 is safe)
 */
export function findHeaderBlockEnd(buf: Uint8Array, from = 0): HeaderBlockEnd | null {
  // An empty first line: no fields at all.
  if (from === 0) {
    if (buf.length >= 1 && buf[0] === LF) return { headerEnd: 0, bodyStart: 1 };
    if (buf.length >= 2 && buf[0] === CR && buf[1] === LF) return { headerEnd: 0, bodyStart: 2 };
  }
  for (let i = Math.max(0, from); i < buf.length; i++) {
    if (buf[i] !== LF) continue;
    // The line that ends at i ended at i, or at i-1 when it was CRLF.
    const lineEnd = i > 0 && buf[i - 1] === CR ? i - 1 : i;
    if (i + 1 < buf.length && buf[i + 1] === LF) return { headerEnd: lineEnd, bodyStart: i + 2 };
    if (i + 2 < buf.length && buf[i + 1] === CR && buf[i + 2] === LF) return { headerEnd: lineEnd, bodyStart: i + 3 };
  }
  return null;
}

/** One header field from a script, name case kept. */
export type CgiField = readonly [name: string, value: string];

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB are not allowed in field values (RFC 9110 §5.5). */
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Parses the field lines of a header block (decoded as latin1, without the blank line).
 *
 * Lines may end in LF or CRLF. A field is `name ":" OWS value OWS` with a token
 * name (RFC 3875 §6.3, RFC 9110 §5.1). Obsolete line folding, a space before the
 * colon, a bare CR or a control character in a value are rejected rather than
 * repaired (RFC 9112 §5.1, §5.2), so a script can never smuggle a header line.
 *
 * @throws CgiResponseError on any malformed line
 */
export function parseCgiFieldLines(block: string): CgiField[] {
  const fields: CgiField[] = [];
  if (block === '') return fields;
  for (const rawLine of block.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      throw new CgiResponseError('obsolete line folding in script header');
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new CgiResponseError('script header line without a field name and colon');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new CgiResponseError('invalid field name in script header');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE_CHAR.test(value)) throw new CgiResponseError('control character in script header value');
    fields.push([name, value]);
  }
  return fields;
}

/**
 * Hop-by-hop and framing fields a script may not set: they describe one
 * connection, which the server owns (RFC 9110 §7.6.1, RFC 3875 §6.3.4: the server
 * must resolve conflicts with its own transport headers).
 */
export const CGI_DROPPED_RESPONSE_FIELDS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** What the gateway does with a script's response. */
export type CgiResponsePlan =
  | {
      /** A document (§6.2.1), a client redirect (§6.2.3) or a client redirect with document (§6.2.4). */
      readonly kind: 'document';
      /** The status code to send. */
      readonly status: number;
      /** Fields to send, in order; hop-by-hop fields, Status and Content-Length removed. */
      readonly fields: readonly CgiField[];
      /** The script's Content-Length when it gave exactly one well-formed value. */
      readonly contentLength: number | undefined;
      /** Why a Content-Length from the script was ignored, for the log. */
      readonly warning?: string;
    }
  | {
      /** A local redirect (§6.2.2): the server serves `location` itself. */
      readonly kind: 'local-redirect';
      /** The local path and query, starting with "/". */
      readonly location: string;
    };

/** `Status: 404 Not Found` (RFC 3875 §6.3.3); the reason phrase is optional in practice. */
const STATUS_VALUE = /^([0-9]{3})(?:[ \t]+.*)?$/;
/** RFC 3986 §3.1 scheme followed by ":": marks an absolute URI (a client redirect, §6.2.3). */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.\-]*:/;
/** RFC 9110 §8.6: Content-Length = 1*DIGIT. */
const DIGITS = /^[0-9]+$/;
/** The lowest final status a script may send: a CGI response cannot be interim (1xx). */
const MIN_FINAL_STATUS = 200;
/** The highest status code RFC 9110 §15 defines a class for. */
const MAX_STATUS = 599;

function parseStatusCode(value: string): number {
  const m = STATUS_VALUE.exec(value);
  if (m === null) throw new CgiResponseError('malformed Status header from script');
  const code = Number(m[1]);
  if (code < MIN_FINAL_STATUS || code > MAX_STATUS) throw new CgiResponseError('Status code from script out of range');
  return code;
}

interface SplitFields {
  status: number | undefined;
  location: string | undefined;
  hasContentType: boolean;
  contentLength: number | undefined;
  warning: string | undefined;
  rest: CgiField[];
}

/** Pulls the CGI control fields out of the list and drops what the script may not send. */
function splitFields(fields: readonly CgiField[], allowStatusField: boolean): SplitFields {
  const out: SplitFields = {
    status: undefined,
    location: undefined,
    hasContentType: false,
    contentLength: undefined,
    warning: undefined,
    rest: [],
  };
  const lengths: string[] = [];
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (lower === 'status' && allowStatusField) {
      // §6.3.3 allows one Status field; two can only mean a confused script.
      if (out.status !== undefined) throw new CgiResponseError('more than one Status header from script');
      out.status = parseStatusCode(value);
      continue;
    }
    if (lower === 'location') {
      if (out.location !== undefined) throw new CgiResponseError('more than one Location header from script');
      out.location = value;
      out.rest.push([name, value]);
      continue;
    }
    if (lower === 'content-type') {
      if (out.hasContentType) throw new CgiResponseError('more than one Content-Type header from script');
      out.hasContentType = true;
    }
    if (lower === 'content-length') {
      lengths.push(value);
      continue;
    }
    if (CGI_DROPPED_RESPONSE_FIELDS.has(lower)) continue;
    out.rest.push([name, value]);
  }
  // A script's Content-Length is honoured only when it is one well-formed value
  // (RFC 9110 §8.6; RFC 9112 §6.3 rejects conflicting lengths). Otherwise it is
  // dropped and the server frames the body itself (chunked, or close for HTTP/1.0).
  if (lengths.length > 0) {
    const distinct = new Set(lengths);
    const [only] = distinct;
    if (distinct.size === 1 && only !== undefined && DIGITS.test(only) && Number.isSafeInteger(Number(only))) {
      out.contentLength = Number(only);
    } else {
      out.warning = 'ignored an invalid or conflicting Content-Length from script';
    }
  }
  return out;
}

/**
 * Decides what a script's header block means (RFC 3875 §6.2).
 *
 * - `Location: /path?query` without Status: a local redirect; the server serves
 *   that resource itself (§6.2.2). With a Status, the script meant a redirect the
 *   client should see, so the Location is sent as is with that status (Apache does
 *   the same).
 * - `Location: scheme:...` (an absolute URI): a client redirect, 302 unless the
 *   script gives a Status (§6.2.3, §6.2.4).
 * - Otherwise a document: Status (default 200) and the other fields (§6.2.1).
 *   A block without any of Content-Type, Status or Location is not a CGI response.
 *
 * @throws CgiResponseError when the block is not a valid CGI response
 */
export function planCgiResponse(fields: readonly CgiField[]): CgiResponsePlan {
  const s = splitFields(fields, true);
  if (s.location !== undefined) {
    const loc = s.location;
    const isLocal = loc.startsWith('/') && !loc.startsWith('//');
    if (isLocal && s.status === undefined) return { kind: 'local-redirect', location: loc };
    if (!isLocal && !ABSOLUTE_URI.test(loc)) {
      throw new CgiResponseError('Location from script is neither a local path nor an absolute URI');
    }
    return document(s.status ?? 302, s);
  }
  if (s.status === undefined && !s.hasContentType) {
    throw new CgiResponseError('script header block has no Content-Type, Status or Location');
  }
  return document(s.status ?? 200, s);
}

function document(status: number, s: SplitFields): CgiResponsePlan {
  const plan = { kind: 'document' as const, status, fields: s.rest, contentLength: s.contentLength };
  return s.warning === undefined ? plan : { ...plan, warning: s.warning };
}

/** `HTTP/1.1 200 OK` (RFC 9112 §4); the reason phrase may be empty. */
const NPH_STATUS_LINE = /^HTTP\/1\.[01] ([0-9]{3})(?: .*)?$/;

/**
 * Parses the head an `nph-` (non-parsed header) script writes itself: a status
 * line, then field lines (RFC 3875 §5).
 *
 * keel does not pass nph output to the socket byte for byte: the server owns the
 * connection's framing and keep-alive. The status line and fields are parsed and
 * re-emitted through the response writer, hop-by-hop fields are dropped, and the
 * body that follows is passed through unchanged. A script that frames its own body
 * (`Transfer-Encoding`) is refused, because re-framing it would corrupt it.
 *
 * @throws CgiResponseError when the head is not a valid HTTP/1.x response head
 */
export function planNphResponse(block: string): CgiResponsePlan & { kind: 'document' } {
  const nl = block.indexOf('\n');
  const firstLine = (nl === -1 ? block : block.slice(0, nl)).replace(/\r$/, '');
  const m = NPH_STATUS_LINE.exec(firstLine);
  if (m === null) throw new CgiResponseError('nph script did not start with an HTTP/1.x status line');
  const status = Number(m[1]);
  if (status < MIN_FINAL_STATUS || status > MAX_STATUS) throw new CgiResponseError('nph status code out of range');
  const fields = parseCgiFieldLines(nl === -1 ? '' : block.slice(nl + 1));
  if (fields.some(([name]) => name.toLowerCase() === 'transfer-encoding')) {
    throw new CgiResponseError('nph script sent Transfer-Encoding; keel frames the body itself');
  }
  const s = splitFields(fields, false);
  return { kind: 'document', status, fields: s.rest, contentLength: s.contentLength, ...(s.warning === undefined ? {} : { warning: s.warning }) };
}
