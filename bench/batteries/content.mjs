/**
 * The content both batteries servers send, built once at start-up so that the
 * benchmark measures the batteries (compression, CORS, sessions), not templating.
 *
 * Owns the routes' paths, the allowed origin, the session secret and the bodies:
 * a ~2 KiB JSON document, a ~8 KiB HTML page and a short text under the 1 KiB
 * compression threshold, each carrying the session's visit counter so that a
 * client can see the session round-trip. Must not depend on either framework;
 * keel.mjs and fastify.mjs import it so the two apps cannot drift apart.
 */

/** The one origin the CORS allow-list admits (credentials allowed). */
export const ALLOWED_ORIGIN = 'https://app.example';
/** An origin the allow-list refuses (used by the validator). */
export const OTHER_ORIGIN = 'https://evil.example';
/** Session cookie signing secret (@fastify/session needs 32 characters or more). */
export const SESSION_SECRET = 'batteries-bench-secret-0123456789abcdef';
/** Methods and headers a preflight may ask for, and how long a browser may cache its answer. */
export const CORS_METHODS = ['GET', 'PUT'];
export const CORS_ALLOW_HEADERS = ['Content-Type'];
export const CORS_MAX_AGE_SECONDS = 600;
/** Brotli settings given to both (keel's defaults; @fastify/compress's quality default is 4 too). */
export const BROTLI_QUALITY = 4;
export const BROTLI_WINDOW_BITS = 18;

/** Route paths. `prefs` answers PUT, so a cross-origin fetch with a JSON body is preflighted. */
export const PATHS = { json: '/api/items', html: '/page', small: '/ping', prefs: '/api/prefs' };

/** 12 items: JSON.stringify({ visits, items }) is about 2 KiB. */
export const ITEMS = Array.from({ length: 12 }, (_, i) => ({
  id: i + 1,
  name: `Item number ${i + 1}`,
  description: `A short description of item ${i + 1}, long enough to be realistic.`,
  price: Math.round((i + 1) * 137.5) / 100,
  tags: ['alpha', 'beta', i % 2 ? 'odd' : 'even'],
  inStock: i % 3 !== 0,
}));

const rows = [...ITEMS, ...ITEMS, ...ITEMS, ...ITEMS, ...ITEMS].map(
  (it, i) => `<tr><td>${i + 1}</td><td>${it.name}</td><td>${it.description}</td><td>${it.price.toFixed(2)}</td></tr>`,
).join('\n');

/** The HTML page around the visit counter: about 8 KiB in all. */
export const PAGE_HEAD = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Catalogue</title>
<link rel="stylesheet" href="/style.css"></head>
<body><header><h1>Catalogue</h1><p>Visits in this session: `;
export const PAGE_TAIL = `</p></header>
<main><table><thead><tr><th>#</th><th>Name</th><th>Description</th><th>Price</th></tr></thead><tbody>
${rows}
</tbody></table></main><footer><p>Batteries benchmark page.</p></footer></body></html>
`;

/** The page for a visit count (a number, so nothing to escape). */
export const page = (visits) => `${PAGE_HEAD}${visits}${PAGE_TAIL}`;
/** The short text, well under the compression threshold. */
export const small = (visits) => `pong ${visits}\n`;
