/**
 * The static handler's view of Accept-Encoding negotiation: a re-export of src/semantics/accept-encoding.ts.
 *
 * Moved to src/semantics/ in issue #16 so that the App's compress() middleware negotiates
 * with the same code (app/ may not import handlers/). Must not grow code of its own.
 */
export * from '../semantics/accept-encoding.js';
