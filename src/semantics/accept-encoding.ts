/**
 * Content-coding negotiation: which of the codings we can produce does the client prefer?
 *
 * Owns parsing of `Accept-Encoding` with quality values (RFC 9110 §12.5.3, §12.4.2).
 * It is pure and knows nothing about files: the static handler says which codings it
 * could serve (a precompressed sibling, or zlib on the fly), as does the App's
 * compress() middleware, and this module picks one. In src/semantics/ so both may import it.
 */

/** A content coding keel can produce (RFC 9110 §8.4.1). */
export type ContentCoding = 'br' | 'gzip';

/** Server preference when the client rates codings equally: brotli is smaller. */
export const PREFERRED_CODINGS: readonly ContentCoding[] = ['br', 'gzip'];

/** qvalue grammar (RFC 9110 §12.4.2): 0 to 1 with at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses `Accept-Encoding` into coding name (lower case) -> quality.
 *
 * Entries with a malformed weight are skipped rather than failing the whole field:
 * a recipient must not let one bad element change the meaning of the others.
 */
export function parseAcceptEncoding(header: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of header.split(',')) {
    const parts = item.split(';');
    let name = parts[0]!.trim().toLowerCase();
    if (name === '') continue;
    // "x-gzip" is an alias of "gzip" (RFC 9110 §8.4.1.3).
    if (name === 'x-gzip') name = 'gzip';
    let q = 1;
    let isValid = true;
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i]!.trim();
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      if (param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = param.slice(eq + 1).trim();
      if (!QVALUE.test(value)) isValid = false;
      else q = Number(value);
    }
    if (!isValid) continue;
    // The first occurrence wins; later duplicates do not override it.
    if (!out.has(name)) out.set(name, q);
  }
  return out;
}

/**
 * Picks the coding to send, or undefined for identity.
 *
 * `available` lists the codings we could produce, in server preference order; the
 * client's highest non-zero quality wins, ties go to the server's order. `*` rates
 * every coding the client did not name (RFC 9110 §12.5.3). A missing header means
 * the client expressed no preference, and we then send identity: it is the only
 * coding every client understands.
 *
 * @example
 * negotiateEncoding('gzip, br;q=0.5', ['br', 'gzip']); // 'gzip'
 * negotiateEncoding('gzip, deflate, br', ['br', 'gzip']); // 'br'
 */
export function negotiateEncoding(
  header: string | undefined,
  available: readonly ContentCoding[],
): ContentCoding | undefined {
  if (header === undefined || available.length === 0) return undefined;
  const prefs = parseAcceptEncoding(header);
  const star = prefs.get('*');
  let best: ContentCoding | undefined;
  let bestQ = 0;
  for (const coding of available) {
    const q = prefs.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Every coding in `available` the client accepts, best first (for trying precompressed
 * siblings in turn when the preferred one does not exist on disk).
 */
export function acceptableEncodings(header: string | undefined, available: readonly ContentCoding[]): ContentCoding[] {
  if (header === undefined) return [];
  const prefs = parseAcceptEncoding(header);
  const star = prefs.get('*');
  return available
    .map((coding, order) => ({ coding, order, q: prefs.get(coding) ?? star ?? 0 }))
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map((c) => c.coding);
}
