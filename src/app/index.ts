/**
 * The app layer's surface for the rest of keel (the demo imports only this file):
 * the public API (src/app/public.ts, which src/index.ts publishes) plus what the
 * demo shares with the app but users do not get from 'keel'.
 *
 * Owns nothing itself; everything beyond public.ts is an explicit name here.
 */
export * from './public.js';
// Content negotiation (RFC 9110 section 12.5.1): the error pages and the demo use it; not public API.
export { preferredType } from './negotiate.js';
