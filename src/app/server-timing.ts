/**
 * Server-Timing (W3C Server Timing, https://www.w3.org/TR/server-timing/; issue #16 item 5):
 * formats one metric for the `Server-Timing` response field, which `ctx.timing()` appends.
 *
 * Owns the field syntax: `metric-name *( OWS ";" OWS server-timing-param )` where the name
 * is a token (RFC 9110 §5.6.2), `dur` a number of milliseconds and `desc` a token or a
 * quoted-string (RFC 9110 §5.6.4) with `"` and `\` escaped. Must not: let a value break
 * out of its parameter (a bad name throws; a description is quoted and escaped, control
 * characters refused), or write a response.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// quoted-string allows HTAB, SP, VCHAR and obs-text; CTLs (CR, LF, NUL...) never.
const QDTEXT_OR_PAIR = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * One Server-Timing metric: `db;dur=12.3;desc="users query"`. `durMs` is rounded to
 * 0.1 ms (more digits tell a reader nothing and cost bytes); `desc` is a token when it
 * can be, else a quoted-string. Throws a TypeError on a name that is not a token, a
 * non-finite or negative duration, or a control character in the description.
 */
export function serverTimingMetric(name: string, durMs?: number, desc?: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Server-Timing metric name must be a token: ${JSON.stringify(name)}`);
  let out = name;
  if (durMs !== undefined) {
    if (!Number.isFinite(durMs) || durMs < 0) throw new TypeError(`Server-Timing dur must be a non-negative number of ms: ${durMs}`);
    out += `;dur=${Math.round(durMs * 10) / 10}`;
  }
  if (desc !== undefined) {
    if (!QDTEXT_OR_PAIR.test(desc)) throw new TypeError('Server-Timing desc contains a control character');
    out += TOKEN.test(desc) ? `;desc=${desc}` : `;desc="${desc.replace(/["\\]/g, '\\$&')}"`;
  }
  return out;
}
