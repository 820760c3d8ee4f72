// Tests for src/wire/limits.ts: the request parser's limits are resolved once, into a frozen object (#14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PARSER_LIMITS, resolveParserLimits, type ParserLimits } from '../../src/wire/limits.js';

const ALL: ParserLimits = { maxRequestLineBytes: 1, maxHeaderBytes: 2, maxHeaderCount: 3, maxChunkExtensionBytes: 4, maxBodyBytes: 5 };

const rows: Array<{ name: string; input: Partial<ParserLimits> | undefined; want: ParserLimits }> = [
  { name: 'nothing given: the defaults', input: undefined, want: { ...DEFAULT_PARSER_LIMITS } },
  { name: 'one override, the rest defaults', input: { maxHeaderCount: 7 }, want: { ...DEFAULT_PARSER_LIMITS, maxHeaderCount: 7 } },
  { name: 'an override left undefined keeps the default', input: { maxBodyBytes: undefined }, want: { ...DEFAULT_PARSER_LIMITS } },
  { name: 'all five', input: { ...ALL }, want: ALL },
  { name: 'other keys (a server options object) are not copied', input: { ...ALL, idleTimeoutMs: 9 } as Partial<ParserLimits>, want: ALL },
];

for (const { name, input, want } of rows) {
  test(`resolveParserLimits: ${name}`, () => {
    const got = resolveParserLimits(input);
    assert.deepEqual({ ...got }, want);
    assert.ok(Object.isFrozen(got), 'the resolved limits are frozen');
    if (input !== undefined) assert.notEqual(got, input, 'a mutable object is copied, never used as is');
  });
}

test('resolveParserLimits: a frozen object that sets all five is shared, not copied', () => {
  const frozen = Object.freeze({ ...ALL });
  assert.equal(resolveParserLimits(frozen), frozen);
  assert.equal(resolveParserLimits(DEFAULT_PARSER_LIMITS), DEFAULT_PARSER_LIMITS);
  const partial = Object.freeze({ maxHeaderBytes: 9 });
  assert.deepEqual({ ...resolveParserLimits(partial) }, { ...DEFAULT_PARSER_LIMITS, maxHeaderBytes: 9 });
});

test('resolveParserLimits: changing the object passed in changes nothing resolved from it', () => {
  const given = { ...ALL };
  const got = resolveParserLimits(given);
  given.maxHeaderBytes = 1000;
  assert.equal(got.maxHeaderBytes, 2);
  // Resolved again, the object gives its new values, in a new frozen copy.
  const again = resolveParserLimits(given);
  assert.equal(again.maxHeaderBytes, 1000);
  assert.ok(Object.isFrozen(again));
});

test('resolveParserLimits: one copy per object while its values stay the same (one per server, not per connection)', () => {
  const serverOptions = { ...ALL, idleTimeoutMs: 9 } as Partial<ParserLimits>;
  const first = resolveParserLimits(serverOptions);
  assert.equal(resolveParserLimits(serverOptions), first);
  assert.notEqual(resolveParserLimits({ ...ALL }), first, 'another object with equal values gets its own copy');
});
