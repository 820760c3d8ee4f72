// Tests for src/handlers/static-file.ts: a descriptor is only handed out for the very
// regular file that was resolved, inside the root (issue #12 items 8 and 9).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeQuietly, FileChangedError, openVerified, readExactly } from '../../src/handlers/static-file.js';
import { tempDir } from '../helpers/tmp.js';

let base: string;
let root: string;
let outside: string;
const isInside = (p: string): boolean => p.startsWith(root + '/');

before(() => {
  base = fs.realpathSync(tempDir('static-file'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'dir'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'file.txt'), 'inside');
  fs.writeFileSync(path.join(root, 'other.txt'), 'other');
  fs.writeFileSync(path.join(outside, 'file.txt'), 'outside');
  fs.symlinkSync(path.join(outside, 'file.txt'), path.join(root, 'link-out.txt'));
  fs.symlinkSync(outside, path.join(root, 'dir-out'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

test('the resolved regular file is opened and reads back', async () => {
  const p = path.join(root, 'file.txt');
  const { fd } = await openVerified(p, fs.lstatSync(p), isInside);
  try {
    assert.equal((await readExactly(fd, 6)).toString(), 'inside');
  } finally {
    await closeQuietly(fd);
  }
});

test('anything but the resolved file is FileChangedError', async () => {
  const file = path.join(root, 'file.txt');
  const rows: { name: string; input: { path: string; expected: () => fs.Stats } }[] = [
    // The last component became a symlink (O_NOFOLLOW), whatever stat was cached.
    { name: 'symlink in the last component', input: { path: path.join(root, 'link-out.txt'), expected: () => fs.statSync(path.join(root, 'link-out.txt')) } },
    // Opening a FIFO without a writer would block; O_NONBLOCK returns, fstat refuses it.
    { name: 'FIFO', input: { path: path.join(root, 'fifo'), expected: () => fs.statSync(path.join(root, 'fifo')) } },
    { name: 'another file (other inode)', input: { path: file, expected: () => fs.statSync(path.join(root, 'other.txt')) } },
    { name: 'same inode, other size', input: { path: file, expected: () => ({ ...fs.statSync(file), size: 5 }) as fs.Stats } },
    { name: 'same inode, other mtime', input: { path: file, expected: () => ({ ...fs.statSync(file), mtimeMs: 1 }) as fs.Stats } },
    { name: 'missing', input: { path: path.join(root, 'gone.txt'), expected: () => fs.statSync(file) } },
    // A directory on the way is a symlink out, and the expected stat is the outside
    // file's (as if stat had raced the swap too): the kernel's path of the descriptor
    // (/proc/self/fd) is what refuses it.
    { name: 'directory on the way leads outside', input: { path: path.join(root, 'dir-out', 'file.txt'), expected: () => fs.statSync(path.join(outside, 'file.txt')) } },
  ];
  for (const row of rows) {
    await assert.rejects(openVerified(row.input.path, row.input.expected(), isInside), FileChangedError, row.name);
  }
});

test("match 'inode': a new version of the same file is opened, with its own stat; anything else is still refused", async () => {
  const file = path.join(root, 'growing.txt');
  fs.writeFileSync(file, 'first');
  const resolved = fs.lstatSync(file);
  // Appended to after it was resolved: what a log file does all the time.
  fs.appendFileSync(file, ', second');
  const { fd, stat } = await openVerified(file, resolved, isInside, 'inode');
  try {
    assert.equal(stat.ino, resolved.ino);
    assert.equal(stat.size, 'first, second'.length);
    assert.equal((await readExactly(fd, stat.size)).toString(), 'first, second');
  } finally {
    await closeQuietly(fd);
  }
  const rows: { name: string; input: { path: string; expected: () => fs.Stats } }[] = [
    { name: 'another file (other inode)', input: { path: file, expected: () => fs.statSync(path.join(root, 'other.txt')) } },
    { name: 'symlink in the last component', input: { path: path.join(root, 'link-out.txt'), expected: () => fs.statSync(path.join(root, 'link-out.txt')) } },
    { name: 'FIFO', input: { path: path.join(root, 'fifo'), expected: () => fs.statSync(path.join(root, 'fifo')) } },
    { name: 'directory on the way leads outside', input: { path: path.join(root, 'dir-out', 'file.txt'), expected: () => fs.statSync(path.join(outside, 'file.txt')) } },
  ];
  for (const row of rows) {
    await assert.rejects(openVerified(row.input.path, row.input.expected(), isInside, 'inode'), FileChangedError, row.name);
  }
});

test('readExactly refuses a file shorter than its stat', async () => {
  const p = path.join(root, 'file.txt');
  const { fd } = await openVerified(p, fs.lstatSync(p), isInside);
  try {
    await assert.rejects(readExactly(fd, 100), FileChangedError);
  } finally {
    await closeQuietly(fd);
  }
});

test('no descriptor is left open by a refusal', async () => {
  const count = (): number => fs.readdirSync('/proc/self/fd').length;
  const before = count();
  for (let i = 0; i < 20; i++) {
    await assert.rejects(openVerified(path.join(root, 'fifo'), fs.statSync(path.join(root, 'fifo')), isInside), FileChangedError);
    await assert.rejects(openVerified(path.join(root, 'file.txt'), fs.statSync(path.join(root, 'other.txt')), isInside), FileChangedError);
  }
  assert.ok(count() <= before, `${count()} descriptors, ${before} before`);
});
