/**
 * The static handler's view of on-the-fly compression: a re-export of src/semantics/compression.ts.
 *
 * The mechanism (zlib settings for a server, `CompressionLimiter`, `createCompressor`)
 * moved to src/semantics/ in issue #16 so that the App's compress() middleware shares the
 * one implementation: app/ may not import handlers/, nor handlers/ app/
 * (test/architecture.test.ts). Must not grow code of its own.
 */
export * from '../semantics/compression.js';
