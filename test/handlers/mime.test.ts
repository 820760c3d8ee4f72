// Tests for src/handlers/mime.ts: the static handler's media-type table (issue #5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extensionOf, isCompressible, mimeType } from '../../src/handlers/mime.js';

const types: { name: string; input: string; want: string }[] = [
  { name: 'html', input: 'index.html', want: 'text/html; charset=utf-8' },
  { name: 'htm upper case', input: 'OLD.HTM', want: 'text/html; charset=utf-8' },
  { name: 'css', input: 'a/b/site.css', want: 'text/css; charset=utf-8' },
  { name: 'js (RFC 9239)', input: 'app.js', want: 'text/javascript; charset=utf-8' },
  { name: 'mjs', input: 'mod.mjs', want: 'text/javascript; charset=utf-8' },
  { name: 'json', input: 'data.json', want: 'application/json; charset=utf-8' },
  { name: 'svg', input: 'logo.svg', want: 'image/svg+xml; charset=utf-8' },
  { name: 'txt', input: 'notes.txt', want: 'text/plain; charset=utf-8' },
  { name: 'jpg', input: 'photo.JPG', want: 'image/jpeg' },
  { name: 'png', input: 'x.png', want: 'image/png' },
  { name: 'woff2', input: 'f.woff2', want: 'font/woff2' },
  { name: 'wasm', input: 'm.wasm', want: 'application/wasm' },
  { name: 'mp4', input: 'v.mp4', want: 'video/mp4' },
  { name: 'pdf', input: 'doc.pdf', want: 'application/pdf' },
  { name: 'double extension uses the last', input: 'a.tar.gz', want: 'application/gzip' },
  { name: 'no extension', input: 'README', want: 'application/octet-stream' },
  { name: 'dotfile has no extension', input: '.bashrc', want: 'application/octet-stream' },
  { name: 'unknown extension', input: 'x.qwerty', want: 'application/octet-stream' },
  { name: 'dot in directory only', input: 'a.d/file', want: 'application/octet-stream' },
];

for (const row of types) {
  test(`mimeType: ${row.name}`, () => {
    assert.equal(mimeType(row.input), row.want);
  });
}

test('extensionOf', () => {
  assert.equal(extensionOf('a.TXT'), 'txt');
  assert.equal(extensionOf('.env'), '');
  assert.equal(extensionOf('x/.env'), '');
  assert.equal(extensionOf('x.d/y'), '');
  assert.equal(extensionOf('trailing.'), '');
});

const compressible: { name: string; input: string; want: boolean }[] = [
  { name: 'html with charset', input: 'text/html; charset=utf-8', want: true },
  { name: 'javascript', input: 'text/javascript', want: true },
  { name: 'json', input: 'application/json', want: true },
  { name: 'svg', input: 'image/svg+xml; charset=utf-8', want: true },
  { name: 'vendor +json', input: 'application/vnd.api+json', want: true },
  { name: 'wasm', input: 'application/wasm', want: true },
  { name: 'jpeg', input: 'image/jpeg', want: false },
  { name: 'png', input: 'image/png', want: false },
  { name: 'woff2', input: 'font/woff2', want: false },
  { name: 'zip', input: 'application/zip', want: false },
  { name: 'octet-stream', input: 'application/octet-stream', want: false },
];

for (const row of compressible) {
  test(`isCompressible: ${row.name}`, () => {
    assert.equal(isCompressible(row.input), row.want);
  });
}
