// Bounded fuzz of the sans-IO response parser (#17, STYLE.md rule 12): any input either parses or
// raises a ResponseError, never anything else and never a loop (the step budget); whole, split
// and byte-by-byte deliveries give the same outcome; what is accepted passes an independent check
// of the framing rules; valid response sequences come back as modelled. The cases are
// test/client/response-fuzz-cases.ts; scripts/fuzz-response.ts runs the same cases longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkResponseCase, makeResponseCase, newResponseFuzzStats } from './response-fuzz-cases.js';

/** Cases per run of `npm test`: a few seconds at most. */
const CASES = 3000;
const SEED = 17;

test(`response parser fuzz: ${CASES} inputs parse or raise ResponseError, the same in every split`, () => {
  const kinds: Record<string, number> = {};
  const stats = newResponseFuzzStats();
  for (let i = 0; i < CASES; i++) {
    const c = makeResponseCase(SEED, i);
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const why = checkResponseCase(c, stats);
    assert.equal(why, null, `input ${i} (seed ${SEED}, ${c.kind}, methods ${c.methods}, eof ${c.eof}): ${JSON.stringify(c.input.toString('latin1').slice(0, 300))}: ${why}`);
  }
  for (const k of ['random', 'shaped', 'valid', 'mutated']) assert.ok((kinds[k] ?? 0) > CASES / 20, `${k} inputs generated`);
  // The generators reach both sides of the invariant, and bodies that end.
  assert.ok(stats.accepted > CASES / 5, `accepted ${stats.accepted}`);
  assert.ok(stats.rejected > CASES / 5, `rejected ${stats.rejected}`);
  assert.ok(stats.completeResponses > CASES / 5, `complete responses ${stats.completeResponses}`);
});
