/**
 * The one temporary-directory helper for tests (issue #14 item 9).
 *
 * Owns creating a fresh, private directory under the OS temp dir, and `withTempDir`,
 * which removes it when the test body settles. With bare `tempDir` the caller removes it
 * (`rmSync(dir, { recursive: true, force: true })` in a `finally` or `after`); this module
 * keeps no list of what it made. Not a test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory `<tmp>/keel-<label>-XXXXXX` (mode 0700, as mkdtemp makes it). */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `keel-${label}-`));
}

/** Runs `fn` with a new temp directory and removes it afterwards, whether `fn` resolved or threw. */
export async function withTempDir<T>(label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir(label);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
