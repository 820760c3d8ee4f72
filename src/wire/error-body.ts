/**
 * The one plain-text error body (issue #14 item 5; the format is docs/errors.md "Error
 * bodies"): what every layer that answers an error without the App writes, so a client
 * sees the same shape whether the Connection, the static handler, the CGI gateway or the
 * in-memory runner produced it.
 *
 * Owns the display text of a status (`statusText`) and the body (`plainErrorBody`). The
 * status line's reason phrase stays `reasonPhrase()` (status.ts): on the wire an
 * unregistered code gets an empty reason (RFC 9112 §4 allows it), but text shown to a
 * person is never empty, so it falls back to the class name of RFC 9110 §15.
 * Must not: take an error message or anything from the request (STYLE.md rule 5: never
 * echo request bytes, never leak an error's text); only the status decides the body.
 */
import { reasonPhrase } from './status.js';

/** Content-Type of every plain-text error body. */
export const PLAIN_ERROR_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** RFC 9110 §15 names of the five classes, by first digit. */
const CLASS_NAMES: readonly string[] = ['', 'Informational', 'Successful', 'Redirection', 'Client Error', 'Server Error'];

/**
 * The text a person is shown for a status: its reason phrase (RFC 9110 §15), or for an
 * unregistered code the name of its class ("Client Error" for 499); "Error" outside 100-599.
 *
 * @example
 * statusText(404) // 'Not Found'
 * statusText(499) // 'Client Error'
 */
export function statusText(status: number): string {
  const phrase = reasonPhrase(status);
  if (phrase !== '') return phrase;
  const cls = Number.isInteger(status) && status >= 100 && status <= 599 ? CLASS_NAMES[Math.floor(status / 100)] : undefined;
  return cls ?? 'Error';
}

/**
 * The body of every plain-text error response: the status code and its text, one line,
 * e.g. `"404 Not Found\n"`. Sent with `Content-Type: text/plain; charset=utf-8`.
 */
export function plainErrorBody(status: number): string {
  return `${status} ${statusText(status)}\n`;
}
