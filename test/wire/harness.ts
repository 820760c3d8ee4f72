/**
 * Test driver for the sans-IO request parser: feeds bytes in pieces and
 * collects a delivery-independent outcome.
 *
 * Owns the one loop every wire test, property and the fuzzer (scripts/fuzz.ts)
 * use to drive `RequestParser`, so "parse this input" means the same thing
 * everywhere (STYLE.md rule 7: whole, byte by byte, split, trailing bytes).
 * It must not import anything but src/wire and node: builtins, and never
 * swallow an exception that is not a `ProtocolError`.
 */
import { NEED_DATA, PAUSED, ProtocolError, RequestParser, type ParserLimits, type RequestEvent } from '../../src/wire/index.js';

/** One request as the parser delivered it: the head, the concatenated body and, once ended, its trailers. */
export interface ParsedRequest {
  readonly method: string;
  readonly target: string;
  readonly version: '1.0' | '1.1';
  readonly rawHeaders: readonly string[];
  readonly bodyKind: RequestEvent['bodyKind'];
  readonly contentLength: number;
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
  readonly host: string;
  /** Body bytes as latin1 (one char per byte). */
  body: string;
  /** Trailers once the `end` event arrived; null while the request is incomplete. */
  trailers: string[] | null;
}

/** Everything a parse produced, independent of how the input was split. */
export interface Outcome {
  readonly requests: ParsedRequest[];
  /** The ProtocolError that stopped parsing, or null. */
  readonly error: { readonly status: number; readonly code: string } | null;
  /** True when bytes of a next (or the current) message were still waiting at the end. */
  readonly pending: boolean;
  /** nextEvent() calls made (bounded: see STEP_BUDGET_*). */
  readonly steps: number;
}

/** Thrown by the driver when the parser made more nextEvent() calls than its input can justify (a loop). */
export class StepBudgetError extends Error {
  constructor(steps: number, bytes: number) {
    super(`parser exceeded its step budget: ${steps} nextEvent() calls for ${bytes} bytes`);
    this.name = 'StepBudgetError';
  }
}

/**
 * Step budget: every event but `end` consumes at least one byte, `end` and
 * PAUSED come once per request, NEED_DATA once per receive(). So calls are
 * bounded by 2 per byte plus 2 per piece, plus a small constant for the
 * error rethrow checks.
 */
const STEP_BUDGET_PER_BYTE = 2;
const STEP_BUDGET_PER_PIECE = 2;
const STEP_BUDGET_BASE = 4;

/**
 * Feeds `pieces` to a fresh parser one receive() at a time, draining events
 * after each, and calls startNextRequest() whenever the parser pauses (as a
 * server does once it has answered). Data views are kept until the end and
 * only then concatenated, which also checks that the parser never overwrites
 * bytes it already handed out.
 */
export function parsePieces(pieces: readonly Uint8Array[], limits?: Partial<ParserLimits>): Outcome {
  const p = new RequestParser(limits);
  const requests: ParsedRequest[] = [];
  const views: Buffer[][] = [];
  let totalBytes = 0;
  for (const piece of pieces) totalBytes += piece.length;
  const budget = STEP_BUDGET_BASE + STEP_BUDGET_PER_BYTE * totalBytes + STEP_BUDGET_PER_PIECE * pieces.length;
  let steps = 0;
  let error: ProtocolError | null = null;
  outer: for (const piece of pieces) {
    p.receive(piece);
    for (;;) {
      if (++steps > budget) throw new StepBudgetError(steps, totalBytes);
      let ev;
      try {
        ev = p.nextEvent();
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        error = err;
        break outer;
      }
      if (ev === NEED_DATA) break;
      if (ev === PAUSED) {
        p.startNextRequest();
        continue;
      }
      if (ev.type === 'request') {
        requests.push({
          method: ev.method,
          target: ev.target,
          version: ev.version,
          rawHeaders: ev.rawHeaders,
          bodyKind: ev.bodyKind,
          contentLength: ev.contentLength,
          keepAlive: ev.keepAlive,
          expectContinue: ev.expectContinue,
          host: ev.host,
          body: '',
          trailers: null,
        });
        views.push([]);
      } else {
        const cur = requests[requests.length - 1];
        if (cur === undefined || cur.trailers !== null) throw new Error(`${ev.type} event outside a request`);
        if (ev.type === 'data') {
          if (ev.data.length === 0) throw new Error('empty data event');
          views[views.length - 1].push(ev.data);
        } else {
          cur.trailers = [...ev.trailers];
        }
      }
    }
  }
  if (error !== null) {
    // A dead parser stays dead: the same error again, and receive() is a no-op (parser.ts header).
    steps++;
    let again: unknown = null;
    try {
      p.nextEvent();
    } catch (err) {
      again = err;
    }
    if (again !== error) throw new Error('a failed parser did not rethrow its error');
    p.receive(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  }
  for (let i = 0; i < requests.length; i++) requests[i].body = Buffer.concat(views[i]).toString('latin1');
  return {
    requests,
    error: error === null ? null : { status: error.status, code: error.code },
    pending: error === null && !p.isIdle,
    steps,
  };
}

/** Input as bytes: strings are latin1 (one byte per char), so tables can write any byte as \xNN. */
export function bytes(input: string | Uint8Array): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input);
}

/** The whole input in one receive(). */
export function whole(input: Buffer): Buffer[] {
  return [input];
}

/** One receive() per byte. */
export function bytewise(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i++) out.push(input.subarray(i, i + 1));
  return out;
}

/** Two receives, cut at `offset`. */
export function splitAt(input: Buffer, offset: number): Buffer[] {
  return [input.subarray(0, offset), input.subarray(offset)];
}

/** Pieces cut at the given sorted offsets. */
export function splitAtAll(input: Buffer, offsets: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    out.push(input.subarray(prev, o));
    prev = o;
  }
  out.push(input.subarray(prev));
  return out;
}

/**
 * The outcome as a comparable string: requests (head, body, trailers), the
 * error and whether bytes were left over. Two deliveries of the same bytes
 * must give the same string.
 */
export function outcomeKey(o: Outcome, withErrorCode = true): string {
  return JSON.stringify({
    requests: o.requests,
    error: o.error === null ? null : withErrorCode ? o.error : true,
    pending: o.pending,
  });
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** field-value after OWS removal (RFC 9110 §5.5): empty, or starts and ends with a visible/obs-text byte. */
const FIELD_VALUE_RE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;
const TARGET_RE = /^[\x21\x22\x24-\x7e]+$/;
const ABSOLUTE_FORM_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** An absolute-form target keel accepts (issue #12): http(s), an authority with a host and no userinfo. */
const ACCEPTED_ABSOLUTE_RE = /^https?:\/\/((?:\[[0-9A-Za-z:.\-_~!$&'()*+,;=]+\]|[0-9A-Za-z\-._~%!$&'()*+,;=]+)(?::[0-9]*)?)(?:[/?]|$)/i;
/**
 * Fields a request must not carry as trailers (RFC 9110 §6.5.1, issue #12), restated here apart
 * from parser.ts so the check stays independent; generators.ts avoids them in valid requests.
 */
export const FORBIDDEN_TRAILER_NAMES: ReadonlySet<string> = new Set([
  'content-length', 'transfer-encoding', 'trailer', 'content-encoding', 'content-type', 'content-range', 'host', 'connection',
  'keep-alive', 'proxy-connection', 'te', 'upgrade', 'max-forwards', 'expect', 'range', 'if-match', 'if-none-match',
  'if-modified-since', 'if-unmodified-since', 'if-range', 'cache-control', 'pragma', 'authorization', 'proxy-authorization', 'cookie',
]);
/** Splits a #list (RFC 9110 §5.6.1) on commas, trimming SP/HTAB only (String#trim would also eat NBSP). */
const listItems = (values: readonly string[]): string[] =>
  values.join(',').split(',').map((c) => c.replace(/^[ \t]+|[ \t]+$/g, '')).filter((c) => c !== '');

/**
 * An independent check of what the parser accepted: returns why `r` should
 * not have been delivered, or null. It restates the rules of docs/wire.md as
 * plain regexes and counts, so a parser bug that lets a bad head through
 * shows up in the properties and the fuzzer even when every delivery agrees.
 */
export function requestViolation(r: ParsedRequest): string | null {
  if (!TOKEN_RE.test(r.method)) return 'method is not a token';
  if (r.method === 'CONNECT') return 'CONNECT accepted';
  if (!TARGET_RE.test(r.target)) return 'target has a forbidden byte';
  const form = r.target.startsWith('/') ? 'origin' : r.target === '*' ? 'asterisk' : ABSOLUTE_FORM_RE.test(r.target) ? 'absolute' : 'other';
  if (form === 'other' || (form === 'asterisk' && r.method !== 'OPTIONS')) return `target form ${form} with ${r.method}`;
  const h = r.rawHeaders;
  if (h.length % 2 !== 0) return 'odd rawHeaders';
  const byName = new Map<string, string[]>();
  for (let i = 0; i < h.length; i += 2) {
    if (!TOKEN_RE.test(h[i])) return `field name ${JSON.stringify(h[i])} is not a token`;
    if (!FIELD_VALUE_RE.test(h[i + 1])) return `field value of ${h[i]} has a forbidden byte or untrimmed OWS`;
    const k = h[i].toLowerCase();
    byName.set(k, [...(byName.get(k) ?? []), h[i + 1]]);
  }
  const hosts = byName.get('host') ?? [];
  if (hosts.length > 1) return 'two Host fields';
  if (r.version === '1.1' && hosts.length === 0) return 'HTTP/1.1 without Host';
  if (r.host !== (hosts[0] ?? '')) return 'host does not match the Host field';
  if (form === 'absolute') {
    // RFC 9112 §3.2.2: the target's authority is the host (a Host naming it in another case may stay).
    const authority = ACCEPTED_ABSOLUTE_RE.exec(r.target)?.[1];
    if (authority === undefined || authority.startsWith(':')) return 'absolute-form target with a scheme, userinfo or host keel refuses';
    if (r.host.toLowerCase() !== authority.toLowerCase()) return 'host is not the absolute-form authority';
  }
  const cls = byName.get('content-length') ?? [];
  const tes = byName.get('transfer-encoding') ?? [];
  if (cls.length > 1) return 'two Content-Length fields';
  if (cls.length === 1 && !/^[0-9]{1,15}$/.test(cls[0])) return 'Content-Length is not 1*DIGIT';
  if (cls.length > 0 && tes.length > 0) return 'Content-Length with Transfer-Encoding';
  if (tes.length > 0) {
    if (r.version === '1.0') return 'Transfer-Encoding in HTTP/1.0';
    const codings = listItems(tes);
    if (codings.length !== 1 || codings[0].toLowerCase() !== 'chunked') return `transfer codings ${JSON.stringify(codings)} accepted`;
    if (r.bodyKind !== 'chunked' || r.contentLength !== -1) return 'chunked framing not reported';
  } else {
    const cl = cls.length === 1 ? Number(cls[0]) : 0;
    if (r.contentLength !== cl) return 'contentLength does not match Content-Length';
    if (r.bodyKind !== (cl > 0 ? 'length' : 'none')) return 'bodyKind does not match Content-Length';
  }
  if (r.trailers !== null) {
    if (r.bodyKind === 'length' && r.body.length !== r.contentLength) return 'body length differs from Content-Length';
    if (r.bodyKind === 'none' && r.body !== '') return 'body without framing';
    if (r.bodyKind !== 'chunked' && r.trailers.length > 0) return 'trailers without chunked';
    for (let i = 0; i < r.trailers.length; i += 2) {
      if (!TOKEN_RE.test(r.trailers[i]) || !FIELD_VALUE_RE.test(r.trailers[i + 1])) return 'invalid trailer field';
      if (FORBIDDEN_TRAILER_NAMES.has(r.trailers[i].toLowerCase())) return `${r.trailers[i]} accepted as a trailer`;
    }
  }
  const expects = byName.get('expect') ?? [];
  if (expects.some((v) => v.toLowerCase() !== '100-continue')) return 'unknown expectation accepted';
  if (r.expectContinue !== (r.version === '1.1' && expects.length > 0 && r.bodyKind !== 'none')) return 'expectContinue is wrong';
  const conn = listItems(byName.get('connection') ?? []).map((t) => t.toLowerCase());
  const keepAlive = r.version === '1.1' ? !conn.includes('close') : conn.includes('keep-alive') && !conn.includes('close');
  if (r.keepAlive !== keepAlive) return 'keepAlive does not match Connection';
  return null;
}
