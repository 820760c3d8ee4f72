// Property tests of the wire layer with fast-check (issue #2, item 4):
//   (a) any bytes either parse or raise a ProtocolError: never another exception, never a loop
//       (nextEvent() calls bounded by the input's length); the outcome does not depend on
//       how the bytes are split into receive() calls; and whatever is accepted passes an
//       independent check of the rules (harness.ts requestViolation);
//   (b) valid requests (random methods, targets, fields, bodies with Content-Length or random
//       chunking, trailers, pipelined) round-trip through the serializer and the parser, fed in
//       random pieces.
// numRuns is kept moderate so this file runs in a few seconds; scripts/fuzz.ts goes further.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ParserLimits } from '../../src/wire/index.js';
import { expectedHost, expectedRawHeaders, HTTP_FRAGMENTS, requestBytes, SHAPE, type RequestModel, type Slot } from './generators.js';
import { outcomeKey, parsePieces, requestViolation, splitAtAll, whole, type ParsedRequest } from './harness.js';

const NUM_RUNS_NOISE = 5000;
const NUM_RUNS_ROUND_TRIP = 1000;

// ---- arbitraries ------------------------------------------------------------

const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const methodArb = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'), fc.stringMatching(new RegExp(`^${TCHAR}{1,12}$`)));
const targetArb = fc.oneof(
  fc.stringMatching(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%[\]|{}^`\\"<>]{0,40}$/),
  fc.stringMatching(/^https?:\/\/[a-z0-9.]{1,12}(:[0-9]{1,5})?(\/[A-Za-z0-9/?=&]{0,20})?$/),
);
const nameArb = fc
  .stringMatching(new RegExp(`^${TCHAR}{1,16}$`))
  .filter((n) => !['host', 'content-length', 'transfer-encoding', 'expect', 'connection'].includes(n.toLowerCase()));
/** A field value as the parser reports it: no leading/trailing OWS, inner SP/HTAB allowed, obs-text allowed. */
const valueArb = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.stringMatching(/^[\x21-\x7e\x80-\xff]{1,10}$/), { minLength: 1, maxLength: 4 })
    .chain((words) => fc.constantFrom(' ', '\t', '  ', ' \t').map((sep) => words.join(sep))),
);
const fieldsArb = fc.array(fc.tuple(nameArb, valueArb), { maxLength: 6 });
const pieceArb = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => Buffer.from(u));

const requestArb: fc.Arbitrary<RequestModel> = fc.oneof(
  fc.record({
    method: methodArb,
    target: targetArb,
    version: fc.constant('1.1' as const),
    fields: fieldsArb,
    host: fc.constantFrom('a', 'example.com:8080', '[::1]', ''),
    framing: fc.constantFrom('none' as const, 'length' as const, 'chunked' as const),
    pieces: fc.array(pieceArb, { maxLength: 4 }),
    trailers: fc.array(fc.tuple(nameArb, valueArb), { maxLength: 2 }),
    close: fc.boolean(),
  }),
  fc.record({
    method: methodArb,
    target: targetArb,
    version: fc.constant('1.0' as const),
    fields: fieldsArb,
    host: fc.option(fc.constantFrom('a', 'b:1'), { nil: null }),
    framing: fc.constantFrom('none' as const, 'length' as const),
    pieces: fc.array(pieceArb, { maxLength: 3 }),
    trailers: fc.constant([] as [string, string][]),
    close: fc.boolean(),
  }),
).map((m) => {
  // Keep the model consistent with its framing: no body without framing, none empty with a length.
  if (m.framing === 'none') return { ...m, pieces: [], trailers: [] };
  if (m.framing === 'length') return { ...m, pieces: m.pieces.length === 0 ? [Buffer.from('x')] : m.pieces, trailers: [] };
  return m;
});

/** Cut points as fractions of the input, so they shrink independently of its length. */
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });
function cutsFor(length: number, fractions: readonly number[]): number[] {
  const set = new Set<number>();
  for (const f of fractions) {
    const o = Math.floor(f * length);
    if (o > 0 && o < length) set.add(o);
  }
  return [...set].sort((a, b) => a - b);
}

/** Small limits, so that every limit path is reached by short inputs. */
const limitsArb: fc.Arbitrary<Partial<ParserLimits> | undefined> = fc.option(
  fc.record(
    {
      maxRequestLineBytes: fc.integer({ min: 1, max: 64 }),
      maxHeaderBytes: fc.integer({ min: 1, max: 128 }),
      maxHeaderCount: fc.integer({ min: 0, max: 6 }),
      maxChunkExtensionBytes: fc.integer({ min: 0, max: 16 }),
      maxBodyBytes: fc.integer({ min: 0, max: 64 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

type Mutation = { at: number; kind: 'flip' | 'insert' | 'delete' | 'dup'; byte: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.constantFrom('flip' as const, 'insert' as const, 'delete' as const, 'dup' as const),
  byte: fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x30, 0x39, 0x66), fc.integer({ min: 0, max: 255 })),
});
function mutate(input: Buffer, muts: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of muts) {
    const i = Math.min(b.length, Math.floor(m.at * (b.length + 1)));
    if (m.kind === 'flip' && i < b.length) b[i] ^= 1 << (m.byte & 7);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([m.byte]), b.subarray(i)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    else if (m.kind === 'dup') b = Buffer.concat([b.subarray(0, i), b.subarray(Math.max(0, i - 8), i), b.subarray(i)]);
  }
  return b;
}

/** One slot of generators.ts SHAPE: a valid choice, or now and then a hostile one. */
const slotArb = (slot: Slot): fc.Arbitrary<string> =>
  fc.oneof({ weight: 11, arbitrary: fc.constantFrom(...slot.good) }, { weight: 1, arbitrary: fc.constantFrom(...slot.bad) });
/** HTTP-shaped input: request line, field lines, blank line, body fragments. */
const shapedArb: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.tuple(...(['method', 'sep', 'target', 'sep', 'version', 'eol'] as const).map((k) => slotArb(SHAPE[k]))),
    fc.array(fc.tuple(slotArb(SHAPE.field), slotArb(SHAPE.eol)), { maxLength: 5 }),
    slotArb(SHAPE.eol),
    fc.array(slotArb(SHAPE.body), { maxLength: 4 }),
  )
  .map(([line, fields, blank, body]) => Buffer.from(line.join('') + fields.map((f) => f.join('')).join('') + blank + body.join(''), 'latin1'));

const noiseArb: fc.Arbitrary<Buffer> = fc.oneof(
  shapedArb,
  shapedArb,
  fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
  fc.array(fc.constantFrom(...HTTP_FRAGMENTS), { maxLength: 40 }).map((parts) => Buffer.from(parts.join(''), 'latin1')),
  fc.tuple(fc.array(requestArb, { minLength: 1, maxLength: 2 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([reqs, muts]) =>
    mutate(Buffer.concat(reqs.map(requestBytes)), muts),
  ),
);

// ---- properties ---------------------------------------------------------------

describe('parser properties', () => {
  test('(a) any input parses or raises a ProtocolError, in bounded steps, whatever the split', () => {
    fc.assert(
      fc.property(noiseArb, limitsArb, cutsArb, (input, limits, fractions) => {
        // parsePieces rethrows anything that is not a ProtocolError and throws StepBudgetError on a loop.
        const ref = parsePieces(whole(input), limits);
        const split = parsePieces(splitAtAll(input, cutsFor(input.length, fractions)), limits);
        assert.equal(outcomeKey(split), outcomeKey(ref));
        // Whatever was accepted obeys the rules, checked independently of the parser.
        for (const r of ref.requests) assert.equal(requestViolation(r), null, `${r.method} ${r.target}`);
      }),
      { numRuns: NUM_RUNS_NOISE },
    );
  });

  test('(b) valid requests round-trip through serialize -> parse in random pieces', () => {
    fc.assert(
      fc.property(fc.array(requestArb, { minLength: 1, maxLength: 3 }), cutsArb, (models, fractions) => {
        const wire = Buffer.concat(models.map(requestBytes));
        const got = parsePieces(splitAtAll(wire, cutsFor(wire.length, fractions)));
        assert.equal(got.error, null, `unexpected ${JSON.stringify(got.error)}`);
        assert.equal(got.pending, false);
        const want: ParsedRequest[] = models.map((m) => {
          const body = Buffer.concat(m.pieces);
          return {
            method: m.method,
            target: m.target,
            version: m.version,
            rawHeaders: expectedRawHeaders(m),
            bodyKind: m.framing,
            contentLength: m.framing === 'chunked' ? -1 : body.length,
            keepAlive: m.version === '1.1' && !m.close,
            expectContinue: false,
            host: expectedHost(m),
            body: body.toString('latin1'),
            trailers: m.trailers.flat(),
          };
        });
        assert.deepEqual(got.requests, want);
      }),
      { numRuns: NUM_RUNS_ROUND_TRIP },
    );
  });
});
