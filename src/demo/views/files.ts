/**
 * The /files/ directory pages: the static handler's listing inside the site's layout.
 *
 * Owns the frame around a listing: a short explanation and the navigation.
 * The listing itself (heading and table) is made by keel's static handler
 * (src/handlers/listing.ts), which escapes every file name; it arrives here
 * as SafeHtml and is not touched.
 */
import { html, type SafeHtml } from '../../app/index.js';
import { page } from './layout.js';

/** A directory page around `listing` (the static handler's heading and table). */
export function listingView(listing: SafeHtml): SafeHtml {
  return page(
    html`<div class="listing">${listing}</div>
<p>The tutorial's <code>python -m http.server</code> step: keel's static file handler lists
<code>src/demo/files/</code> and serves each file as it is on disk, with its
<code>Content-Type</code>, an <code>ETag</code> so a reload costs a 304, and <code>Range</code>
requests so a download can resume.</p>`,
    { title: 'Files', current: '/files/' },
  );
}
