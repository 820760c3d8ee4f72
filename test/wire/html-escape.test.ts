// The one HTML escaper (src/wire/html-escape.ts; issue #14 item 5), shared by views, error pages and listings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from '../../src/wire/html-escape.js';
import { table } from '../helpers/table.js';

table(
  'escapeHtml',
  [
    { name: 'the five HTML specials and the backtick', input: `<a href="x" title='y'>&\`</a>`, want: '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;' },
    { name: 'an entity is escaped again (text, not markup)', input: '&amp;', want: '&amp;amp;' },
    { name: 'non-ASCII passes', input: 'café ☕', want: 'café ☕' },
    { name: 'empty', input: '', want: '' },
  ],
  escapeHtml,
);

test('escapeHtml returns the very same string when nothing needs escaping', () => {
  const s = 'plain text, nothing to do';
  assert.equal(escapeHtml(s), s);
});
