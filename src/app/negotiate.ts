/**
 * The one Accept negotiation (RFC 9110 §12.5.1), for resources served as HTML or JSON.
 *
 * Owns choosing the best of a server's media types for an Accept header, honouring
 * q-values, wildcards and specificity. Used by the App's error mapping (`sendError`:
 * HTML or JSON error bodies) and by the demo (through app/index.ts); it lives in app/
 * because those are its only users (the static handler never negotiates media types;
 * Accept-Encoding has its own module in handlers/). Must not throw on malformed input:
 * an unparsable range is ignored, like a missing one. Order of appearance in Accept
 * carries no preference (only q-values do): ties go to the server's order.
 */

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  /** 3 for type/subtype, 2 for type/*, 1 for *\/* (more specific wins, §12.5.1). */
  specificity: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim());
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\/([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(range);
    if (m === null) continue;
    const type = m[1]!.toLowerCase();
    const subtype = m[2]!.toLowerCase();
    if (type === '*' && subtype !== '*') continue;
    let q = 1;
    for (const p of params) {
      const qm = /^q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i.exec(p);
      if (qm !== null) q = Number(qm[1]);
    }
    ranges.push({ type, subtype, q, specificity: type === '*' ? 1 : subtype === '*' ? 2 : 3 });
  }
  return ranges;
}

/** The q-value the Accept ranges give `mediaType`: the most specific matching range decides. */
function qualityOf(ranges: MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.toLowerCase().split('/');
  let best: MediaRange | undefined;
  for (const r of ranges) {
    const matches = (r.type === '*' || r.type === type) && (r.subtype === '*' || r.subtype === subtype);
    if (matches && (best === undefined || r.specificity > best.specificity)) best = r;
  }
  return best?.q ?? 0;
}

/**
 * Picks the media type of `offered` (in the server's order of preference) that
 * the Accept header rates highest; ties go to the earlier offer. A missing or
 * empty Accept means any type, so the first offer wins. Returns undefined when
 * every offer has q=0 (the caller may answer 406 or use a default).
 *
 * @example
 * preferredType('application/json;q=0.9, text/html;q=0.5', ['text/html', 'application/json']) // 'application/json'
 */
export function preferredType(accept: string | undefined, offered: readonly string[]): string | undefined {
  if (accept === undefined || accept.trim() === '') return offered[0];
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return offered[0];
  let best: string | undefined;
  let bestQ = 0;
  for (const type of offered) {
    const q = qualityOf(ranges, type);
    if (q > bestQ) {
      best = type;
      bestQ = q;
    }
  }
  return best;
}
