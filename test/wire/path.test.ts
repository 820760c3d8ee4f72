// Tests for src/wire/path.ts: the one path normalizer (issue #5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePath, encodePath, normalizePath, splitSegments, type PathRefusal } from '../../src/wire/path.js';

const accepted: { name: string; input: string; want: string }[] = [
  { name: 'root', input: '/', want: '/' },
  { name: 'plain', input: '/a/b', want: '/a/b' },
  { name: 'trailing slash kept', input: '/a/b/', want: '/a/b/' },
  { name: 'dot segment', input: '/a/./b', want: '/a/b' },
  { name: 'dot-dot inside', input: '/a/b/../c', want: '/a/c' },
  { name: 'trailing dot-dot names a directory', input: '/a/b/..', want: '/a/' },
  { name: 'trailing dot names a directory', input: '/a/b/.', want: '/a/b/' },
  { name: 'back to root', input: '/a/..', want: '/' },
  { name: 'empty segments dropped', input: '//a///b//', want: '/a/b/' },
  { name: 'space decoded', input: '/a%20b', want: '/a b' },
  { name: 'percent decoded once', input: '/100%25', want: '/100%' },
  { name: 'double encoding stays literal', input: '/%252e%252e/x', want: '/%2e%2e/x' },
  { name: 'encoded dots resolve as dots', input: '/a/%2e%2e/b', want: '/b' },
  { name: 'mixed-case encoded dot', input: '/a/%2E/b', want: '/a/b' },
  { name: 'utf-8 escapes', input: '/caf%C3%A9', want: '/café' },
  { name: 'raw utf-8 bytes (latin1 string)', input: '/caf\xc3\xa9', want: '/café' },
  { name: 'four-byte utf-8', input: '/%F0%9F%90%B3', want: '/🐳' },
  { name: 'dot-prefixed names are not dot segments', input: '/...', want: '/...' },
  { name: 'dotfile kept (policy is the caller\'s)', input: '/.env', want: '/.env' },
  { name: 'plus is not a space in a path', input: '/a+b', want: '/a+b' },
  { name: 'colon and at', input: '/a:b@c', want: '/a:b@c' },
];

for (const row of accepted) {
  test(`normalizePath accepts: ${row.name}`, () => {
    assert.equal(normalizePath(row.input), row.want);
  });
}

const refused: { name: string; input: string; want: PathRefusal }[] = [
  { name: 'empty', input: '', want: 'not-absolute' },
  { name: 'relative', input: 'a/b', want: 'not-absolute' },
  { name: 'asterisk', input: '*', want: 'not-absolute' },
  { name: 'absolute-form URL', input: 'http://x/a', want: 'not-absolute' },
  { name: 'dot-dot above root', input: '/..', want: 'above-root' },
  { name: 'dot-dot climbing', input: '/a/../../etc/passwd', want: 'above-root' },
  { name: 'encoded dot-dot above root', input: '/%2e%2e/etc/passwd', want: 'above-root' },
  { name: 'half-encoded dot-dot', input: '/.%2e/x', want: 'above-root' },
  { name: 'encoded slash', input: '/a%2fb', want: 'encoded-separator' },
  { name: 'encoded slash upper', input: '/..%2F..%2Fetc', want: 'encoded-separator' },
  { name: 'encoded backslash', input: '/..%5c..%5cetc', want: 'encoded-separator' },
  { name: 'raw backslash', input: '/..\\..\\etc', want: 'backslash' },
  { name: 'encoded NUL', input: '/a%00.txt', want: 'control-char' },
  { name: 'raw NUL', input: '/a\x00', want: 'control-char' },
  { name: 'encoded newline', input: '/a%0d%0aSet-Cookie:x', want: 'control-char' },
  { name: 'raw tab', input: '/a\tb', want: 'control-char' },
  { name: 'DEL', input: '/a%7f', want: 'control-char' },
  { name: 'raw DEL', input: '/a\x7f', want: 'control-char' },
  { name: 'C1 control via utf-8', input: '/a%C2%85', want: 'control-char' },
  { name: 'truncated escape', input: '/a%2', want: 'bad-escape' },
  { name: 'lone percent', input: '/a%', want: 'bad-escape' },
  { name: 'non-hex escape', input: '/a%zz', want: 'bad-escape' },
  { name: 'overlong dot', input: '/%c0%ae%c0%ae/etc', want: 'invalid-utf8' },
  { name: 'overlong slash', input: '/..%c0%af..%c0%afetc', want: 'invalid-utf8' },
  { name: 'three-byte overlong dot', input: '/%e0%80%ae%e0%80%ae/x', want: 'invalid-utf8' },
  { name: 'lone continuation byte', input: '/%80', want: 'invalid-utf8' },
  { name: 'truncated sequence', input: '/%C3', want: 'invalid-utf8' },
  { name: 'UTF-16 surrogate encoded in UTF-8', input: '/%ED%A0%80', want: 'invalid-utf8' },
  { name: 'invalid raw byte', input: '/\xff', want: 'invalid-utf8' },
  { name: 'char above latin1', input: '/\u0100', want: 'non-latin1' },
];

for (const row of refused) {
  test(`normalizePath refuses: ${row.name}`, () => {
    assert.equal(normalizePath(row.input), null);
    assert.deepEqual(analyzePath(row.input), { ok: false, reason: row.want });
  });
}

test('normalizePath output is a fixed point (normalizing twice changes nothing once re-encoded)', () => {
  for (const row of accepted) {
    const once = normalizePath(row.input)!;
    assert.equal(normalizePath(encodePath(once)), once, row.name);
  }
});

test('normalizePath output never contains dot segments, empty segments or backslashes', () => {
  const inputs = ['/a/./b/../../c', '/x//./y/..', '/x/%2e/%2e%2e/a', '/a/b/c/../../..', '/./././'];
  for (const input of inputs) {
    const out = normalizePath(input);
    assert.ok(out !== null, input);
    const segs = out.split('/').slice(1, out.endsWith('/') ? -1 : undefined);
    for (const s of segs) {
      assert.notEqual(s, '.');
      assert.notEqual(s, '..');
      assert.notEqual(s, '');
    }
    assert.ok(!out.includes('\\'));
  }
});

test('splitSegments', () => {
  assert.deepEqual(splitSegments('/'), []);
  assert.deepEqual(splitSegments('/a/b/'), ['a', 'b']);
  assert.deepEqual(splitSegments('/a b/c'), ['a b', 'c']);
});

test('encodePath percent-encodes each segment and never yields a leading //', () => {
  assert.equal(encodePath('/a b/c?d#e'), '/a%20b/c%3Fd%23e');
  assert.equal(encodePath('/café/'), '/caf%C3%A9/');
  assert.equal(encodePath('/'), '/');
  // "//evil.example" cannot come out of normalizePath, and encoding keeps one slash.
  const n = normalizePath('//evil.example/')!;
  assert.equal(encodePath(n), '/evil.example/');
});

// Property tests: random paths built from traversal-shaped pieces (fast-check).
const PIECES = ['/', '//', '.', '..', '%2e', '%2E', '%2f', '%5c', '\\', '%00', '%c0%ae', '%e0%80%ae', '%25', '%', '%2', 'a', 'b.txt', '%20', '\xc3\xa9', '%C3%A9', '%ff', ';', '?', '#', ':'];

test('property: every accepted path stays under the root and is a fixed point', async () => {
  const fc = (await import('fast-check')).default;
  const posix = (await import('node:path')).posix;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), (parts) => {
      const raw = '/' + parts.join('');
      const out = normalizePath(raw);
      if (out === null) return;
      assert.ok(out.startsWith('/'), raw);
      assert.ok(!out.includes('\\') && !out.includes('\0'), raw);
      for (const seg of splitSegments(out)) assert.ok(seg !== '.' && seg !== '..', raw);
      // Joined under a root the way the static handler does, it never leaves it.
      assert.ok(posix.join('/srv/root', out).startsWith('/srv/root'), raw);
      assert.equal(normalizePath(encodePath(out)), out, raw);
    }),
    { numRuns: 5000 },
  );
});
