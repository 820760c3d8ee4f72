/**
 * The one HTML escaper (issue #14 item 5): text in, text safe for HTML element content
 * and quoted attribute values out.
 *
 * Why it lives in wire/: it is needed by the App's views and error pages (app/) and by
 * the static handler's directory listings (handlers/), and handlers/ may not import app/.
 * wire/ is the lowest layer both may import values from, and this is a pure string
 * function like the other wire helpers (no I/O, no node: imports), so it breaks no rule
 * of that layer. Must not: grow into a template engine or a sanitizer; it does not know
 * the context (script, style, unquoted attribute, URL) a string is put in: callers must
 * only use it where the five characters below are the whole danger.
 */

// The backtick too: old IE treated it as an attribute quote, and escaping it costs nothing.
const NEEDS_ESCAPE = /[&<>"'`]/;

/**
 * Escapes text for HTML element content and quoted attribute values: `& < > " ' \``.
 * Returns the same string when nothing needs escaping (no allocation on the common path).
 * One pass from the first special character, appending the runs between specials and each
 * replacement (no replacer callback per match: issue #18, views render one call per value).
 *
 * @example
 * escapeHtml('<a href="x">') // '&lt;a href=&quot;x&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  const first = text.search(NEEDS_ESCAPE);
  if (first === -1) return text;
  let out = text.slice(0, first);
  let runStart = first;
  for (let i = first; i < text.length; i++) {
    let replacement: string;
    switch (text.charCodeAt(i)) {
      case 0x26: replacement = '&amp;'; break;
      case 0x3c: replacement = '&lt;'; break;
      case 0x3e: replacement = '&gt;'; break;
      case 0x22: replacement = '&quot;'; break;
      case 0x27: replacement = '&#39;'; break;
      case 0x60: replacement = '&#96;'; break;
      default: continue;
    }
    if (runStart < i) out += text.slice(runStart, i);
    out += replacement;
    runStart = i + 1;
  }
  return runStart < text.length ? out + text.slice(runStart) : out;
}
