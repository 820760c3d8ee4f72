/**
 * Fuzz cases for the sans-IO response parser (src/wire/response-parser.ts, #17): how input i of
 * a run is made, and how it is checked. Shared by test/client/response-fuzz.test.ts (a few
 * thousand inputs in `npm test`) and scripts/fuzz-response.ts (the long run).
 *
 * Owns the response-side model ("a valid response sequence", built from generators.ts's valid
 * request fields, bodies and trailers), HTTP-shaped responses (status line, framing fields,
 * bodies, with generators.ts's hostile field lines and body fragments mixed in), mutations of a
 * corpus, and the checks: any input either parses or raises a ResponseError (status 502) and
 * nothing else, in a bounded number of nextEvent() calls; the outcome (events, bodies, trailers,
 * error code, bytes left after a switch) is the same whole, split at random and byte by byte;
 * what the parser accepts passes an independent check of the framing rules; and a valid
 * sequence comes back exactly as modelled. Input i is a pure function of (seed, i).
 * Must not import anything but src/wire, the wire test helpers and node: builtins.
 */
import { NEED_DATA, PAUSED, ResponseError, encodeChunked } from '../../src/wire/index.js';
import { ResponseParser, type ResponseBodyKind, type ResponseParserLimits } from '../../src/wire/response-parser.js';
import { httpNoise, mutateBytes, randomCuts, randomRequest, Rng, SHAPE, SHAPE_BAD_PROBABILITY, type ByteMutation, type Slot } from '../wire/generators.js';
import { bytewise, splitAtAll, whole } from '../wire/harness.js';

/** Inputs of at most this many bytes are sometimes also fed byte by byte. */
const BYTEWISE_MAX_BYTES = 128;

/** One response as the parser delivered it. */
export interface ParsedResponse {
  status: number;
  reason: string;
  version: '1.0' | '1.1';
  rawHeaders: string[];
  bodyKind: ResponseBodyKind;
  contentLength: number;
  keepAlive: boolean;
  /** Statuses of the 1xx responses before this one. */
  informational: number[];
  /** Body bytes as latin1. */
  body: string;
  /** Trailers once ended; null while the response is incomplete (or after a switch). */
  trailers: string[] | null;
}

/** Everything a parse produced, independent of how the input was split. */
export interface ResponseOutcome {
  responses: ParsedResponse[];
  error: { code: string; status: number } | null;
  /** Bytes left for the new protocol after a 101 or a 2xx to CONNECT. */
  rest: string;
  steps: number;
}

/** How one input is fed. */
export interface ResponseCase {
  kind: 'random' | 'shaped' | 'valid' | 'mutated';
  input: Buffer;
  /** The requests announced, in order (expectResponse). */
  methods: string[];
  /** The requests carried Upgrade: a 101 is acceptable. */
  canSwitch: boolean;
  /** eof() after the last piece (the server closed). */
  eof: boolean;
  limits: Partial<ResponseParserLimits> | undefined;
  cuts: number[][];
  bytewise: boolean;
  /** For 'valid' inputs: the responses the parser must give back. */
  model: ResponseModel[] | null;
}

/** A valid response, and what the parser must report for it. */
export interface ResponseModel {
  method: 'GET' | 'HEAD' | 'POST';
  informational: Array<{ status: 100 | 103; fields: [string, string][] }>;
  status: number;
  reason: string;
  version: '1.0' | '1.1';
  fields: [string, string][];
  framing: 'length' | 'chunked' | 'close';
  pieces: Buffer[];
  trailers: [string, string][];
  close: boolean;
}

// ---- driving the parser -----------------------------------------------------------

/** Thrown when the parser made more nextEvent() calls than its input can justify (a loop). */
export class ResponseStepBudgetError extends Error {
  constructor(steps: number, bytes: number) {
    super(`parser exceeded its step budget: ${steps} nextEvent() calls for ${bytes} bytes`);
    this.name = 'ResponseStepBudgetError';
  }
}

/**
 * Feeds `pieces` to a fresh parser that expects `methods`, draining events after each, then
 * eof() when asked. Any exception but a ResponseError propagates (a crash: the invariant allows
 * nothing else, not even another ProtocolError). After an error the parser must be dead:
 * nextEvent() rethrows the same error.
 */
export function parseResponsePieces(
  pieces: readonly Buffer[],
  methods: readonly string[],
  opts: { eof: boolean; canSwitch: boolean; limits?: Partial<ResponseParserLimits> },
): ResponseOutcome {
  const p = new ResponseParser(opts.limits);
  for (const m of methods) p.expectResponse(m, opts.canSwitch);
  let total = 0;
  for (const piece of pieces) total += piece.length;
  // Every event but 'end' consumes a byte; 'end' comes once per response; NEED_DATA/PAUSED once per piece.
  const budget = 4 + 2 * total + 4 * pieces.length + 4 * methods.length;
  const responses: ParsedResponse[] = [];
  const views: Buffer[][] = [];
  let info: number[] = [];
  let error: ResponseError | null = null;
  let steps = 0;
  const drain = (): boolean => {
    for (;;) {
      if (++steps > budget) throw new ResponseStepBudgetError(steps, total);
      let ev;
      try {
        ev = p.nextEvent();
      } catch (err) {
        if (!(err instanceof ResponseError)) throw err;
        error = err;
        return false;
      }
      if (ev === NEED_DATA || ev === PAUSED) return true;
      if (ev.type === 'informational') info.push(ev.status);
      else if (ev.type === 'response') {
        const { type: _type, ...head } = ev;
        responses.push({ ...head, rawHeaders: [...head.rawHeaders], informational: info, body: '', trailers: null });
        views.push([]);
        info = [];
      } else {
        const cur = responses[responses.length - 1];
        if (cur === undefined || cur.trailers !== null) throw new Error(`${ev.type} event outside a response`);
        if (ev.type === 'data') {
          if (ev.data.length === 0) throw new Error('empty data event');
          views[views.length - 1].push(ev.data);
        } else cur.trailers = [...ev.trailers];
      }
    }
  };
  let alive = true;
  for (const piece of pieces) {
    p.receive(piece);
    if (!(alive = drain())) break;
  }
  if (alive && opts.eof) {
    p.eof();
    drain();
  }
  if (error !== null) {
    let again: unknown = null;
    try {
      p.nextEvent();
    } catch (err) {
      again = err;
    }
    if (again !== error) throw new Error('a failed parser did not rethrow its error');
  }
  // Views are concatenated only now: the parser must never overwrite bytes it handed out.
  responses.forEach((r, i) => (r.body = Buffer.concat(views[i]).toString('latin1')));
  const e = error as ResponseError | null;
  return {
    responses,
    error: e === null ? null : { code: e.code, status: e.status },
    rest: e === null && p.state === 'switched' ? p.takeBufferedBytes().toString('latin1') : '',
    steps,
  };
}

/** The outcome as a string, for comparing deliveries (steps differ with the split, so they are left out). */
export function responseOutcomeKey(o: ResponseOutcome): string {
  return JSON.stringify([o.responses, o.error, o.rest]);
}

// ---- independent checks -------------------------------------------------------------

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE_RE = /^([\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?)?$/;

function fieldsViolation(raw: readonly string[], where: string): string | null {
  for (let i = 0; i < raw.length; i += 2) {
    if (!TOKEN_RE.test(raw[i])) return `${where}: field name ${JSON.stringify(raw[i])} is not a token`;
    if (!VALUE_RE.test(raw[i + 1])) return `${where}: field value ${JSON.stringify(raw[i + 1])} has a control byte or surrounding whitespace`;
  }
  return null;
}

/**
 * Why an accepted response breaks a rule, or null. Written from RFC 9112 §4, §5, §6.3, not from
 * the parser: a second opinion on what it let through.
 */
export function responseViolation(r: ParsedResponse, method: string, isLast: boolean, eof: boolean): string | null {
  // isLast: no response was delivered after this one; eof: the server closed.
  if (!((r.status >= 200 && r.status <= 599) || r.status === 101)) return `final status ${r.status}`;
  for (const s of r.informational) if (s < 100 || s > 199 || s === 101) return `informational status ${s}`;
  const why = fieldsViolation(r.rawHeaders, 'head') ?? fieldsViolation(r.trailers ?? [], 'trailers');
  if (why !== null) return why;
  const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  const hasCl = names.includes('content-length');
  const hasTe = names.includes('transfer-encoding');
  if (hasCl && hasTe) return 'Content-Length and Transfer-Encoding both accepted';
  if (hasTe && r.version === '1.0') return 'Transfer-Encoding accepted in HTTP/1.0';
  const bodiless = method === 'HEAD' || r.status === 204 || r.status === 304 || r.status === 101 || (method === 'CONNECT' && r.status < 300);
  if (bodiless && (r.bodyKind !== 'none' || r.body !== '')) return `a ${method} ${r.status} response with a body`;
  if (r.bodyKind === 'chunked' && !hasTe) return 'chunked without Transfer-Encoding';
  if (r.bodyKind === 'length') {
    if (!hasCl) return 'length-delimited without Content-Length';
    if (r.body.length > r.contentLength) return `body of ${r.body.length} bytes past Content-Length ${r.contentLength}`;
    if (r.trailers !== null && r.body.length !== r.contentLength) return `ended after ${r.body.length} of ${r.contentLength} bytes`;
  }
  if (r.bodyKind === 'close') {
    if (hasCl || hasTe) return 'read until close despite framing fields';
    if (r.keepAlive) return 'a close-delimited body on a persistent connection';
    if (r.trailers !== null && !eof) return 'a close-delimited body ended without eof';
    if (!isLast) return 'a response after a close-delimited body';
  }
  if (r.bodyKind !== 'chunked' && r.trailers !== null && r.trailers.length > 0) return 'trailers on a body that is not chunked';
  return null;
}

// ---- inputs ---------------------------------------------------------------------------

/** A 32-bit seed for input `index`: inputs are independent, so any one can be rebuilt alone. */
function inputSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x2545f491, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

const REASONS = ['OK', 'Not Found', '', 'Tr\xe8s bien', 'Moved\tPermanently', 'x'];
const FINAL_STATUSES = [200, 200, 201, 204, 206, 301, 302, 304, 400, 404, 500, 503, 599];

/** A random valid response (fields, bodies and trailers are those of a random valid request). */
function randomResponse(rng: Rng, isLast: boolean): ResponseModel {
  const donor = randomRequest(rng);
  const method = rng.pick(['GET', 'GET', 'HEAD', 'POST'] as const);
  const version = rng.chance(0.15) ? '1.0' : '1.1';
  const framings: ResponseModel['framing'][] = version === '1.0' ? ['length'] : ['length', 'chunked'];
  if (isLast) framings.push('close');
  const framing = rng.pick(framings);
  const informational: ResponseModel['informational'] = [];
  const nInfo = rng.chance(0.2) ? rng.range(1, 3) : 0;
  for (let i = 0; i < nInfo; i++) informational.push({ status: rng.pick([100, 103] as const), fields: randomRequest(rng).fields.slice(0, 2) });
  return {
    method,
    informational,
    status: rng.pick(FINAL_STATUSES),
    reason: rng.pick(REASONS),
    version,
    fields: donor.fields,
    framing,
    pieces: donor.pieces.length > 0 || framing !== 'length' ? donor.pieces : [Buffer.from('body')],
    trailers: framing === 'chunked' ? donor.trailers : [],
    close: framing !== 'close' && rng.chance(0.1),
  };
}

function isBodiless(m: ResponseModel): boolean {
  return m.method === 'HEAD' || m.status === 204 || m.status === 304;
}

/** The wire bytes of a model (a bodiless response keeps its framing fields and sends no body). */
function responseBytes(m: ResponseModel): Buffer {
  let head = '';
  for (const i of m.informational) {
    head += `HTTP/1.1 ${i.status} ${i.status === 100 ? 'Continue' : 'Early Hints'}\r\n`;
    for (const [k, v] of i.fields) head += `${k}: ${v}\r\n`;
    head += '\r\n';
  }
  head += `HTTP/${m.version} ${m.status} ${m.reason}\r\n`;
  for (const [k, v] of expectedFields(m)) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  if (!isBodiless(m)) parts.push(m.framing === 'chunked' ? encodeChunked(m.pieces, m.trailers) : Buffer.concat(m.pieces));
  return Buffer.concat(parts);
}

function expectedFields(m: ResponseModel): [string, string][] {
  const out: [string, string][] = [...m.fields];
  if (m.close) out.push(['Connection', 'close']);
  if (m.framing === 'length') out.push(['Content-Length', String(Buffer.concat(m.pieces).length)]);
  if (m.framing === 'chunked') out.push(['Transfer-Encoding', 'chunked']);
  return out;
}

/** Why the parser's responses differ from the models, or null. */
export function roundTripMismatch(models: ResponseModel[], o: ResponseOutcome): string | null {
  if (o.error !== null) return `valid input rejected: ${o.error.code}`;
  if (o.responses.length !== models.length) return `${o.responses.length} responses, expected ${models.length}`;
  for (let i = 0; i < models.length; i++) {
    const m = models[i];
    const r = o.responses[i];
    const bodiless = isBodiless(m);
    const want = {
      status: m.status,
      reason: m.reason,
      version: m.version,
      rawHeaders: expectedFields(m).flat(),
      bodyKind: bodiless ? 'none' : m.framing === 'length' ? (Buffer.concat(m.pieces).length === 0 ? 'none' : 'length') : m.framing,
      keepAlive: m.version === '1.1' && !m.close && (bodiless || m.framing !== 'close'),
      informational: m.informational.map((x) => x.status),
      body: bodiless ? '' : Buffer.concat(m.pieces).toString('latin1'),
      trailers: bodiless ? [] : m.trailers.flat(),
    };
    const got = { status: r.status, reason: r.reason, version: r.version, rawHeaders: r.rawHeaders, bodyKind: r.bodyKind, keepAlive: r.keepAlive, informational: r.informational, body: r.body, trailers: r.trailers };
    if (JSON.stringify(got) !== JSON.stringify(want)) return `response ${i}: got ${JSON.stringify(got).slice(0, 300)}, want ${JSON.stringify(want).slice(0, 300)}`;
  }
  return null;
}

/** Slots of an HTTP-shaped response; field lines and bodies reuse the request side's (generators.ts SHAPE). */
const RESPONSE_SHAPE: Readonly<Record<'version' | 'status' | 'reason' | 'field' | 'body', Slot>> = {
  version: { good: ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'], bad: ['HTTP/2.0', 'http/1.1', 'HTTP/1.', 'HTTP/1.10', 'HTTP/0.9', '', 'ICY'] },
  status: { good: [' 200', ' 200', ' 204', ' 304', ' 404', ' 100', ' 103', ' 101', ' 302', ' 500'], bad: [' 20', ' 2000', ' 600', ' 099', '  200', ' 2x0', '', '200'] },
  reason: { good: [' OK', ' Not Found', ' ', '', ' Tr\xe8s\tbien'], bad: [' O\0K', ' O\rK', ' O\nK', 'OK', ' \x7f'] },
  field: {
    good: [
      ...SHAPE.field.good.filter((f) => !/^(Host|Expect):/.test(f)), 'Content-Length: 3, 3', 'Set-Cookie: a=1', 'Content-Type: text/plain',
      'Upgrade: websocket', 'Connection: Upgrade',
    ],
    bad: SHAPE.field.bad,
  },
  body: {
    good: [...SHAPE.body.good, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 100 Continue\r\n\r\n', '\x81\x05hello'],
    bad: SHAPE.body.bad,
  },
};

function pickSlot(rng: Rng, slot: Slot): string {
  return rng.chance(SHAPE_BAD_PROBABILITY) ? rng.pick(slot.bad) : rng.pick(slot.good);
}

/** One or more HTTP-shaped responses, mostly valid in each slot. */
function shapedResponses(rng: Rng): Buffer {
  let s = '';
  const n = rng.range(1, 3);
  for (let r = 0; r < n; r++) {
    s += pickSlot(rng, RESPONSE_SHAPE.version) + pickSlot(rng, RESPONSE_SHAPE.status) + pickSlot(rng, RESPONSE_SHAPE.reason);
    s += pickSlot(rng, SHAPE.eol);
    const fields = rng.range(0, 5);
    for (let i = 0; i < fields; i++) s += pickSlot(rng, RESPONSE_SHAPE.field) + pickSlot(rng, SHAPE.eol);
    s += pickSlot(rng, SHAPE.eol);
    const bodies = rng.range(0, 3);
    for (let i = 0; i < bodies; i++) s += pickSlot(rng, RESPONSE_SHAPE.body);
  }
  return Buffer.from(s, 'latin1');
}

const SPECIAL_BYTES = [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x30, 0x7f, 0x80, 0xff];
/** Put in place of a Content-Length value, a chunk size or a status code. */
const NUMBERS = ['0', '1', '00', '-1', '+1', '0x10', '1e3', '', 'ff', 'fffffffffffff', 'ffffffffffffff', '9007199254740991', '9007199254740992', '99999999999999999999', '100', '199', '101', '600'];

const HANDWRITTEN: readonly string[] = [
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n',
  'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>until close</html>',
  'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx',
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello',
  'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n',
];

function buildCorpus(seed: number): Buffer[] {
  const corpus: Buffer[] = HANDWRITTEN.map((s) => Buffer.from(s, 'latin1'));
  const rng = new Rng(seed ^ 0x0c11e47);
  for (let i = 0; i < 100; i++) corpus.push(responseBytes(randomResponse(rng, rng.chance(0.5))));
  return corpus;
}

const corpora = new Map<number, Buffer[]>();

function mutateOnce(rng: Rng, b: Buffer, corpus: readonly Buffer[]): Buffer {
  const at = rng.int(b.length + 1);
  const mutate = (kind: ByteMutation): Buffer => mutateBytes(kind, rng, b, at, corpus, SPECIAL_BYTES);
  switch (rng.int(10)) {
    case 0:
      return mutate('flip-bit');
    case 1:
      return mutate('insert-byte');
    case 2:
      return mutate('insert-special');
    case 3:
      return mutate('delete-range');
    case 4:
      return mutate('repeat-range');
    case 5:
      return mutate('splice-corpus');
    case 6:
      return mutate('insert-fragment');
    case 7:
    case 8: {
      // A number (Content-Length value, chunk size, status code) replaced by a boundary value.
      const s = b.toString('latin1');
      const runs: Array<[number, number]> = [];
      const re = /(^|[:\s;])([0-9A-Fa-f]+)/g;
      for (let m = re.exec(s); m !== null && runs.length < 64; m = re.exec(s)) runs.push([m.index + m[1].length, m.index + m[0].length]);
      if (runs.length === 0) return b;
      const [a, e] = rng.pick(runs);
      return Buffer.from(s.slice(0, a) + rng.pick(NUMBERS) + s.slice(e), 'latin1');
    }
    default:
      return mutate('duplicate-line');
  }
}

function randomLimits(rng: Rng): Partial<ResponseParserLimits> | undefined {
  if (rng.chance(0.7)) return undefined;
  const l: Partial<ResponseParserLimits> = {};
  if (rng.chance(0.5)) l.maxStatusLineBytes = rng.range(1, 40);
  if (rng.chance(0.5)) l.maxHeaderBytes = rng.range(1, 200);
  if (rng.chance(0.5)) l.maxHeaderCount = rng.range(0, 8);
  if (rng.chance(0.5)) l.maxChunkExtensionBytes = rng.range(0, 24);
  if (rng.chance(0.5)) l.maxBodyBytes = rng.range(0, 100);
  if (rng.chance(0.5)) l.maxInformationalResponses = rng.range(0, 3);
  return l;
}

/** Input `index` of a run: everything about it derives from (seed, index). */
export function makeResponseCase(seed: number, index: number): ResponseCase {
  let corpus = corpora.get(seed);
  if (corpus === undefined) corpora.set(seed, (corpus = buildCorpus(seed)));
  const rng = new Rng(inputSeed(seed, index));
  const r = rng.next();
  let kind: ResponseCase['kind'];
  let input: Buffer;
  let model: ResponseModel[] | null = null;
  let methods = Array.from({ length: rng.range(1, 3) }, () => rng.pick(['GET', 'GET', 'HEAD', 'POST', 'CONNECT']));
  let canSwitch = rng.chance(0.2);
  let eof = rng.chance(0.5);
  if (r < 0.1) {
    kind = 'random';
    input = rng.chance(0.5) ? httpNoise(rng, 40) : Buffer.alloc(rng.range(0, 256));
    if (input.every((x) => x === 0)) for (let i = 0; i < input.length; i++) input[i] = rng.int(256);
  } else if (r < 0.35) {
    kind = 'shaped';
    input = shapedResponses(rng);
  } else if (r < 0.5) {
    kind = 'valid';
    const n = rng.range(1, 3);
    model = Array.from({ length: n }, (_, i) => randomResponse(rng, i === n - 1));
    input = Buffer.concat(model.map(responseBytes));
    methods = model.map((m) => m.method);
    canSwitch = false;
    // A close-delimited body ends only when the server closes.
    eof = model[n - 1].framing === 'close' ? true : rng.chance(0.5);
  } else {
    kind = 'mutated';
    input = rng.chance(0.2) ? shapedResponses(rng) : rng.pick(corpus);
    const n = rng.range(1, 6);
    for (let i = 0; i < n; i++) input = mutateOnce(rng, input, corpus);
  }
  const limits = model === null ? randomLimits(rng) : undefined;
  const cuts = [randomCuts(rng, input.length, 6), randomCuts(rng, input.length, 1)];
  return { kind, input, methods, canSwitch, eof, limits, cuts, bytewise: input.length <= BYTEWISE_MAX_BYTES && rng.chance(0.25), model };
}

/** Counters a run keeps (the test and the script print them). */
export interface ResponseFuzzStats {
  deliveries: number;
  /** Inputs parsed without an error (their last response may still be incomplete). */
  accepted: number;
  rejected: number;
  /** Responses delivered (a head event), and those whose body also ended. */
  responses: number;
  completeResponses: number;
  byCode: Record<string, number>;
}

export function newResponseFuzzStats(): ResponseFuzzStats {
  return { deliveries: 0, accepted: 0, rejected: 0, responses: 0, completeResponses: 0, byCode: {} };
}

/**
 * Checks one case; returns why it failed, or null. A crash (any exception but a ResponseError, or
 * the step budget) propagates to the caller.
 */
export function checkResponseCase(c: ResponseCase, stats: ResponseFuzzStats = newResponseFuzzStats()): string | null {
  const opts = { eof: c.eof, canSwitch: c.canSwitch, limits: c.limits };
  const ref = parseResponsePieces(whole(c.input), c.methods, opts);
  const deliveries = c.cuts.map((cuts) => splitAtAll(c.input, cuts));
  if (c.bytewise) deliveries.push(bytewise(c.input));
  stats.deliveries += 1 + deliveries.length;
  stats.responses += ref.responses.length;
  if (ref.error !== null) {
    stats.rejected++;
    stats.byCode[ref.error.code] = (stats.byCode[ref.error.code] ?? 0) + 1;
    if (ref.error.status !== 502) return `error ${ref.error.code} has status ${ref.error.status}, not 502`;
  } else stats.accepted++;
  for (const r of ref.responses) if (r.trailers !== null) stats.completeResponses++;
  const want = responseOutcomeKey(ref);
  for (const pieces of deliveries) {
    const got = responseOutcomeKey(parseResponsePieces(pieces, c.methods, opts));
    if (got !== want) return `divergence: split into ${pieces.map((p) => p.length).join('+')} gives ${got.slice(0, 400)}; whole gives ${want.slice(0, 400)}`;
  }
  for (let i = 0; i < ref.responses.length; i++) {
    const why = responseViolation(ref.responses[i], c.methods[i], i === ref.responses.length - 1, c.eof);
    if (why !== null) return `invalid response accepted: ${why}`;
  }
  if (c.model !== null) {
    const why = roundTripMismatch(c.model, ref);
    if (why !== null) return `round trip: ${why}`;
  }
  return null;
}
