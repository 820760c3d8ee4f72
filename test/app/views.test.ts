import { test } from 'node:test';
import assert from 'node:assert/strict';
import { html, raw, layout, escapeHtml, SafeHtml, type HtmlValue } from '../../src/app/views.js';
import { App } from '../../src/app/index.js';

const rows: Array<{ name: string; input: HtmlValue; want: string }> = [
  { name: 'text is escaped', input: `<script>alert("x" + 'y')</script> & \``, want: '&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; &#96;' },
  { name: 'numbers', input: 42, want: '42' },
  { name: 'null, undefined and booleans render nothing', input: [null, undefined, false, true], want: '' },
  { name: 'arrays are joined and escaped', input: ['<a>', 'b'], want: '&lt;a&gt;b' },
  { name: 'raw() is not escaped', input: raw('<hr>'), want: '<hr>' },
  { name: 'nested html is not escaped twice', input: html`<b>${'&'}</b>`, want: '<b>&amp;</b>' },
  { name: 'already-escaped text is escaped again (it is text)', input: '&amp;', want: '&amp;amp;' },
];
for (const r of rows) {
  test(`html: ${r.name}`, () => {
    assert.equal(html`${r.input}`.value, r.want);
  });
}

test('attribute values are escaped', () => {
  const v = html`<a href="${'" onclick="x'}">${'t'}</a>`;
  assert.equal(v.value, '<a href="&quot; onclick=&quot;x">t</a>');
});

test('lists of nested templates', () => {
  const items = ['<1>', '2'].map((t) => html`<li>${t}</li>`);
  assert.equal(String(html`<ul>${items}</ul>`), '<ul><li>&lt;1&gt;</li><li>2</li></ul>');
});

test('layouts wrap content without escaping it', () => {
  const page = layout<{ title: string }>((content, { title }) => html`<title>${title}</title><main>${content}</main>`);
  const out = page(html`<p>${'<x>'}</p>`, { title: 'A & B' });
  assert.ok(out instanceof SafeHtml);
  assert.equal(out.value, '<title>A &amp; B</title><main><p>&lt;x&gt;</p></main>');
});

test('escapeHtml returns the same string when nothing needs escaping', () => {
  const s = 'plain text';
  assert.equal(escapeHtml(s), s);
});

test('ctx.html sends a SafeHtml with the HTML type', async () => {
  const app = new App();
  app.get('/:name', (ctx) => ctx.html(html`<h1>Hello, ${ctx.params.name}</h1>`));
  const res = await app.request('/%3Cb%3E');
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(await res.text(), '<h1>Hello, &lt;b&gt;</h1>');
});
