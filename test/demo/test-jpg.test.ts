// src/demo/public/test.jpg: a well-formed baseline JPEG, exactly what scripts/make-jpeg.mjs makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/tmp.js';

const JPEG = readFileSync(new URL('../../src/demo/public/test.jpg', import.meta.url));

/** Walks the marker segments up to SOS (T.81 B.1.1): [marker, payload] pairs. */
function segments(bytes: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let i = 2;
  while (i < bytes.length) {
    assert.equal(bytes[i], 0xff, `marker expected at ${i}`);
    const marker = bytes[i + 1]!;
    const length = bytes.readUInt16BE(i + 2);
    out.push([marker, bytes.subarray(i + 4, i + 2 + length)]);
    if (marker === 0xda) break;
    i += 2 + length;
  }
  return out;
}

test('starts with SOI, ends with EOI, is JFIF baseline 160x120 with three components', () => {
  assert.deepEqual([...JPEG.subarray(0, 2)], [0xff, 0xd8]);
  assert.deepEqual([...JPEG.subarray(-2)], [0xff, 0xd9]);
  const segs = segments(JPEG);
  assert.deepEqual(segs.map(([m]) => m), [0xe0, 0xdb, 0xc0, 0xc4, 0xda]);
  assert.equal(segs[0]![1].subarray(0, 5).toString('latin1'), 'JFIF\0');
  const sof = segs[2]![1];
  assert.deepEqual({ precision: sof[0], height: sof.readUInt16BE(1), width: sof.readUInt16BE(3), components: sof[5] }, { precision: 8, height: 120, width: 160, components: 3 });
});

test('is reproduced byte for byte by scripts/make-jpeg.mjs', () => {
  const dir = tempDir('jpeg');
  try {
    const out = join(dir, 'test.jpg');
    const r = spawnSync(process.execPath, ['scripts/make-jpeg.mjs', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(out), JPEG);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
