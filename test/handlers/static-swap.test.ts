// Files swapped on disk after the static handler resolved (and cached) them (issue #12
// items 8 and 9): a symlink to a file outside the root, a directory swapped for a
// symlink, a FIFO. The path cache may remember the old file for `cacheTtlMs`, but the
// descriptor that is read must always be that file (src/handlers/static-file.ts).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Server } from '../../src/server/server.js';
import { staticHandler, type StaticOptions } from '../../src/handlers/static.js';
import { makeTree, request, type RawResponse, type Tree } from '../fixtures/static/harness.js';

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

/** The secret repeated to `bytes`: whatever part of it leaks, the marker is in it. */
function secretOf(bytes: number): string {
  return tree.secret.repeat(Math.ceil(bytes / tree.secret.length)).slice(0, bytes);
}

function assertNoLeak(r: RawResponse, label: string): void {
  assert.ok(!r.raw.toString('latin1').includes(tree.secret), `${label}: the file outside the root was served`);
}

/** A server whose path cache never expires during the test (the clock stands still). */
async function frozenServer(options: Partial<StaticOptions> = {}): Promise<Server> {
  const server = new Server(staticHandler({ root: tree.root, clock: () => 0, ...options }), { onError: () => {} });
  await server.listen(0, '127.0.0.1');
  return server;
}

/** Replaces root/rel by a symlink to an outside file holding `bytes` of the secret. */
function swapForOutsideLink(rel: string, bytes: number): void {
  const outside = path.join(tree.base, `outside-${rel.replace(/\W/g, '_')}`);
  fs.writeFileSync(outside, secretOf(bytes));
  const p = path.join(tree.root, rel);
  fs.unlinkSync(p);
  fs.symlinkSync(outside, p);
}

describe('a file swapped for a symlink out of the root after it was resolved (#12 item 8)', () => {
  const KIB = 1024;
  const rows: {
    name: string;
    /** File created in the root, then HEAD (resolved and cached), then swapped. */
    file: string;
    bytes: number;
    options?: Partial<StaticOptions>;
    headers?: Record<string, string>;
    want: number;
  }[] = [
    { name: 'small file (content cache miss)', file: 'a-small.txt', bytes: 100, want: 403 },
    { name: 'small file, content cache off', file: 'a-nocache.txt', bytes: 100, options: { cacheMaxBytes: 0 }, want: 403 },
    { name: 'large file (streamed)', file: 'a-large.bin', bytes: 1100 * KIB, want: 403 },
    { name: 'range request', file: 'a-range.txt', bytes: 100, headers: { Range: 'bytes=0-49' }, want: 403 },
    { name: 'multipart range request', file: 'a-multi.txt', bytes: 100, headers: { Range: 'bytes=0-9,20-29' }, want: 403 },
    { name: 'small file compressed on the fly', file: 'a-br-small.txt', bytes: 8 * KIB, options: { compress: true }, headers: { 'Accept-Encoding': 'br' }, want: 403 },
    { name: 'large file compressed on the fly', file: 'a-gz-large.txt', bytes: 200 * KIB, options: { compress: true }, headers: { 'Accept-Encoding': 'gzip' }, want: 403 },
  ];
  for (const row of rows) {
    test(`${row.name}: ${row.want}, nothing from outside`, async () => {
      fs.writeFileSync(path.join(tree.root, row.file), 'x'.repeat(row.bytes));
      const server = await frozenServer(row.options);
      try {
        // A plain HEAD resolves (and caches) the path without reading the file.
        assert.equal((await request(server.port, 'HEAD', `/${row.file}`)).status, 200);
        swapForOutsideLink(row.file, row.bytes);
        const r = await request(server.port, 'GET', `/${row.file}`, row.headers);
        assertNoLeak(r, row.name);
        assert.equal(r.status, row.want);
      } finally {
        await server.close();
      }
    });
  }

  test('a precompressed sibling swapped out: the identity file is sent instead', async () => {
    const server = await frozenServer({ precompressed: true });
    try {
      const headers = { 'Accept-Encoding': 'br' };
      assert.equal((await request(server.port, 'HEAD', '/app.js', headers)).headers['content-encoding'], 'br');
      swapForOutsideLink('app.js.br', 100);
      const r = await request(server.port, 'GET', '/app.js', headers);
      assertNoLeak(r, 'sibling');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.body.toString(), fs.readFileSync(path.join(tree.root, 'app.js'), 'utf8'));
    } finally {
      await server.close();
    }
  });

  test('a directory on the way swapped for a symlink out of the root: 403', async () => {
    const dir = path.join(tree.root, 'swapdir');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'page.txt'), 'inside page');
    const outsideDir = path.join(tree.base, 'outside-swapdir');
    fs.mkdirSync(outsideDir);
    fs.writeFileSync(path.join(outsideDir, 'page.txt'), secretOf(100));
    const server = await frozenServer();
    try {
      assert.equal((await request(server.port, 'HEAD', '/swapdir/page.txt')).status, 200);
      fs.renameSync(dir, path.join(tree.base, 'swapdir-old'));
      fs.symlinkSync(outsideDir, dir);
      const r = await request(server.port, 'GET', '/swapdir/page.txt');
      assertNoLeak(r, 'directory swap');
      assert.equal(r.status, 403);
    } finally {
      await server.close();
    }
  });

  test('a directory removed or replaced by a file within the cache TTL: 404, not 500', async () => {
    const rows = [
      { name: 'removed', dir: 'gone-dir', replace: (p: string) => fs.rmdirSync(p) },
      { name: 'replaced by a file', dir: 'file-now', replace: (p: string) => (fs.rmdirSync(p), fs.writeFileSync(p, 'x')) },
    ];
    for (const { name, dir, replace } of rows) {
      fs.mkdirSync(path.join(tree.root, dir));
      const server = await frozenServer({ listing: true });
      try {
        assert.equal((await request(server.port, 'GET', `/${dir}/`)).status, 200, name);
        replace(path.join(tree.root, dir));
        // The path cache still says "directory": the listing's readdir finds out.
        assert.equal((await request(server.port, 'GET', `/${dir}/`)).status, 404, name);
      } finally {
        await server.close();
      }
    }
  });

  test('a file replaced by a new version within the cache TTL is served with its own validators', async () => {
    const p = path.join(tree.root, 'deploy.txt');
    fs.writeFileSync(p, 'version one');
    const server = await frozenServer();
    try {
      const first = await request(server.port, 'HEAD', '/deploy.txt');
      // An atomic deploy: write a new file, rename it over the old one (a new inode).
      fs.writeFileSync(p + '.tmp', 'version two, longer');
      fs.renameSync(p + '.tmp', p);
      const r = await request(server.port, 'GET', '/deploy.txt');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'version two, longer');
      assert.equal(r.headers['content-length'], String('version two, longer'.length));
      assert.notEqual(r.headers.etag, first.headers.etag);
    } finally {
      await server.close();
    }
  });

  test('symlinks that stay inside the root still work after a swap inside the root', async () => {
    const server = await frozenServer();
    try {
      assert.equal((await request(server.port, 'GET', '/link-in.txt')).status, 200);
      fs.writeFileSync(path.join(tree.root, 'other.txt'), 'other inside');
      fs.unlinkSync(path.join(tree.root, 'link-in.txt'));
      fs.symlinkSync('other.txt', path.join(tree.root, 'link-in.txt'));
      const r = await request(server.port, 'GET', '/link-in.txt');
      // Within the TTL the cached target (hello.txt, inside) may still be served; either is fine.
      assert.equal(r.status, 200);
      assertNoLeak(r, 'inside swap');
    } finally {
      fs.unlinkSync(path.join(tree.root, 'link-in.txt'));
      fs.symlinkSync('hello.txt', path.join(tree.root, 'link-in.txt'));
      await server.close();
    }
  });
});

describe('FIFOs never block the thread pool (#12 item 9)', () => {
  const fifos: string[] = [];
  afterEach(() => {
    // Should a handler be blocked in open() (the bug), a writer end unblocks it, so the
    // process can still exit: O_RDWR on a FIFO never blocks on Linux.
    for (const p of fifos.splice(0)) {
      try {
        fs.closeSync(fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
      } catch {
        // Already gone.
      }
      fs.rmSync(p, { force: true });
    }
  });
  function mkfifo(p: string): void {
    fs.rmSync(p, { force: true });
    execFileSync('mkfifo', [p]);
    fifos.push(p);
  }

  test('a FIFO present from the start is 404', async () => {
    mkfifo(path.join(tree.root, 'pipe-from-start'));
    const server = await frozenServer();
    try {
      assert.equal((await request(server.port, 'GET', '/pipe-from-start')).status, 404);
    } finally {
      await server.close();
    }
  });

  test('files swapped for FIFOs after a HEAD are 404 and a regular file is still served', { timeout: 20_000 }, async () => {
    // More FIFOs than libuv's thread pool has threads (4 by default): with a blocking
    // open each would hold a thread for ever, and the regular file could never be read.
    const COUNT = 6;
    const names = Array.from({ length: COUNT }, (_, i) => `fifo-${i}.txt`);
    for (const name of names) fs.writeFileSync(path.join(tree.root, name), 'regular for now');
    const server = await frozenServer({ cacheMaxBytes: 0 });
    try {
      for (const name of names) assert.equal((await request(server.port, 'HEAD', `/${name}`)).status, 200);
      for (const name of names) mkfifo(path.join(tree.root, name));
      fs.writeFileSync(path.join(tree.root, 'after-fifos.txt'), 'still served');
      // The FIFO requests go first and are in flight when the regular one arrives.
      const fifoAnswers = names.map((name) => request(server.port, 'GET', `/${name}`));
      const regular = await request(server.port, 'GET', '/after-fifos.txt');
      assert.equal(regular.status, 200);
      assert.equal(regular.body.toString(), 'still served');
      for (const r of await Promise.all(fifoAnswers)) assert.equal(r.status, 404);
    } finally {
      await server.close();
    }
  });
});
