// Tests for src/handlers/file-cache.ts: the static handler's bounded LRU/TTL map (issue #5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from '../../src/handlers/file-cache.js';

test('entries expire after ttlMs on the injected clock', () => {
  let now = 0;
  const c = new LruCache<string>({ ttlMs: 100, maxEntries: 10, clock: () => now });
  c.set('a', 'A');
  now = 99;
  assert.equal(c.get('a'), 'A');
  now = 100;
  assert.equal(c.get('a'), undefined);
  assert.equal(c.size, 0);
});

test('the least recently used entry is evicted first', () => {
  const c = new LruCache<number>({ ttlMs: Infinity, maxEntries: 2 });
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1); // a is now the most recent
  c.set('c', 3);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.get('c'), 3);
});

test('the byte budget is enforced and oversized values are not kept', () => {
  const c = new LruCache<string>({ ttlMs: Infinity, maxEntries: 100, maxBytes: 10 });
  c.set('a', 'x', 4);
  c.set('b', 'y', 4);
  assert.equal(c.bytes, 8);
  c.set('c', 'z', 4); // 12 > 10: a goes
  assert.equal(c.get('a'), undefined);
  assert.equal(c.bytes, 8);
  c.set('huge', 'h', 11);
  assert.equal(c.get('huge'), undefined);
  assert.equal(c.bytes, 8);
});

test('replacing a key adjusts the byte count; delete and clear', () => {
  const c = new LruCache<string>({ ttlMs: Infinity, maxEntries: 10, maxBytes: 100 });
  c.set('a', 'x', 10);
  c.set('a', 'y', 30);
  assert.equal(c.bytes, 30);
  assert.equal(c.get('a'), 'y');
  assert.equal(c.delete('a'), true);
  assert.equal(c.delete('a'), false);
  assert.equal(c.bytes, 0);
  c.set('b', 'z', 5);
  c.clear();
  assert.equal(c.size, 0);
  assert.equal(c.bytes, 0);
});

test('maxEntries 0 keeps nothing', () => {
  const c = new LruCache<string>({ ttlMs: Infinity, maxEntries: 0 });
  c.set('a', 'x');
  assert.equal(c.get('a'), undefined);
});
