// Traversal corpus for the static handler over real sockets (issue #5, STYLE rule 12).
// A secret file sits beside the served root; no request below may return it (or
// /etc/passwd), and every answer must be 400, 403 or 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Server } from '../../src/server/server.js';
import { staticHandler } from '../../src/handlers/static.js';
import { makeTree, parseResponse, request, sendRaw, type Tree } from '../fixtures/static/harness.js';

/** Request-targets sent byte for byte (latin1). */
const TARGETS: string[] = [
  // Plain dot-dot
  '/../secret.txt',
  '/../../../../../../etc/passwd',
  '/./../secret.txt',
  '/sub/../../secret.txt',
  '/sub/../../../etc/passwd',
  '//../secret.txt',
  '/hello.txt/../../secret.txt',
  // Percent-encoded dots
  '/%2e%2e/secret.txt',
  '/%2E%2E/secret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/sub/%2e%2e/%2e%2e/secret.txt',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/.%2e/.%2e/secret.txt',
  // Encoded separators
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/%2e%2e%2fsecret.txt',
  '/..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/sub%2f..%2f..%2fsecret.txt',
  '/..%5csecret.txt',
  '/..%5C..%5Csecret.txt',
  '/%5c..%5csecret.txt',
  '/%2e%2e%5csecret.txt',
  // Raw backslashes
  '/..\\secret.txt',
  '/..\\..\\secret.txt',
  '/sub\\..\\..\\secret.txt',
  '/\\..\\secret.txt',
  // Double encoding (decoded once: these are literal names that do not exist)
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/..%252fsecret.txt',
  '/..%255csecret.txt',
  '/%25%32%65%25%32%65/secret.txt',
  // Overlong and invalid UTF-8
  '/%c0%ae%c0%ae/secret.txt',
  '/..%c0%afsecret.txt',
  '/%c0%ae%c0%ae%c0%afsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/%f0%80%80%ae%f0%80%80%ae/secret.txt',
  '/..%c1%9csecret.txt',
  '/%c0%2e%c0%2e/secret.txt',
  '/%uff0e%uff0e/secret.txt',
  '/..%u2215secret.txt',
  '/%ff%fe/../secret.txt',
  // NUL and control characters
  '/hello.txt%00.html',
  '/..%00/secret.txt',
  '/%00../secret.txt',
  '/link-out%00',
  '/..%0a/secret.txt',
  '/%0d%0a../secret.txt',
  '/..%09/secret.txt',
  '/..%7f/secret.txt',
  // Symlinks out of the root
  '/link-out',
  '/link-abs',
  '/link-dir-out/secret.txt',
  '/link-dir-out/',
  '/docs/link-dir-out/secret.txt',
  '/link-dir-out/../secret.txt',
  '/%6cink-out',
  // Dotfiles
  '/.env',
  '/.git/config',
  '/%2eenv',
  '/%2egit/config',
  '/docs/.hidden',
  '/.%2e%2f/secret.txt',
  // Odd shapes
  '/...',
  '/..../secret.txt',
  '/..;/secret.txt',
  '/file:///etc/passwd',
  '/C:%5cWindows%5cwin.ini',
  '/hello.txt::$DATA',
  '/secret.txt',
  '/root/../secret.txt',
  // Absolute-form targets (RFC 9112 §3.2.2): the path part is what counts.
  'http://127.0.0.1/../secret.txt',
  'http://127.0.0.1/%2e%2e/secret.txt',
  'http://127.0.0.1/..%2fsecret.txt',
  'http://evil.example/link-out',
];

/** Forbidden contents: the secret beside the root, /etc/passwd, the dotfiles. */
function assertNoLeak(body: Buffer, secret: string, label: string): void {
  const text = body.toString('latin1');
  assert.ok(!text.includes(secret), `${label}: secret leaked`);
  assert.ok(!text.includes('root:x:0:0'), `${label}: /etc/passwd leaked`);
  assert.ok(!text.includes('SECRET_ENV'), `${label}: .env leaked`);
  assert.ok(!text.includes('[core]'), `${label}: .git/config leaked`);
}

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

test('the corpus has at least 50 attempts', () => {
  assert.ok(TARGETS.length >= 50, String(TARGETS.length));
});

for (const mount of [
  { name: 'root mount', prefix: undefined, base: '' },
  { name: 'prefix mount', prefix: '/static', base: '/static' },
]) {
  describe(`traversal corpus (${mount.name})`, () => {
    let server: Server;
    before(async () => {
      server = new Server(staticHandler({ root: tree.root, listing: true, prefix: mount.prefix }), { onError: () => {} });
      await server.listen(0, '127.0.0.1');
    });
    after(() => server.close());

    for (const target of TARGETS) {
      const sent = target.startsWith('/') ? mount.base + target : target.replace(/^(http:\/\/[^/]+)/, `$1${mount.base}`);
      test(`${JSON.stringify(sent)} is refused`, async () => {
        for (const method of ['GET', 'HEAD']) {
          const r = await request(server.port, method, sent);
          assert.ok([400, 403, 404].includes(r.status), `${method} ${sent}: status ${r.status}`);
          assertNoLeak(r.raw, tree.secret, `${method} ${sent}`);
        }
        // A Range request must not find a way around it either.
        const ranged = await request(server.port, 'GET', sent, { Range: 'bytes=0-' });
        assert.ok([400, 403, 404].includes(ranged.status), `ranged ${sent}: ${ranged.status}`);
        assertNoLeak(ranged.raw, tree.secret, `ranged ${sent}`);
      });
    }
  });
}

describe('traversal corpus: specific answers', () => {
  let server: Server;
  before(async () => {
    server = new Server(staticHandler({ root: tree.root, listing: true }), { onError: () => {} });
    await server.listen(0, '127.0.0.1');
  });
  after(() => server.close());

  const rows: { name: string; input: string; want: number }[] = [
    { name: 'dot-dot above root', input: '/../secret.txt', want: 400 },
    { name: 'encoded dot-dot', input: '/%2e%2e/secret.txt', want: 400 },
    { name: 'encoded slash', input: '/..%2fsecret.txt', want: 400 },
    { name: 'backslash', input: '/..\\secret.txt', want: 400 },
    { name: 'NUL', input: '/hello.txt%00.html', want: 400 },
    { name: 'overlong UTF-8', input: '/%c0%ae%c0%ae/secret.txt', want: 400 },
    { name: 'double encoding is a literal name', input: '/%252e%252e/secret.txt', want: 404 },
    { name: 'symlink out (file)', input: '/link-out', want: 403 },
    { name: 'symlink out (absolute)', input: '/link-abs', want: 403 },
    { name: 'symlink out (directory)', input: '/link-dir-out/secret.txt', want: 403 },
    { name: 'dangling symlink', input: '/link-dangling', want: 404 },
    { name: 'dotfile', input: '/.env', want: 403 },
    { name: 'encoded dotfile', input: '/%2egit/config', want: 403 },
  ];
  for (const row of rows) {
    test(`${row.name}: ${row.want}`, async () => {
      assert.equal((await request(server.port, 'GET', row.input)).status, row.want);
    });
  }

  test('a symlink into a sibling whose name starts with the root\'s ("root-old") is out of the root: 403', async () => {
    // The containment test is by path segment (root-containment.ts, issue #14 item 5), not
    // by string prefix: base/root-old/... starts with "base/root" but is not under it.
    const sibling = `${tree.base}/root-old`;
    fs.mkdirSync(sibling, { recursive: true });
    fs.writeFileSync(`${sibling}/secret.txt`, tree.secret);
    fs.symlinkSync('../root-old', `${tree.root}/link-sibling`);
    try {
      for (const target of ['/link-sibling/secret.txt', '/link-sibling/']) {
        const r = await request(server.port, 'GET', target);
        assert.equal(r.status, 403, target);
        assertNoLeak(r.raw, tree.secret, target);
      }
    } finally {
      fs.unlinkSync(`${tree.root}/link-sibling`);
    }
  });

  test('a symlink swapped to point outside after a first request is refused', async () => {
    let now = 0;
    const s = new Server(staticHandler({ root: tree.root, clock: () => now }), { onError: () => {} });
    await s.listen(0, '127.0.0.1');
    try {
      const link = `${tree.root}/swap.txt`;
      fs.symlinkSync('hello.txt', link);
      assert.equal((await request(s.port, 'GET', '/swap.txt')).status, 200);
      fs.unlinkSync(link);
      fs.symlinkSync('../secret.txt', link);
      // Within the path cache's TTL the old, inside target may still be served...
      const cached = await request(s.port, 'GET', '/swap.txt');
      assertNoLeak(cached.raw, tree.secret, 'swap (cached)');
      // ...and once it has passed, the new target is checked and refused.
      now += 60_000;
      const r = await request(s.port, 'GET', '/swap.txt');
      assert.equal(r.status, 403);
      assertNoLeak(r.raw, tree.secret, 'swap');
    } finally {
      await s.close();
    }
  });

  test('pipelined traversal attempts on one connection leak nothing', async () => {
    const reqs = ['/../secret.txt', '/link-out', '/%2e%2e/secret.txt', '/hello.txt']
      .map((t) => `GET ${t} HTTP/1.1\r\nHost: x\r\n\r\n`)
      .join('');
    const raw = await sendRaw(server.port, reqs + 'GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assertNoLeak(raw, tree.secret, 'pipelined');
    // Parse the last response to make sure the connection stayed in sync.
    const last = raw.lastIndexOf('HTTP/1.1 ');
    assert.equal(parseResponse(raw.subarray(last)).status, 200);
  });
});
