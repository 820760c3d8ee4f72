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
    // Issue #18 item 4: the single-pass escaper keeps the exact output at every position.
    { name: 'a special first', input: '<b', want: '&lt;b' },
    { name: 'a special last', input: 'b>', want: 'b&gt;' },
    { name: 'only specials, adjacent', input: `&<>"'\``, want: '&amp;&lt;&gt;&quot;&#39;&#96;' },
    { name: 'one special alone', input: '"', want: '&quot;' },
    { name: 'specials between non-ASCII and astral characters', input: 'é<😀>ß&', want: 'é&lt;😀&gt;ß&amp;' },
    { name: 'the TechEmpower script fortune', input: '<script>alert("This should not be displayed in a browser alert box.");</script>', want: '&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;' },
  ],
  escapeHtml,
);

test('escapeHtml returns the very same string when nothing needs escaping', () => {
  const s = 'plain text, nothing to do';
  assert.equal(escapeHtml(s), s);
});

test('escapeHtml matches a per-character reference on every string of a small alphabet', () => {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
  const reference = (t: string): string => [...t].map((c) => map[c] ?? c).join('');
  const alphabet = ['a', '&', '<', '>', '"', "'", '`', 'é', '😀'];
  // Every sequence of 0..4 symbols over the alphabet (9^4 = 6561 at the longest).
  let level = [''];
  let checked = 0;
  for (let len = 0; len <= 4; len++) {
    for (const s of level) {
      assert.equal(escapeHtml(s), reference(s), JSON.stringify(s));
      checked += 1;
    }
    level = level.flatMap((s) => alphabet.map((c) => s + c));
  }
  assert.equal(checked, 1 + 9 + 81 + 729 + 6561);
});
