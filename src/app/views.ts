/**
 * Views without a template engine: the `html` tagged template.
 *
 * Owns when views escape (the escaper itself is src/wire/html-escape.ts):
 * every interpolated value is escaped unless it is already `SafeHtml` (made by
 * `html` itself or by the explicit `raw()` escape hatch), so nested templates
 * are not escaped twice. A layout is just a function taking content and
 * returning `SafeHtml`.
 * Must not: escape for contexts it cannot see (inside `<script>`, `<style>`, or
 * unquoted attributes, or `javascript:` URLs): put values there only after
 * validating them yourself.
 */

// The one escaper lives in wire/ (shared with the static handler's listings, which may
// not import app/); re-exported here because `escapeHtml` is part of the views API.
import { escapeHtml } from '../wire/html-escape.js';

export { escapeHtml };

/** A string known to be safe HTML: interpolated as is by `html`. */
export class SafeHtml {
  /** The HTML text. */
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  /** The HTML text (so `String(view)` and `ctx.html(view)` work). */
  toString(): string {
    return this.value;
  }
}

/** What `html` accepts in a `${}` slot: arrays are joined, null/undefined/false/true render nothing. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.value;
  if (typeof v === 'string') return escapeHtml(v);
  if (v === null || v === undefined || typeof v === 'boolean') return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    let out = '';
    for (const item of v) out += render(item);
    return out;
  }
  return escapeHtml(String(v));
}

/**
 * Tagged template for HTML: escapes every value unless it is `SafeHtml`.
 *
 * @example
 * const item = (t: string) => html`<li>${t}</li>`;
 * const page = html`<ul>${['<b>', 'ok'].map(item)}</ul>`;
 * // <ul><li>&lt;b&gt;</li><li>ok</li></ul>
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/**
 * The escape hatch: marks a string as trusted HTML. Only pass text you wrote or
 * sanitized yourself; never request data.
 *
 * @example
 * html`<div>${raw('<hr>')}</div>`
 */
export function raw(trustedHtml: string): SafeHtml {
  return new SafeHtml(trustedHtml);
}

/** A layout: wraps page content, given extra props such as a title. */
export type Layout<P> = (content: SafeHtml, props: P) => SafeHtml;

/**
 * Declares a layout (identity helper that gives the function its type).
 *
 * @example
 * const page = layout<{ title: string }>((content, { title }) =>
 *   html`<!doctype html><title>${title}</title><main>${content}</main>`);
 * ctx.html(page(html`<p>Hi</p>`, { title: 'Home' }));
 */
export function layout<P>(fn: Layout<P>): Layout<P> {
  return fn;
}
