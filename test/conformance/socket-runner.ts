/**
 * keel's own socket-level runner for the conformance case files
 * (test/fixtures/wire/conformance/*.json), written in TypeScript so that every
 * `npm test` sends every case over a real TCP connection without anything
 * beside the repository (issue #13 item 6).
 *
 * Owns: delivering a case's bytes (whole, byte by byte, or in small split
 * pieces), reading and tolerantly parsing what the server answers (several
 * responses, interim 1xx, chunked or length or close framing), deciding when a
 * case is over (the server closed, or the expected responses arrived and the
 * line stayed quiet for `lingerMs`, or `timeoutMs` passed), and judging the
 * outcome against the case's scenarios with the suite's rules (ECHO.md: the
 * echo JSON, rejections, `close`, `no_interim`, response properties, and the
 * app log telling a request the app saw from a response the client got).
 * It follows the case format of ../shared/conformance/run.py (the reference
 * runner, used when present) but is its own code. Must not start servers:
 * the test gives it a host and port. Every socket it opens is destroyed
 * before `runCase` resolves.
 */
import { connect, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR, specBytes, type ByteSpec, type Scenario, type ExpectedResponse } from '../wire/conformance-cases.js';

/** How request bytes are written. */
export type Delivery = 'whole' | 'bytewise' | 'split';

/** One step of a case: bytes to send, a pause, or a wait for responses. */
export interface CaseStep {
  send?: ByteSpec;
  delivery?: Delivery;
  pause_ms?: number;
  sleep_ms?: number;
  shutdown_write?: boolean;
  await?: 'interim' | 'responses';
  count?: number;
  timeout_ms?: number;
  required?: boolean;
  label?: string;
}

/** A case as its file states it. */
export interface SocketCase {
  id: string;
  category: string;
  level: 'must' | 'should';
  description: string;
  request?: ByteSpec;
  steps?: CaseStep[];
  delivery?: Delivery;
  /** Seconds to wait for the responses (default `timeoutMs` of the options). */
  timeout?: number;
  http10?: boolean;
  expect: Scenario[];
}

/** Timing of a run. */
export interface RunOptions {
  host: string;
  port: number;
  delivery: Delivery;
  /** Longest wait for a case's responses, unless the case gives its own `timeout`. */
  timeoutMs: number;
  /** Quiet time after the expected responses before a case on an open connection is judged (catches extra responses). */
  lingerMs: number;
  /** Query the echo app's log (`GET /__echo_log`) to catch requests whose response never arrived. */
  appLog: boolean;
}

/** Default longest wait for a case (run.py's default too). */
export const DEFAULT_CASE_TIMEOUT_MS = 3_000;
/**
 * Default quiet time after the expected responses. An extra response from a
 * mis-framed request arrives within a millisecond or two on loopback; 50 ms is
 * ample and keeps the suite short (run.py waits 300 ms for networks in between).
 */
export const DEFAULT_LINGER_MS = 50;
/** Bytes sent one at a time in bytewise delivery; the rest goes in BYTEWISE_TAIL_CHUNK_BYTES pieces. */
const BYTEWISE_SINGLE_BYTES = 4096;
const BYTEWISE_TAIL_CHUNK_BYTES = 1024;
/** Split delivery: pieces of 1..SPLIT_MAX_PIECE_BYTES bytes; inputs above SPLIT_LARGE_INPUT_BYTES go in SPLIT_LARGE_PIECE_BYTES pieces. */
const SPLIT_MAX_PIECE_BYTES = 9;
const SPLIT_LARGE_INPUT_BYTES = 16 * 1024;
const SPLIT_LARGE_PIECE_BYTES = 4096;
/** Statuses that count as a rejection when a case lists none: 4xx/5xx except 408 (a timeout is mis-framing, not rejection). */
const DEFAULT_REJECT = (s: number): boolean => s >= 400 && s <= 599 && s !== 408;

/** Every case of every file in `dir`, in file order. */
export function loadSocketCases(dir = CONFORMANCE_DIR): SocketCase[] {
  const out: SocketCase[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    out.push(...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: SocketCase[] }).cases);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Reading responses

/** One response as received. Names and values are latin1 strings (one char per byte). */
export interface WireResponse {
  status: number;
  version: string;
  headers: Array<[string, string]>;
  body: Buffer;
  framing: 'none' | 'length' | 'chunked' | 'close';
}

/** What a byte stream from the server holds so far. */
export interface ParsedStream {
  finals: WireResponse[];
  interims: WireResponse[];
  /** The bytes cannot be responses (or were cut short by a close). */
  error: string | undefined;
  /** A response has started but not ended yet. */
  isIncomplete: boolean;
}

const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?:[ \t]([^\r\n]*))?\r?\n/;

function header(r: WireResponse, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function headerAll(r: WireResponse, name: string): string[] {
  return r.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/** Reads a chunked body from `text` at `pos`: the body and where it ends, 'more' when cut short, or an error. */
function readChunked(text: string, pos: number): { body: Buffer; end: number } | 'more' | { error: string } {
  const parts: Buffer[] = [];
  let q = pos;
  for (;;) {
    const nl = text.indexOf('\n', q);
    if (nl === -1) return 'more';
    const sizeText = text.slice(q, nl).replace(/\r$/, '').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { error: `bad chunk size in response: ${JSON.stringify(sizeText)}` };
    const size = parseInt(sizeText, 16);
    q = nl + 1;
    if (size === 0) {
      for (;;) {
        const tl = text.indexOf('\n', q);
        if (tl === -1) return 'more';
        const line = text.slice(q, tl).replace(/\r$/, '');
        q = tl + 1;
        if (line === '') return { body: Buffer.concat(parts), end: q };
      }
    }
    if (text.length < q + size + 1) return 'more';
    parts.push(Buffer.from(text.slice(q, q + size), 'latin1'));
    q += size;
    if (text.startsWith('\r\n', q)) q += 2;
    else if (text[q] === '\n') q += 1;
    else if (text.length < q + 2) return 'more';
    else return { error: 'chunk data not followed by CRLF in response' };
  }
}

/** Parses every response in `buf`; tolerant (it is the client), but never guesses a missing byte. */
export function parseResponses(buf: Buffer, isClosed: boolean): ParsedStream {
  const text = buf.toString('latin1');
  const out: ParsedStream = { finals: [], interims: [], error: undefined, isIncomplete: false };
  let pos = 0;
  while (pos < text.length) {
    const m = STATUS_LINE.exec(text.slice(pos, pos + 1024));
    if (m === null) {
      const rest = text.slice(pos);
      const couldStart = !rest.includes('\n') && rest.length < 256 && (rest.startsWith('HTTP/') || 'HTTP/'.startsWith(rest));
      if (couldStart && !isClosed) out.isIncomplete = true;
      else out.error = `unparseable response bytes at offset ${pos}: ${JSON.stringify(rest.slice(0, 60))}`;
      break;
    }
    const r: WireResponse = { status: Number(m[3]), version: `${m[1]}.${m[2]}`, headers: [], body: Buffer.alloc(0), framing: 'none' };
    let p = pos + m[0].length;
    let hasHead = false;
    for (;;) {
      const nl = text.indexOf('\n', p);
      if (nl === -1) break;
      const line = text.slice(p, nl).replace(/\r$/, '');
      p = nl + 1;
      if (line === '') {
        hasHead = true;
        break;
      }
      const colon = line.indexOf(':');
      if (colon === -1) {
        out.error = `malformed response header line: ${JSON.stringify(line)}`;
        return out;
      }
      r.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')]);
    }
    if (!hasHead) {
      if (isClosed) out.error = 'truncated response header section';
      else out.isIncomplete = true;
      break;
    }
    if (r.status >= 100 && r.status < 200 && r.status !== 101) {
      out.interims.push(r);
      pos = p;
      continue;
    }
    const codings = headerAll(r, 'transfer-encoding').join(',').toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '');
    const length = header(r, 'content-length');
    let end: number;
    if (r.status === 204 || r.status === 304 || r.status === 101) {
      end = p;
    } else if (codings.length > 0 && codings[codings.length - 1] === 'chunked') {
      r.framing = 'chunked';
      const got = readChunked(text, p);
      if (got === 'more') {
        if (isClosed) out.error = 'truncated chunked response body';
        else out.isIncomplete = true;
        break;
      }
      if ('error' in got) {
        out.error = got.error;
        break;
      }
      r.body = got.body;
      end = got.end;
    } else if (codings.length === 0 && length !== undefined) {
      r.framing = 'length';
      if (!/^\d+$/.test(length)) {
        out.error = `bad Content-Length in response: ${JSON.stringify(length)}`;
        break;
      }
      if (text.length - p < Number(length)) {
        if (isClosed) out.error = `truncated response body (${text.length - p} of ${length} bytes)`;
        else out.isIncomplete = true;
        break;
      }
      r.body = buf.subarray(p, p + Number(length));
      end = p + Number(length);
    } else {
      r.framing = 'close';
      if (!isClosed) {
        out.isIncomplete = true;
        break;
      }
      r.body = buf.subarray(p);
      end = text.length;
    }
    out.finals.push(r);
    pos = end;
    if (r.status === 101) break;
  }
  if (out.error === undefined && isClosed && out.isIncomplete) out.error = 'truncated response';
  return out;
}

// ---------------------------------------------------------------------------
// Judging responses

/** The echo app's view of a request (ECHO.md), bytes as latin1 strings. */
interface Echo {
  method: string;
  uri: string;
  version: string;
  headers: Array<[string, string]>;
  body: string;
  trailers: Array<[string, string]> | undefined;
}

const unb64 = (s: unknown): string => {
  if (typeof s !== 'string') throw new Error(`expected a base64 string, got ${JSON.stringify(s)}`);
  return Buffer.from(s, 'base64').toString('latin1');
};

function decodeEcho(json: unknown): Echo {
  const j = json as Record<string, unknown>;
  if (typeof j !== 'object' || j === null) throw new Error('echo JSON is not an object');
  const pairs = (v: unknown): Array<[string, string]> => {
    if (!Array.isArray(v)) throw new Error('echo JSON header list is not a list');
    return v.map((p: unknown) => {
      if (!Array.isArray(p) || p.length !== 2) throw new Error(`bad header pair ${JSON.stringify(p)}`);
      return [unb64(p[0]), unb64(p[1])];
    });
  };
  const version = unb64(j.version);
  return {
    method: unb64(j.method),
    uri: unb64(j.uri),
    version: version.startsWith('HTTP/') ? version.slice(5) : version,
    headers: pairs(j.headers),
    body: unb64(j.body),
    trailers: j.trailers === undefined || j.trailers === null ? undefined : pairs(j.trailers),
  };
}

function parseEchoBody(body: Buffer): Echo {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`response body is not JSON: ${JSON.stringify(body.toString('latin1').slice(0, 60))}`);
  }
  return decodeEcho(json);
}

type ValueSpec = ByteSpec | { regex: string } | { any: true };

function valueMatches(want: ValueSpec, got: string): boolean {
  if (typeof want === 'object' && !Array.isArray(want)) {
    if ('regex' in want) return new RegExp(`^(?:${want.regex})$`, 's').test(got);
    if ('any' in want) return true;
  }
  return specBytes(want as ByteSpec).toString('latin1') === got;
}

type HeaderSpec = Array<[ByteSpec, ValueSpec] | { repeat: Array<[ByteSpec, ByteSpec]>; count: number }>;

function compareHeaders(spec: HeaderSpec, got: ReadonlyArray<[string, string]>): string | undefined {
  const want = spec.flatMap((item) => ('repeat' in item ? Array.from({ length: item.count }, () => item.repeat).flat() : [item]));
  if (want.length !== got.length) return `expected ${want.length} header fields, got ${got.length}: ${JSON.stringify(got.slice(0, 6))}`;
  for (let i = 0; i < want.length; i++) {
    const [wn, wv] = want[i]!;
    const [gn, gv] = got[i]!;
    if (specBytes(wn).toString('latin1').toLowerCase() !== gn.toLowerCase()) return `header #${i + 1} name: expected ${JSON.stringify(wn)}, got ${JSON.stringify(gn)}`;
    if (!valueMatches(wv, gv)) return `header ${JSON.stringify(gn)} value: got ${JSON.stringify(gv.slice(0, 60))}`;
  }
  return undefined;
}

function matchEcho(want: NonNullable<ExpectedResponse['echo']> & { status?: number[] }, r: WireResponse): string | undefined {
  const statuses = want.status ?? [200];
  if (!statuses.includes(r.status)) return `expected an echo (status ${statuses.join('/')}), got ${r.status}`;
  let e: Echo;
  try {
    e = parseEchoBody(r.body);
  } catch (err) {
    return (err as Error).message;
  }
  if (want.method !== undefined && specBytes(want.method).toString('latin1') !== e.method) return `method: got ${JSON.stringify(e.method)}`;
  if (want.uri !== undefined && !valueMatches(want.uri as ValueSpec, e.uri)) return `uri: got ${JSON.stringify(e.uri.slice(0, 60))}`;
  if (want.version !== undefined) {
    const versions = Array.isArray(want.version) ? want.version : [want.version];
    if (!versions.includes(e.version)) return `version: expected ${versions.join('/')}, got ${e.version}`;
  }
  if (want.headers !== undefined) {
    const why = compareHeaders(want.headers as HeaderSpec, e.headers);
    if (why !== undefined) return why;
  }
  if (want.body !== undefined && !valueMatches(want.body as ValueSpec, e.body)) return `body: got ${JSON.stringify(e.body.slice(0, 60))}`;
  if (want.trailers !== undefined && e.trailers !== undefined && e.trailers.length > 0) {
    const why = compareHeaders(want.trailers as HeaderSpec, e.trailers);
    if (why !== undefined) return `trailers: ${why}`;
  }
  return undefined;
}

/** The `response` properties an expectation may add: fields present/absent, tokens, framing, version. */
interface ResponseProps {
  present?: string[];
  absent?: string[];
  has_token?: Record<string, string>;
  framed?: boolean;
  version?: string[];
}

function checkProps(props: ResponseProps | undefined, r: WireResponse): string | undefined {
  if (props === undefined) return undefined;
  for (const h of props.present ?? []) if (header(r, h.toLowerCase()) === undefined) return `response lacks ${h}`;
  for (const h of props.absent ?? []) if (header(r, h.toLowerCase()) !== undefined) return `response has forbidden ${h}`;
  for (const [h, token] of Object.entries(props.has_token ?? {})) {
    const tokens = headerAll(r, h.toLowerCase()).join(',').toLowerCase().split(',').map((t) => t.trim());
    if (!tokens.includes(token.toLowerCase())) return `response ${h} lacks token ${token}`;
  }
  if (props.framed === true && r.framing !== 'length' && r.framing !== 'chunked') return `response is not self-delimited (${r.framing})`;
  if (props.version !== undefined && !props.version.includes(r.version)) return `response HTTP-version ${r.version}, expected ${props.version.join('/')}`;
  return undefined;
}

function matchResponse(want: ExpectedResponse, r: WireResponse): string | undefined {
  let why: string | undefined;
  if (want.echo !== undefined) why = matchEcho(want.echo, r);
  else if (want.reject !== undefined) {
    const allowed = want.reject.status;
    const ok = allowed !== undefined && allowed.length > 0 ? allowed.includes(r.status) : DEFAULT_REJECT(r.status);
    if (!ok) why = `expected a rejection (${allowed?.join('/') ?? '4xx/5xx'}), got ${r.status}`;
  } else why = `unknown expectation ${JSON.stringify(want)}`;
  return why ?? checkProps(want.response as ResponseProps | undefined, r);
}

/** Why `stream` does not fit scenario `sc`, or undefined when it does. */
function matchScenario(sc: Scenario & { no_interim?: boolean }, s: ParsedStream, isClosed: boolean, c: SocketCase): string | undefined {
  const wants = sc.responses;
  for (let i = 0; i < wants.length; i++) {
    const want = wants[i]!;
    if (i < s.finals.length) {
      const why = matchResponse(want, s.finals[i]!);
      if (why !== undefined) return `response #${i + 1}: ${why}`;
      continue;
    }
    // A rejection may be a bare close, when it is the last expected answer and nothing was garbled.
    if (want.reject !== undefined && want.reject.require_response !== true && isClosed && i === wants.length - 1 && s.error === undefined) continue;
    if (s.error !== undefined) return `response #${i + 1}: ${s.error}`;
    if (want.reject?.require_response === true && isClosed) return `response #${i + 1}: closed without the required response`;
    return `response #${i + 1}: missing (${isClosed ? 'connection closed' : 'nothing before the timeout'})`;
  }
  if (s.finals.length > wants.length) return `unexpected extra response #${wants.length + 1} (${s.finals[wants.length]!.status})`;
  if (s.error !== undefined) return s.error;
  if (sc.close === true && !isClosed) return 'connection still open; it must be closed after the last response';
  if (sc.close === false && isClosed) return 'connection closed; it must stay open';
  if (sc.no_interim === true && s.interims.length > 0) return `interim ${s.interims.map((r) => r.status).join(',')} sent but must not be`;
  if (c.http10 === true && s.finals.some((r) => header(r, 'transfer-encoding') !== undefined)) return 'Transfer-Encoding in a response to HTTP/1.0';
  return undefined;
}

// ---------------------------------------------------------------------------
// Talking to the server

/** A client connection that records everything it receives and wakes waiters on each event. */
class Recorder {
  readonly socket: Socket;
  readonly #chunks: Buffer[] = [];
  isClosed = false;
  lastDataAt = 0;
  #wake: Array<() => void> = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#chunks.push(d);
      this.lastDataAt = performance.now();
      this.#notify();
    });
    // A reset is a close too: the responses before it still count.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.isClosed = true;
      this.#notify();
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  /** Resolves on the next data or close event, or after `ms` (the deadline of what the caller waits for). */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.#wake.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function openConnection(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Writes `data` and resolves once it has been handed to the kernel (or the socket failed). */
function write(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve();
    socket.write(data, () => resolve());
  });
}

/** The next turn of the event loop: lets the previous piece leave as its own segment. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A small deterministic PRNG (mulberry32) seeded from the case id, so a split is the same on every run. */
function seededRandom(seed: string): () => number {
  let a = 0;
  for (let i = 0; i < seed.length; i++) a = (Math.imul(a, 31) + seed.charCodeAt(i)) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The pieces `data` is written in for a delivery mode. */
export function deliveryPieces(data: Buffer, mode: Delivery, caseId: string): Buffer[] {
  if (mode === 'whole') return [data];
  const pieces: Buffer[] = [];
  if (mode === 'bytewise') {
    const single = Math.min(data.length, BYTEWISE_SINGLE_BYTES);
    for (let i = 0; i < single; i++) pieces.push(data.subarray(i, i + 1));
    for (let i = single; i < data.length; i += BYTEWISE_TAIL_CHUNK_BYTES) pieces.push(data.subarray(i, i + BYTEWISE_TAIL_CHUNK_BYTES));
    return pieces;
  }
  const random = seededRandom(caseId);
  let i = 0;
  while (i < data.length) {
    let j: number;
    if (data.length - i > SPLIT_LARGE_INPUT_BYTES) j = i + SPLIT_LARGE_PIECE_BYTES;
    else {
      j = Math.min(data.length, i + 1 + Math.floor(random() * SPLIT_MAX_PIECE_BYTES));
      // Always cut between CR and LF when a CR falls inside the piece: the hardest place for a parser.
      const cr = data.indexOf(0x0d, i);
      if (cr !== -1 && cr < j) j = cr + 1;
    }
    pieces.push(data.subarray(i, j));
    i = j;
  }
  return pieces;
}

async function deliver(socket: Socket, data: Buffer, mode: Delivery, caseId: string): Promise<void> {
  const pieces = deliveryPieces(data, mode, caseId);
  for (let i = 0; i < pieces.length; i++) {
    await write(socket, pieces[i]!);
    if (i < pieces.length - 1) await nextTurn();
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Fetches and clears the echo app's log: how many requests reached the app since the last query. */
async function queryAppLog(host: string, port: number): Promise<number> {
  const socket = await openConnection(host, port);
  const rec = new Recorder(socket);
  try {
    socket.end(`GET /__echo_log HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const deadline = performance.now() + DEFAULT_CASE_TIMEOUT_MS;
    while (!rec.isClosed && performance.now() < deadline) await rec.next(deadline - performance.now());
    const [r] = parseResponses(rec.bytes, true).finals;
    if (r === undefined || r.status !== 200) throw new Error(`app-log query failed: ${JSON.stringify(rec.bytes.toString('latin1').slice(0, 80))}`);
    return (JSON.parse(r.body.toString('utf8')) as { entries: unknown[] }).entries.length;
  } finally {
    socket.destroy();
  }
}

/** The outcome of one case. */
export interface CaseResult {
  id: string;
  level: 'must' | 'should';
  isPassed: boolean;
  /** Why it failed ('' when it passed). */
  reason: string;
  /** What was seen: statuses, interims, closed or not. */
  observed: string;
}

/** Runs one case on a fresh connection and judges it. */
export async function runCase(c: SocketCase, opts: RunOptions): Promise<CaseResult> {
  const result: CaseResult = { id: c.id, level: c.level, isPassed: false, reason: '', observed: '' };
  if (opts.appLog) await queryAppLog(opts.host, opts.port); // forget earlier cases
  const socket = await openConnection(opts.host, opts.port);
  const rec = new Recorder(socket);
  let stepFailure: string | undefined;
  const counts = new Set(c.expect.map((sc) => sc.responses.length));
  const closeCounts = new Set(c.expect.filter((sc) => sc.close === true).map((sc) => sc.responses.length));
  const maxCount = Math.max(...counts);
  try {
    for (const step of c.steps ?? [{ send: c.request }]) {
      if (step.send !== undefined) {
        await deliver(socket, specBytes(step.send), step.delivery ?? c.delivery ?? opts.delivery, c.id);
        if (step.shutdown_write === true) socket.end();
        if (step.pause_ms !== undefined) await delay(step.pause_ms);
      } else if (step.sleep_ms !== undefined) {
        await delay(step.sleep_ms);
      } else if (step.await !== undefined) {
        const deadline = performance.now() + (step.timeout_ms ?? 2_000);
        let isMet = false;
        while (performance.now() < deadline) {
          const s = parseResponses(rec.bytes, rec.isClosed);
          // A final answer instead of the 100 also ends the wait: the expectations judge it.
          isMet = step.await === 'interim' ? s.interims.length > 0 || s.finals.length > 0 : s.finals.length >= (step.count ?? 1);
          if (isMet || rec.isClosed || s.error !== undefined) break;
          await rec.next(deadline - performance.now());
        }
        if (!isMet && step.required === true) {
          stepFailure = `${step.label ?? `await ${step.await}`}: nothing within ${step.timeout_ms ?? 2_000} ms`;
          break;
        }
      }
    }
    // Wait until the server closed, or the expected responses came and the line stayed quiet.
    const start = performance.now();
    const deadline = start + (c.timeout !== undefined ? c.timeout * 1000 : opts.timeoutMs);
    for (;;) {
      const s = parseResponses(rec.bytes, rec.isClosed);
      if (rec.isClosed || s.error !== undefined) break;
      const now = performance.now();
      const quietFor = now - Math.max(rec.lastDataAt, start);
      const n = s.finals.length;
      if (quietFor >= opts.lingerMs && !s.isIncomplete && counts.has(n) && (!closeCounts.has(n) || n > maxCount)) break;
      if (quietFor >= opts.lingerMs && n > maxCount) break;
      if (now >= deadline) break;
      await rec.next(Math.min(deadline - now, Math.max(1, opts.lingerMs - quietFor)));
    }
  } finally {
    socket.destroy();
  }
  const isClosed = rec.isClosed;
  const stream = parseResponses(rec.bytes, isClosed);
  if (stream.isIncomplete && stream.error === undefined) stream.error = `an incomplete response was still pending (${rec.bytes.length} bytes received)`;
  result.observed = `responses=${stream.finals.map((r) => r.status).join(',') || 'none'}${
    stream.interims.length > 0 ? ` interim=${stream.interims.map((r) => r.status).join(',')}` : ''
  } closed=${isClosed ? 'yes' : 'no'}`;
  if (stepFailure !== undefined) {
    result.reason = stepFailure;
  } else {
    const reasons: string[] = [];
    for (const sc of c.expect) {
      const why = matchScenario(sc, stream, isClosed, c);
      if (why === undefined) {
        result.isPassed = true;
        break;
      }
      reasons.push(c.expect.length > 1 ? `[${sc.name}] ${why}` : why);
    }
    if (!result.isPassed) result.reason = reasons.join('; ');
  }
  if (opts.appLog) {
    // Every request the app saw must have had its 2xx answer reach the client.
    const seen = await queryAppLog(opts.host, opts.port);
    const answered = stream.finals.filter((r) => r.status >= 200 && r.status < 300).length;
    if (seen > answered) {
      const why = `app-log: the app received ${seen} request(s) but only ${answered} 2xx response(s) reached the client`;
      result.isPassed = false;
      result.reason = result.reason === '' ? why : `${result.reason}; ${why}`;
    }
  }
  return result;
}
