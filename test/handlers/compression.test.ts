// Tests for src/handlers/compression.ts: the cap on on-the-fly compression streams and
// the server-tuned zlib settings (issue #12 item 7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import {
  compressBuffer,
  CompressionLimiter,
  compressorSettings,
  createCompressor,
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_BROTLI_WINDOW_BITS,
  DEFAULT_MAX_CONCURRENT_COMPRESSIONS,
} from '../../src/handlers/compression.js';

test('the limiter hands out at most max slots and never waits', () => {
  const limiter = new CompressionLimiter(2);
  const a = limiter.tryAcquire();
  const b = limiter.tryAcquire();
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(limiter.inUse, 2);
  assert.equal(limiter.hasFreeSlot, false);
  assert.equal(limiter.tryAcquire(), undefined);
  a();
  assert.equal(limiter.hasFreeSlot, true);
  assert.ok(limiter.tryAcquire() !== undefined);
});

test('releasing a slot twice frees it once', () => {
  const limiter = new CompressionLimiter(1);
  const a = limiter.tryAcquire()!;
  a();
  a();
  assert.equal(limiter.inUse, 0);
  const b = limiter.tryAcquire();
  assert.ok(b !== undefined);
  assert.equal(limiter.tryAcquire(), undefined, 'the double release did not create a second slot');
});

test('a limiter of 0 never hands out a slot', () => {
  assert.equal(new CompressionLimiter(0).tryAcquire(), undefined);
});

test('the default cap is DEFAULT_MAX_CONCURRENT_COMPRESSIONS', () => {
  const limiter = new CompressionLimiter();
  for (let i = 0; i < DEFAULT_MAX_CONCURRENT_COMPRESSIONS; i++) assert.ok(limiter.tryAcquire() !== undefined);
  assert.equal(limiter.tryAcquire(), undefined);
});

test('invalid settings are a RangeError at configuration time', () => {
  const rows: { name: string; input: () => unknown }[] = [
    { name: 'negative cap', input: () => new CompressionLimiter(-1) },
    { name: 'fractional cap', input: () => new CompressionLimiter(1.5) },
    { name: 'quality above 11', input: () => compressorSettings({ brotliQuality: 12 }) },
    { name: 'negative quality', input: () => compressorSettings({ brotliQuality: -1 }) },
    { name: 'window below 10 bits', input: () => compressorSettings({ brotliWindowBits: 9 }) },
    { name: 'window above 24 bits', input: () => compressorSettings({ brotliWindowBits: 25 }) },
  ];
  for (const row of rows) assert.throws(row.input, RangeError, row.name);
});

test('defaults: brotli quality 4, 18-bit window', () => {
  assert.deepEqual(compressorSettings(), { brotliQuality: DEFAULT_BROTLI_QUALITY, brotliWindowBits: DEFAULT_BROTLI_WINDOW_BITS });
  assert.equal(DEFAULT_BROTLI_QUALITY, 4);
  assert.equal(DEFAULT_BROTLI_WINDOW_BITS, 18);
});

test('compressed output round-trips, streamed and whole', async () => {
  const input = Buffer.from('all work and no play makes jack a dull boy\n'.repeat(5000));
  const settings = compressorSettings();
  for (const coding of ['br', 'gzip'] as const) {
    const whole = await compressBuffer(coding, input, settings);
    const back = coding === 'br' ? zlib.brotliDecompressSync(whole) : zlib.gunzipSync(whole);
    assert.ok(back.equals(input), `${coding} whole`);
    const stream = createCompressor(coding, settings);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    stream.end(input);
    await ended;
    const out = Buffer.concat(chunks);
    assert.ok((coding === 'br' ? zlib.brotliDecompressSync(out) : zlib.gunzipSync(out)).equals(input), `${coding} stream`);
  }
});
