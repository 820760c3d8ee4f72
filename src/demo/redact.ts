/**
 * How the demo hides secrets in a request it shows to the visitor (issue #13 item 11).
 *
 * Owns the one rule, used by the wire inspector (controllers/inspect.ts):
 * `Cookie` keeps each cookie's name (instructive) and shows its value as
 * `(hidden)`; `Authorization` and `Proxy-Authorization` are `(hidden)` whole.
 * The CGI scripts (cgi-bin/env.py, cgi-bin/form.sh) apply the same rule to
 * `HTTP_COOKIE`, `HTTP_AUTHORIZATION` and `HTTP_PROXY_AUTHORIZATION` in their
 * own languages; test/demo/app.test.ts checks that all three show the same text.
 * Must not log or return the hidden values in any form.
 */

/** Fields whose values are hidden (lower case). */
export const REDACTED_FIELDS: ReadonlySet<string> = new Set(['cookie', 'authorization', 'proxy-authorization']);

/** What a hidden value is shown as. */
export const HIDDEN = '(hidden)';

/** True when the field's value is hidden. */
export function isRedacted(name: string): boolean {
  return REDACTED_FIELDS.has(name.toLowerCase());
}

/**
 * The value of field `name` as the demo shows it: unchanged unless it is a secret.
 *
 * @example
 * redactedValue('Cookie', 'keel_csrf=abc; theme=dark') // 'keel_csrf=(hidden); theme=(hidden)'
 */
export function redactedValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (!REDACTED_FIELDS.has(lower)) return value;
  return lower === 'cookie' ? value.replace(/=[^;]*/g, `=${HIDDEN}`) : HIDDEN;
}
