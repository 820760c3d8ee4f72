/**
 * The demo's content negotiation: the App's one q-value-aware Accept negotiation
 * (src/app/negotiate.ts, issue #14 item 5), re-exported so the controllers keep their import.
 * Must not: grow a second implementation.
 */
export { preferredType } from '../app/index.js';
