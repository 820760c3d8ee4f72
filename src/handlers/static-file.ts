/**
 * Opening and reading the static handler's files: the only place it opens a descriptor
 * (issue #12 items 8 and 9).
 *
 * Owns `openVerified()`, which turns a path that was resolved (and checked to be inside
 * the root) into a descriptor of that very file, or refuses with `FileChangedError`;
 * and the small read helpers over the callback fs API. It must not decide anything
 * about HTTP, and it must not trust a path on its own: between the resolve and the
 * open, any component may have been swapped (a symlink to /etc/passwd, a FIFO).
 *
 * Theory of operation. A path is resolved with realpath + stat (possibly a second ago,
 * from the path cache); the open then re-checks everything that could have changed:
 *  - `O_NOFOLLOW`: the last component must not have become a symlink (ELOOP otherwise).
 *  - `O_NONBLOCK`: opening a FIFO or a device never blocks a thread-pool thread (a FIFO
 *    without a writer would otherwise block open(2) forever, and four of them stall
 *    every other file operation of the process). It changes nothing for regular files.
 *  - `fstat` of the descriptor: a regular file, with the device and inode that were
 *    resolved (and, for a cached resolution, the same size and mtime). An intermediate
 *    directory swapped for a symlink leads to another inode and is caught here; so is
 *    a file replaced, or edited in place since a cached resolution, whose cached
 *    validators would otherwise label the new bytes. The retry from a fresh resolve
 *    accepts a new version of the same inode and labels the answer with the fstat.
 *  - Where /proc exists (Linux), the kernel's own path of the open descriptor
 *    (/proc/self/fd/N) must be inside the root: this closes the window between realpath
 *    and open that no path-based check can close without openat(2).
 */

import * as fs from 'node:fs';

/**
 * Thrown when a file is not (or no longer) the one that was resolved: replaced, turned
 * into a symlink or a FIFO, edited, or shrunk while it was being sent.
 */
export class FileChangedError extends Error {
  /** Stable code for logs and tests (docs/errors.md). */
  readonly code = 'ERR_FILE_CHANGED';
  constructor(detail = 'file changed while being sent') {
    super(detail);
    this.name = 'FileChangedError';
  }
}

/**
 * Flags of every open: read-only, never follow a symlink in the last component
 * (O_NOFOLLOW), never block on a FIFO or device (O_NONBLOCK). Node opens with
 * O_CLOEXEC already.
 */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/** Where the kernel lists this process's descriptors with their paths (Linux). */
const PROC_FD_DIR = '/proc/self/fd';
let hasProcFd: boolean | undefined;

function openAsync(p: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(p, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}
function fstatAsync(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, s) => (err ? reject(err) : resolve(s))));
}
/** The path the kernel has for `fd`, or undefined where /proc is not available. */
function descriptorPath(fd: number): Promise<string | undefined> {
  hasProcFd ??= fs.existsSync(PROC_FD_DIR);
  if (!hasProcFd) return Promise.resolve(undefined);
  return new Promise((resolve, reject) =>
    fs.readlink(`${PROC_FD_DIR}/${fd}`, (err, p) => (err ? reject(err) : resolve(p))),
  );
}

/** Reads into `buf` at `position`; resolves with the bytes read (0 at end of file). */
export function readAsync(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

/**
 * Closes fd, ignoring errors: a close error leaves nothing to recover and the descriptor
 * is released either way. Awaited, so a handler settles only once it is really closed.
 */
export function closeQuietly(fd: number): Promise<void> {
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}

/** What `openVerified()` checks the opened file against: the stat that was resolved. */
export type ExpectedFile = Pick<fs.Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

/**
 * How much of the resolved stat the opened file must match:
 *  - 'version': the same file at the same version (device, inode, size, mtime). For a
 *    resolution that may be a second old (the path cache), whose size and dates label
 *    the answer: a file edited since is refused, and the request resolved again.
 *  - 'inode': the same file (device, inode), in whatever version it has now. For the
 *    retry from a fresh resolve: a file that is being written (a log appended to) keeps
 *    changing between any lookup and any open, so its answer takes its size and dates
 *    from the descriptor's fstat instead (`OpenedFile.stat`). A different inode is still
 *    a swap, and refused.
 */
export type FileMatch = 'version' | 'inode';

/** A descriptor from `openVerified()` and its fstat, taken after the checks. */
export interface OpenedFile {
  readonly fd: number;
  /** The opened file as it is now: the size and dates an answer from this fd must use. */
  readonly stat: fs.Stats;
}

function isSameFile(a: fs.Stats, b: ExpectedFile, match: FileMatch): boolean {
  if (a.dev !== b.dev || a.ino !== b.ino) return false;
  return match === 'inode' || (a.size === b.size && a.mtimeMs === b.mtimeMs);
}

/**
 * Opens `realPath` for reading, and resolves with its descriptor (and fstat) only if it
 * is still the regular file `expected` describes (as far as `match` asks) and, where
 * /proc tells, still inside the root. Otherwise rejects with `FileChangedError` (the
 * descriptor, if any, is closed first). Other I/O errors (EACCES, EMFILE, EIO) are
 * passed on as they are.
 */
export async function openVerified(
  realPath: string,
  expected: ExpectedFile,
  isInsideRoot: (p: string) => boolean,
  match: FileMatch = 'version',
): Promise<OpenedFile> {
  let fd: number;
  try {
    fd = await openAsync(realPath, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ELOOP: the last component is now a symlink (EMLINK on some BSDs); ENOENT/ENOTDIR:
    // it was removed or a directory on the way was replaced.
    if (code === 'ELOOP' || code === 'EMLINK' || code === 'ENOENT' || code === 'ENOTDIR') throw new FileChangedError('file replaced');
    throw err;
  }
  try {
    // Both on the thread pool at once: one round trip of latency, not two.
    const [stat, where] = await Promise.all([fstatAsync(fd), descriptorPath(fd)]);
    if (!stat.isFile() || !isSameFile(stat, expected, match)) throw new FileChangedError('file replaced');
    // A deleted file reads "path (deleted)": still checked by its directory prefix.
    if (where !== undefined && !isInsideRoot(where)) throw new FileChangedError('file moved outside the root');
    return { fd, stat };
  } catch (err) {
    await closeQuietly(fd);
    throw err;
  }
}

/**
 * Reads exactly `size` bytes from the start of fd. A file that ends sooner shrank after
 * it was checked: `FileChangedError`, never a short buffer labelled with the old size.
 */
export async function readExactly(fd: number, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let n = 0;
  // read(2) may return less than asked; loop until full.
  while (n < size) {
    const got = await readAsync(fd, buf.subarray(n), size - n, n);
    if (got === 0) throw new FileChangedError();
    n += got;
  }
  return buf;
}
