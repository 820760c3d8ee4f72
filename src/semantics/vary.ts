/**
 * Vary bookkeeping shared by everything that makes a response depend on a request field.
 *
 * Owns `addVary`: the App's compress() and cors() and the CLI's wrapped static handler
 * use it (issue #16). It must not decide whether a response varies; callers do.
 * The static handler (handlers/static-send.ts) uses it too (issue #14).
 */
import type { HeaderMapLike } from '../server/handler.js';

/**
 * Adds a field name to Vary, keeping what is there already (RFC 9110 §12.5.5: Vary is a
 * list, compared case-insensitively; "*" already covers everything).
 *
 * @example
 * addVary(res.headers, 'Accept-Encoding');
 */
export function addVary(headers: HeaderMapLike, name: string): void {
  const current = headers.get('vary');
  if (current === undefined || current.trim() === '') {
    headers.set('Vary', name);
    return;
  }
  const lower = name.toLowerCase();
  const listed = current.split(',').map((v) => v.trim().toLowerCase());
  if (!listed.includes(lower) && !listed.includes('*')) headers.append('Vary', name);
}
