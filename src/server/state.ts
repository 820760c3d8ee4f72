/**
 * The connection state machine: every legal transition in one table.
 *
 * Owns `ConnState` and `transition()`. An illegal transition throws: it is a
 * bug in the server, never a client's doing (h11 `_state.py`, Go `ConnState`).
 * Shutdown and metrics read these states.
 *
 *   new ──► active ◄──► idle
 *    │        │          │
 *    └────────┴──► closing ──► closed     (any state may also go straight to closed)
 *
 * new: accepted, no byte yet. active: a request is being read or answered.
 * idle: between keep-alive requests. closing: last response sent, lingering
 * until the peer closes. closed: the socket is gone.
 */

/** Where a connection is in its life. */
export type ConnState = 'new' | 'active' | 'idle' | 'closing' | 'closed';

const TRANSITIONS: Readonly<Record<ConnState, readonly ConnState[]>> = {
  new: ['active', 'closing', 'closed'],
  active: ['idle', 'closing', 'closed'],
  idle: ['active', 'closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** Returns `to` when the move from `from` is legal; throws otherwise. */
export function transition(from: ConnState, to: ConnState): ConnState {
  // The two moves of every keep-alive request first, without a table lookup.
  if ((from === 'idle' && to === 'active') || (from === 'active' && to === 'idle')) return to;
  if (!TRANSITIONS[from].includes(to)) throw new Error(`illegal connection state transition ${from} -> ${to}`);
  return to;
}
