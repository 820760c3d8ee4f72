// Tests for src/server/state.ts: every state machine's transition table (issues #3, #14).
// For each machine, every (from, to) pair is checked twice, through move() and through the
// hot-path mover to(to): the legal ones (written out here independently of the tables, with the
// reason each exists) return `to`, every other one throws IllegalTransitionError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONNECTION,
  IllegalTransitionError,
  OUTPUT,
  REQUEST_BODY,
  RESPONSE,
  SOCKET_INPUT,
  StateMachine,
  transition,
  type ConnState,
} from '../../src/server/state.js';

interface Machine {
  machine: StateMachine<string>;
  states: readonly string[];
  legal: ReadonlyArray<{ name: string; input: [string, string] }>;
}

const MACHINES: readonly Machine[] = [
  {
    machine: CONNECTION as StateMachine<string>,
    states: ['new', 'active', 'idle', 'closing', 'closed'],
    legal: [
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
    ],
  },
  {
    machine: REQUEST_BODY as StateMachine<string>,
    states: ['unread', 'reading', 'complete', 'discarding', 'discarded', 'failed'],
    legal: [
      { name: 'the handler asks for the body (100 Continue goes out)', input: ['unread', 'reading'] },
      { name: 'response ended before any read: drop the body', input: ['unread', 'discarding'] },
      { name: 'client left or connection closing before any read', input: ['unread', 'failed'] },
      { name: 'the end of the body was read', input: ['reading', 'complete'] },
      { name: 'response ended in the middle of the body: drop the rest', input: ['reading', 'discarding'] },
      { name: 'malformed body, timeout or client gone while reading', input: ['reading', 'failed'] },
      { name: 'the end of a dropped body was reached', input: ['discarding', 'discarded'] },
    ],
  },
  {
    machine: SOCKET_INPUT as StateMachine<string>,
    states: ['flowing', 'paused', 'ended'],
    legal: [
      { name: 'too many bytes wait unparsed, or output waits for a drain', input: ['flowing', 'paused'] },
      { name: 'the body reader wants more, or the next request starts', input: ['paused', 'flowing'] },
      { name: 'FIN', input: ['flowing', 'ended'] },
      { name: 'FIN seen while paused', input: ['paused', 'ended'] },
    ],
  },
  {
    machine: OUTPUT as StateMachine<string>,
    states: ['direct', 'batching', 'blocked'],
    legal: [
      { name: 'answering what the parser holds', input: ['direct', 'batching'] },
      { name: 'batch written', input: ['batching', 'direct'] },
      { name: 'send buffer full after a batch', input: ['direct', 'blocked'] },
      { name: 'drained', input: ['blocked', 'direct'] },
    ],
  },
  {
    machine: RESPONSE as StateMachine<string>,
    states: ['unsent', 'head-sent', 'finished', 'abandoned', 'cut-short'],
    legal: [
      { name: 'first write, writeHead or end', input: ['unsent', 'head-sent'] },
      { name: 'destroy() before the head', input: ['unsent', 'abandoned'] },
      { name: 'end()', input: ['head-sent', 'finished'] },
      { name: 'destroy() after the head', input: ['head-sent', 'cut-short'] },
    ],
  },
];

for (const { machine, states, legal } of MACHINES) {
  const isLegal = (from: string, to: string): boolean => legal.some((r) => r.input[0] === from && r.input[1] === to);

  test(`${machine.name}: the table has exactly these states`, () => {
    assert.deepEqual([...machine.states].sort(), [...states].sort());
  });

  for (const row of legal) {
    test(`${machine.name}: legal ${row.input[0]} -> ${row.input[1]} (${row.name})`, () => {
      const [from, to] = row.input;
      assert.equal(machine.move(from, to), to);
      assert.equal(machine.to(to)(from), to);
      assert.equal(machine.isLegal(from, to), true);
    });
  }

  test(`${machine.name}: every other move throws, through move() and to()`, () => {
    let illegal = 0;
    for (const from of states) {
      for (const to of states) {
        if (isLegal(from, to)) continue;
        illegal++;
        const want = { name: 'Error', message: `illegal ${machine.name} transition ${from} -> ${to}`, code: 'ERR_ILLEGAL_TRANSITION' };
        assert.throws(() => machine.move(from, to), want, `${from} -> ${to}`);
        assert.throws(() => machine.to(to)(from), want, `${from} -> ${to} (mover)`);
        assert.throws(() => machine.move(from, to), IllegalTransitionError);
      }
    }
    assert.equal(illegal, states.length * states.length - legal.length);
  });

  test(`${machine.name}: no state moves to itself`, () => {
    for (const s of states) assert.equal(machine.isLegal(s, s), false, s);
  });
}

test('transition() is the connection machine (the function shutdown and metrics code uses)', () => {
  const STATES: readonly ConnState[] = ['new', 'active', 'idle', 'closing', 'closed'];
  for (const from of STATES) {
    for (const to of STATES) {
      if (CONNECTION.isLegal(from, to)) assert.equal(transition(from, to), to);
      else assert.throws(() => transition(from, to), { message: `illegal connection state transition ${from} -> ${to}` });
    }
  }
  for (const s of STATES) assert.throws(() => transition('closed', s), 'closed is terminal');
});
