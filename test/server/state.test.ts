// Tests for src/server/state.ts: the connection transition table (issue #3).
// Every (from, to) pair is checked: the legal ones return `to`, every other one throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, type ConnState } from '../../src/server/state.js';

const STATES: readonly ConnState[] = ['new', 'active', 'idle', 'closing', 'closed'];

/** The moves the state diagram in state.ts allows, written out independently of its table. */
const LEGAL: ReadonlyArray<{ name: string; input: [ConnState, ConnState] }> = [
  { name: 'first bytes of the first request', input: ['new', 'active'] },
  { name: 'never-spoke connection closed by shutdown or timeout', input: ['new', 'closing'] },
  { name: 'new connection reset by the peer', input: ['new', 'closed'] },
  { name: 'response done, keep-alive', input: ['active', 'idle'] },
  { name: 'last response sent, lingering close', input: ['active', 'closing'] },
  { name: 'reset during a request', input: ['active', 'closed'] },
  { name: 'next request on a persistent connection', input: ['idle', 'active'] },
  { name: 'idle timeout or shutdown', input: ['idle', 'closing'] },
  { name: 'idle connection reset by the peer', input: ['idle', 'closed'] },
  { name: 'linger over', input: ['closing', 'closed'] },
];

const isLegal = (from: ConnState, to: ConnState): boolean => LEGAL.some((r) => r.input[0] === from && r.input[1] === to);

for (const row of LEGAL) {
  test(`legal: ${row.input[0]} -> ${row.input[1]} (${row.name})`, () => {
    assert.equal(transition(row.input[0], row.input[1]), row.input[1]);
  });
}

for (const from of STATES) {
  for (const to of STATES) {
    if (isLegal(from, to)) continue;
    test(`illegal: ${from} -> ${to} throws`, () => {
      assert.throws(() => transition(from, to), { message: `illegal connection state transition ${from} -> ${to}` });
    });
  }
}

test('closed is terminal and no state moves to itself', () => {
  for (const s of STATES) {
    assert.throws(() => transition('closed', s));
    assert.throws(() => transition(s, s));
  }
  assert.equal(STATES.length * STATES.length - LEGAL.length, 15, 'the table has exactly 10 legal moves');
});
