/**
 * HTML directory listings for the static handler (issue #5).
 *
 * Owns the page: sort order (directories first, then names in natural order), size
 * and date formatting, and where to escape (the escaper is src/wire/html-escape.ts).
 * It is pure: the static handler reads the directory and applies the dotfile and
 * symlink policies, then hands entries here.
 * Every name is untrusted (any byte but "/" and NUL can be in a file name), so each
 * one is percent-encoded in the href and HTML-escaped in the text: a file called
 * `<img src=x onerror=alert(1)>` must show up as text, not run.
 */

import { escapeHtml } from '../wire/html-escape.js';

/** One row of a listing. */
export interface ListingEntry {
  /** The file name as on disk (decoded, no "/"). */
  readonly name: string;
  readonly isDirectory: boolean;
  /** Size in bytes (ignored for directories). */
  readonly sizeBytes: number;
  /** Modification time in ms since the epoch. */
  readonly mtimeMs: number;
}

const BYTES_PER_KIB = 1024;
const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

// Natural order ("file2" before "file10"), case-insensitive first; ties fall back to
// code-point order below so the result never depends on readdir() order.
const COLLATOR = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** A size for humans: "0 B", "1023 B", "1.5 KiB", "12 MiB". */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= BYTES_PER_KIB && unit < SIZE_UNITS.length - 1) {
    value /= BYTES_PER_KIB;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${SIZE_UNITS[unit]}`;
}

/** "2026-11-25 18:07" in UTC: sortable, unambiguous, and the same on every server. */
function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Sorts entries in place: directories first, then names in natural order. */
export function sortEntries(entries: ListingEntry[]): ListingEntry[] {
  return entries.sort((a, b) => {
    if (a.isDirectory !== b.isDirectory) return a.isDirectory ? -1 : 1;
    const c = COLLATOR.compare(a.name, b.name);
    if (c !== 0) return c;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/**
 * Renders the listing page of one directory.
 *
 * `displayPath` is the decoded URL path of the directory (with the mount prefix), shown
 * in the title; `hasParent` adds a "../" row; `truncatedCount` (> 0) adds a note that
 * some entries were left out because of the listing limit.
 */
export function renderListing(
  displayPath: string,
  entries: ListingEntry[],
  hasParent: boolean,
  truncatedCount = 0,
): string {
  const title = escapeHtml(`Index of ${displayPath}`);
  const rows: string[] = [];
  if (hasParent) rows.push('<tr><td><a href="../">../</a></td><td class="s">-</td><td class="d"></td></tr>');
  for (const e of sortEntries(entries)) {
    const slash = e.isDirectory ? '/' : '';
    // encodeURIComponent also encodes ":" so a name like "javascript:x" stays a relative path.
    const href = escapeHtml(encodeURIComponent(e.name) + slash);
    const size = e.isDirectory ? '-' : `<span title="${e.sizeBytes} bytes">${formatSize(e.sizeBytes)}</span>`;
    rows.push(
      `<tr><td><a href="${href}">${escapeHtml(e.name)}${slash}</a></td><td class="s">${size}</td><td class="d">${formatDate(e.mtimeMs)}</td></tr>`,
    );
  }
  const note = truncatedCount > 0 ? `<p>${truncatedCount} more entries not shown.</p>\n` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}
th,td{padding:.2em 1em .2em 0;text-align:left}
td.s{text-align:right;font-variant-numeric:tabular-nums}
td.d{color:#666;font-variant-numeric:tabular-nums}
a{text-decoration:none}
a:hover{text-decoration:underline}
</style>
</head>
<body>
<h1>${title}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
${note}</body>
</html>
`;
}
