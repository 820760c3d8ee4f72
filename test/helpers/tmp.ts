/**
 * The one temporary-directory helper for tests (issue #14 item 9).
 *
 * Owns creating a fresh, private directory under the OS temp dir. The caller removes it
 * (`rmSync(dir, { recursive: true, force: true })` in a `finally` or `after`); this module
 * keeps no list of what it made and never deletes anything itself. Not a test file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory `<tmp>/keel-<label>-XXXXXX` (mode 0700, as mkdtemp makes it). */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `keel-${label}-`));
}
