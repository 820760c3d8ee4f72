// Tests for src/wire/target.ts: splitting the four request-target forms (RFC 9112 §3.2; issue #2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { splitTarget, targetAuthority } from '../../src/wire/index.js';

describe('splitTarget', () => {
  const rows = [
    { name: 'origin-form', input: '/a/b', want: { path: '/a/b', query: '' } },
    { name: 'origin-form with query', input: '/a?x=1&y=2', want: { path: '/a', query: 'x=1&y=2' } },
    { name: 'empty query', input: '/a?', want: { path: '/a', query: '' } },
    { name: 'second "?" belongs to the query', input: '/a?b?c', want: { path: '/a', query: 'b?c' } },
    { name: 'no decoding', input: '/a%20b?q=%2F', want: { path: '/a%20b', query: 'q=%2F' } },
    { name: '"://" inside an origin-form path is data', input: '/r/http://x/y?z', want: { path: '/r/http://x/y', query: 'z' } },
    { name: 'absolute-form', input: 'http://example.com/p/q?x=1', want: { path: '/p/q', query: 'x=1' } },
    { name: 'absolute-form, no path', input: 'http://example.com', want: { path: '/', query: '' } },
    { name: 'absolute-form, query but no path', input: 'http://example.com?x=1', want: { path: '/', query: 'x=1' } },
    { name: 'absolute-form, "/" only in the query', input: 'http://h?r=/x', want: { path: '/', query: 'r=/x' } },
    { name: 'absolute-form with port', input: 'https://h:8443/x', want: { path: '/x', query: '' } },
    { name: 'absolute-form, upper-case scheme', input: 'HTTP://H/X', want: { path: '/X', query: '' } },
    { name: 'asterisk-form', input: '*', want: { path: '*', query: '' } },
    { name: 'authority-form is left whole', input: 'example.com:443', want: { path: 'example.com:443', query: '' } },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.deepEqual(splitTarget(input), want));
});

describe('targetAuthority', () => {
  const rows = [
    { name: 'origin-form has none', input: '/a', want: undefined },
    { name: 'asterisk-form has none', input: '*', want: undefined },
    { name: 'authority-form (no scheme) has none', input: 'example.com:443', want: undefined },
    { name: 'absolute-form', input: 'http://example.com/p', want: 'example.com' },
    { name: 'absolute-form with port', input: 'http://example.com:8080/p', want: 'example.com:8080' },
    { name: 'absolute-form, no path', input: 'http://example.com', want: 'example.com' },
    { name: 'absolute-form, query first', input: 'http://example.com?x=/y', want: 'example.com' },
    { name: 'IPv6 literal', input: 'http://[::1]:80/', want: '[::1]:80' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(targetAuthority(input), want));
});
