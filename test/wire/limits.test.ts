// Tests for src/wire/limits.ts: a parser's limits are resolved once, into a frozen object (#14); one
// function (resolveLimits) resolves both the request parser's and the response parser's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PARSER_LIMITS, resolveLimits, type ParserLimits } from '../../src/wire/limits.js';
import { DEFAULT_RESPONSE_PARSER_LIMITS } from '../../src/wire/response-parser.js';

/** The request parser's limits, as RequestParser resolves them. */
const resolveParserLimits = (o?: Partial<ParserLimits>): Readonly<ParserLimits> => resolveLimits(DEFAULT_PARSER_LIMITS, o);

const ALL: ParserLimits = { maxRequestLineBytes: 1, maxHeaderBytes: 2, maxHeaderCount: 3, maxChunkExtensionBytes: 4, maxBodyBytes: 5 };

const rows: Array<{ name: string; input: Partial<ParserLimits> | undefined; want: ParserLimits }> = [
  { name: 'nothing given: the defaults', input: undefined, want: { ...DEFAULT_PARSER_LIMITS } },
  { name: 'one override, the rest defaults', input: { maxHeaderCount: 7 }, want: { ...DEFAULT_PARSER_LIMITS, maxHeaderCount: 7 } },
  { name: 'an override left undefined keeps the default', input: { maxBodyBytes: undefined }, want: { ...DEFAULT_PARSER_LIMITS } },
  { name: 'all five', input: { ...ALL }, want: ALL },
  { name: 'other keys (a server options object) are not copied', input: { ...ALL, idleTimeoutMs: 9 } as Partial<ParserLimits>, want: ALL },
];

for (const { name, input, want } of rows) {
  test(`resolveLimits (request): ${name}`, () => {
    const got = resolveParserLimits(input);
    assert.deepEqual({ ...got }, want);
    assert.ok(Object.isFrozen(got), 'the resolved limits are frozen');
    if (input !== undefined) assert.notEqual(got, input, 'a mutable object is copied, never used as is');
  });
}

test('resolveLimits (request): a frozen object that sets all five is shared, not copied', () => {
  const frozen = Object.freeze({ ...ALL });
  assert.equal(resolveParserLimits(frozen), frozen);
  assert.equal(resolveParserLimits(DEFAULT_PARSER_LIMITS), DEFAULT_PARSER_LIMITS);
  const partial = Object.freeze({ maxHeaderBytes: 9 });
  assert.deepEqual({ ...resolveParserLimits(partial) }, { ...DEFAULT_PARSER_LIMITS, maxHeaderBytes: 9 });
});

test('resolveLimits (request): changing the object passed in changes nothing resolved from it', () => {
  const given = { ...ALL };
  const got = resolveParserLimits(given);
  given.maxHeaderBytes = 1000;
  assert.equal(got.maxHeaderBytes, 2);
  // Resolved again, the object gives its new values, in a new frozen copy.
  const again = resolveParserLimits(given);
  assert.equal(again.maxHeaderBytes, 1000);
  assert.ok(Object.isFrozen(again));
});

test('resolveLimits (request): one copy per object while its values stay the same (one per server, not per connection)', () => {
  const serverOptions = { ...ALL, idleTimeoutMs: 9 } as Partial<ParserLimits>;
  const first = resolveParserLimits(serverOptions);
  assert.equal(resolveParserLimits(serverOptions), first);
  assert.notEqual(resolveParserLimits({ ...ALL }), first, 'another object with equal values gets its own copy');
});

test('resolveLimits (response): an override left undefined keeps the default, other keys are not copied', () => {
  const got = resolveLimits(DEFAULT_RESPONSE_PARSER_LIMITS, { maxBodyBytes: undefined, maxHeaderCount: 7, idleTimeoutMs: 9 } as object);
  assert.deepEqual({ ...got }, { ...DEFAULT_RESPONSE_PARSER_LIMITS, maxHeaderCount: 7 });
  assert.ok(Object.isFrozen(got));
});

test('resolveLimits: one object resolved as both limit sets gets a copy of each, with its own keys', () => {
  const options = { maxHeaderCount: 7 };
  const request = resolveLimits(DEFAULT_PARSER_LIMITS, options);
  const response = resolveLimits(DEFAULT_RESPONSE_PARSER_LIMITS, options);
  assert.deepEqual({ ...request }, { ...DEFAULT_PARSER_LIMITS, maxHeaderCount: 7 });
  assert.deepEqual({ ...response }, { ...DEFAULT_RESPONSE_PARSER_LIMITS, maxHeaderCount: 7 });
  assert.equal(resolveLimits(DEFAULT_PARSER_LIMITS, options), request);
  assert.equal(resolveLimits(DEFAULT_RESPONSE_PARSER_LIMITS, options), response);
});
