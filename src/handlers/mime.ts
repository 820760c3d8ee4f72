/**
 * The static handler's view of the media-type table: a re-export of src/semantics/mime.ts.
 *
 * Moved to src/semantics/ in issue #16 so that the App's compress() middleware asks the
 * same `isCompressible` as the static handler (app/ may not import handlers/).
 * Must not grow code of its own.
 */
export * from '../semantics/mime.js';
