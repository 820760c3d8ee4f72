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

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
// The backtick too: old IE treated it as an attribute quote, and escaping it costs nothing.
const NEEDS_ESCAPE = /[&<>"'`]/;
const ESCAPE_ALL = /[&<>"'`]/g;

/**
 * Escapes text for HTML element content and quoted attribute values: `& < > " ' \``.
 * Returns the same string when nothing needs escaping (no allocation on the common path).
 *
 * @example
 * escapeHtml('<a href="x">') // '&lt;a href=&quot;x&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPES[c]!) : text;
}
