/**
 * Running a piece of a test without the privileges that bypass file permissions, so a
 * mode-000 file is really unreadable: as root (which reads anything) the effective uid
 * and gid drop to nobody for the call and come back after it (the saved set-user-ID
 * stays 0); as any other user the call just runs. Not a test file itself.
 */
import { chmodSync } from 'node:fs';

/** The uid and gid of `nobody` on Linux. */
const NOBODY_ID = 65534;

/** The `skip` option of a test that needs permissions to apply: a reason where they cannot, else undefined. */
export const skipWithoutPermissions =
  typeof process.getuid !== 'function' || typeof process.seteuid !== 'function'
    ? 'file permissions and seteuid are POSIX-only'
    : undefined;

/**
 * Runs `fn` with file permissions enforced. `dirs` are made searchable by everyone
 * (0755) first, so nobody reaches the paths inside them: mkdtemp creates 0700 directories.
 */
export async function asUnprivileged<T>(dirs: readonly string[], fn: () => Promise<T> | T): Promise<T> {
  if (process.getuid!() !== 0) return fn();
  for (const d of dirs) chmodSync(d, 0o755);
  // gid first: once the uid is nobody, setegid would be refused.
  process.setegid!(NOBODY_ID);
  process.seteuid!(NOBODY_ID);
  try {
    return await fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
  }
}
