// Finding the demo's assets from the package root, from source or from dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoPaths, findPackageRoot } from '../../src/demo/paths.js';
import { tempDir } from '../helpers/tmp.js';

test('demoPaths() points at the real asset directories', () => {
  const p = demoPaths();
  assert.equal(existsSync(join(p.publicDir, 'test.jpg')), true);
  assert.equal(existsSync(join(p.filesDir, 'README.txt')), true);
  assert.equal(existsSync(join(p.cgiDir, 'env.py')), true);
});

test('findPackageRoot walks up to the package named keel, skipping other manifests', () => {
  const dir = tempDir('paths');
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'keel' }));
    mkdirSync(join(dir, 'dist', 'demo', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'dist', 'demo', 'package.json'), '{ not json');
    assert.equal(findPackageRoot(join(dir, 'dist', 'demo', 'nested')), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
