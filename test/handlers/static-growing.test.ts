// A file that changes between the static handler's lookup and its open, twice within one
// request (a log being appended to): the retry from a fresh resolve serves the file as it
// is when opened, with the size, dates and ETag of the descriptor's fstat, where it used
// to answer 500 (silently). Only a swap to another inode, a non-regular file or a path out
// of the root is refused, and that 500 reaches the server's onError.
//
// The change is driven from the test, with no sleeps: `fs.lstat` (the last step of every
// resolve, src/handlers/static-resolve.ts) is wrapped so that, for the file under test, a
// change is made on disk after lstat has answered and before the handler opens the file.
import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Server } from '../../src/server/server.js';
import { FileChangedError, staticHandler, type StaticOptions } from '../../src/handlers/static.js';
import { makeTree, request, type RawResponse, type Tree } from '../fixtures/static/harness.js';

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

const KIB = 1024;

/**
 * Runs `fn` with every `fs.lstat` of `file` followed by `change(n)` (n = 1, 2, ...: the
 * how-many-th lookup of it) before its caller sees the answer.
 */
async function withChangeAfterLookup<T>(file: string, change: (n: number) => void, fn: () => Promise<T>): Promise<T> {
  const original = fsModule.lstat;
  let n = 0;
  const wrapped = ((p: fs.PathLike, ...rest: unknown[]): void => {
    const cb = rest[rest.length - 1] as (err: NodeJS.ErrnoException | null, s?: fs.Stats) => void;
    const args = rest.slice(0, -1);
    (original as (...a: unknown[]) => void)(p, ...args, (err: NodeJS.ErrnoException | null, s?: fs.Stats) => {
      if (err === null && String(p) === file) change(++n);
      cb(err, s);
    });
  }) as typeof fs.lstat;
  mock.method(fsModule, 'lstat', wrapped);
  // `import * as fs` in src/ reads the ESM bindings: bring them in line with the mock.
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    mock.restoreAll();
    syncBuiltinESMExports();
  }
}

/** The ETag the handler derives from a stat (static-send.ts `fileEtag`). */
function etagOf(stat: fs.Stats): string {
  return `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.round(stat.mtimeMs * 1000).toString(36)}"`;
}

function decoded(r: RawResponse): Buffer {
  const coding = r.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(r.body);
  if (coding === 'gzip') return gunzipSync(r.body);
  return r.body;
}

async function withServer<T>(options: Partial<StaticOptions>, fn: (port: number, errors: unknown[]) => Promise<T>): Promise<T> {
  const errors: unknown[] = [];
  // The clock stands still: a resolution is cached for the whole test, as under load.
  const server = new Server(staticHandler({ root: tree.root, clock: () => 0, ...options }), { onError: (err) => errors.push(err) });
  await server.listen(0, '127.0.0.1');
  try {
    return await fn(server.port, errors);
  } finally {
    await server.close();
  }
}

describe('a file appended to between lookup and open, twice in one request, is served as opened (review of #12 item 8)', () => {
  // GET only: a plain HEAD opens nothing and describes the file as it was looked up.
  const rows: {
    name: string;
    file: string;
    bytes: number;
    options?: Partial<StaticOptions>;
    headers?: Record<string, string>;
    want: { status: number; coding?: string; range?: [number, number] };
  }[] = [
    { name: 'small file (content cache)', file: 'g-small.log', bytes: 100, want: { status: 200 } },
    { name: 'small file, content cache off', file: 'g-nocache.log', bytes: 100, options: { cacheMaxBytes: 0 }, want: { status: 200 } },
    { name: 'path cache off', file: 'g-nottl.log', bytes: 100, options: { cacheTtlMs: 0 }, want: { status: 200 } },
    { name: 'large file (streamed)', file: 'g-large.log', bytes: 1100 * KIB, want: { status: 200 } },
    { name: 'range request', file: 'g-range.log', bytes: 100, headers: { Range: 'bytes=10-19' }, want: { status: 206, range: [10, 19] } },
    { name: 'small file compressed on the fly', file: 'g-br.txt', bytes: 8 * KIB, options: { compress: true }, headers: { 'Accept-Encoding': 'br' }, want: { status: 200, coding: 'br' } },
    { name: 'large file compressed on the fly', file: 'g-gz.txt', bytes: 200 * KIB, options: { compress: true }, headers: { 'Accept-Encoding': 'gzip' }, want: { status: 200, coding: 'gzip' } },
  ];
  for (const row of rows) {
    test(`${row.name}: ${row.want.status}, size and validators of the file opened, nothing reported`, async () => {
      const p = path.join(tree.root, row.file);
      fs.writeFileSync(p, 'x'.repeat(row.bytes));
      await withServer(row.options ?? {}, async (port, errors) => {
        const r = await withChangeAfterLookup(p, (n) => fs.appendFileSync(p, `appended line ${n}\n`), () => request(port, 'GET', `/${row.file}`, row.headers));
        const now = fs.statSync(p);
        const content = fs.readFileSync(p);
        // Both lookups were followed by a change: the first attempt and the retry.
        assert.ok(content.toString().includes('appended line 2'), 'the file changed twice');
        assert.equal(r.status, row.want.status);
        assert.deepEqual(errors, []);
        assert.equal(r.headers['last-modified'], now.mtime.toUTCString());
        if (row.want.coding !== undefined) {
          assert.equal(r.headers['content-encoding'], row.want.coding);
          assert.equal(r.headers.etag, `W/${etagOf(now).slice(0, -1)}-${row.want.coding === 'br' ? 'br' : 'gz'}"`);
          assert.deepEqual(decoded(r), content);
          return;
        }
        assert.equal(r.headers.etag, etagOf(now));
        if (row.want.range !== undefined) {
          const [start, end] = row.want.range;
          assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${now.size}`);
          assert.deepEqual(r.body, content.subarray(start, end + 1));
          return;
        }
        assert.equal(r.headers['content-length'], String(now.size));
        assert.deepEqual(r.body, content);
      });
    });
  }
});

describe('a file swapped again within the retry is still refused, and the 500 reaches onError', () => {
  const rows: { name: string; file: string; swap: (p: string) => void }[] = [
    {
      name: 'a new version renamed over it (another inode)',
      file: 's-inode.txt',
      swap: (p) => {
        fs.writeFileSync(p + '.tmp', 'new inode');
        fs.renameSync(p + '.tmp', p);
      },
    },
    {
      name: 'a symlink to a file out of the root',
      file: 's-link.txt',
      swap: (p) => {
        fs.unlinkSync(p);
        fs.symlinkSync(path.join(tree.base, 'secret.txt'), p);
      },
    },
  ];
  for (const row of rows) {
    test(`${row.name}: 500 with ERR_FILE_CHANGED reported, nothing from outside`, async () => {
      const p = path.join(tree.root, row.file);
      fs.writeFileSync(p, 'first version');
      await withServer({}, async (port, errors) => {
        // The first lookup sees the file appended to (so the first attempt is stale), the
        // retry's lookup sees the swap.
        const change = (n: number): void => (n === 1 ? fs.appendFileSync(p, ' more') : n === 2 ? row.swap(p) : undefined);
        const r = await withChangeAfterLookup(p, change, () => request(port, 'GET', `/${row.file}`));
        assert.equal(r.status, 500);
        assert.ok(!r.raw.toString('latin1').includes(tree.secret), 'the file outside the root was served');
        assert.equal(errors.length, 1);
        assert.ok(errors[0] instanceof FileChangedError, 'the error itself, not a wrapper');
        assert.equal(errors[0].code, 'ERR_FILE_CHANGED');
      });
    });
  }
});
