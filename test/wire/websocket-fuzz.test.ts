// Bounded fuzz of the WebSocket frame parser (issue #15, STYLE.md rule 12): any input either parses
// or raises a WebSocketError, never anything else and never a loop (the harness's step budget);
// whole and split deliveries give the same outcome; and what is accepted passes an independent
// check (websocket-generators.ts wsViolation). scripts/fuzz-websocket.ts runs the same cases longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWsCase, makeWsCase } from './websocket-generators.js';

/** Cases per run of `npm test`: a few seconds at most. */
const CASES = 4000;
const SEED = 15;

test(`websocket fuzz: ${CASES} inputs parse or raise WebSocketError, the same in every split`, () => {
  const kinds: Record<string, number> = {};
  for (let i = 0; i < CASES; i++) {
    const c = makeWsCase(SEED, i);
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const why = checkWsCase(c);
    assert.equal(why, null, `input ${i} (seed ${SEED}, ${c.kind}, ${c.input.toString('hex').slice(0, 200)}): ${why}`);
  }
  for (const k of ['random', 'shaped', 'valid', 'mutated']) assert.ok((kinds[k] ?? 0) > CASES / 20, `${k} inputs generated`);
});
