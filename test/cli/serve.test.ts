// Tests for src/cli/serve.ts: `keel serve` flags, access log, CGI mount (issue #5).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { clfDate, escapeLogField, parseServeArgs, serveCommand, startServe, type ServeConfig } from '../../src/cli/serve.js';
import { UsageError, parseCommandLine } from '../../src/cli/args.js';
import { asUnprivileged, skipWithoutPermissions } from '../helpers/unprivileged.js';
import { withTempDir } from '../helpers/tmp.js';
import { hostUrl } from '../../src/cli/command.js';
import { HELLO, makeTree, request, type Tree } from '../fixtures/static/harness.js';

const DEFAULTS: ServeConfig = {
  dir: '.',
  port: 8000,
  host: '127.0.0.1',
  cors: false,
  spa: false,
  gzip: false,
  listing: true,
  cacheSeconds: undefined,
  dotfiles: 'deny',
  cgiDir: undefined,
  cgiPrefix: '/cgi-bin',
  quiet: false,
};

const rows: { name: string; input: string[]; want: Partial<ServeConfig> }[] = [
  { name: 'defaults', input: [], want: {} },
  { name: 'dir and port', input: ['public', '--port', '9000'], want: { dir: 'public', port: 9000 } },
  { name: '--port=N form', input: ['--port=0'], want: { port: 0 } },
  { name: 'short flags', input: ['-p', '8080', '-b', '0.0.0.0', '-d', 'site'], want: { port: 8080, host: '0.0.0.0', dir: 'site' } },
  { name: '--host and --bind', input: ['--bind', '::1'], want: { host: '::1' } },
  { name: 'python style bare port', input: ['8081'], want: { port: 8081 } },
  {
    name: 'booleans',
    input: ['--cors', '--spa', '--gzip', '--no-listing'],
    want: { cors: true, spa: true, gzip: true, listing: false },
  },
  { name: 'cache seconds', input: ['--cache', '3600'], want: { cacheSeconds: 3600 } },
  { name: 'dotfiles', input: ['--dotfiles', 'allow'], want: { dotfiles: 'allow' } },
  { name: 'cgi dir and prefix', input: ['--cgi-dir', 'scripts', '--cgi-prefix', '/run/'], want: { cgiDir: 'scripts', cgiPrefix: '/run' } },
  { name: 'python --cgi', input: ['site', '--cgi'], want: { dir: 'site', cgiDir: path.join('site', 'cgi-bin') } },
  { name: 'quiet', input: ['-q'], want: { quiet: true } },
  { name: '--single is --spa, --bind=H is --host', input: ['--single', '--bind=::'], want: { spa: true, host: '::' } },
  { name: 'the last of a repeated option wins', input: ['-p', '1', '--port', '2'], want: { port: 2 } },
  { name: 'after --, a dash-leading argument is the directory', input: ['--', '-site'], want: { dir: '-site' } },
];

for (const row of rows) {
  test(`parseServeArgs: ${row.name}`, () => {
    assert.deepEqual(parseServeArgs(row.input), { ...DEFAULTS, ...row.want });
  });
}

const errors: { name: string; input: string[]; want: RegExp }[] = [
  { name: 'unknown flag', input: ['--nope'], want: /^unknown option --nope$/ },
  { name: 'a typo of a flag', input: ['--prot', '8031'], want: /^unknown option --prot$/ },
  { name: 'bad port', input: ['--port', '70000'], want: /^--port must be a whole number from 0 to 65535, got "70000"$/ },
  { name: 'port needs a value', input: ['--port'], want: /^option --port needs a value \(N\)$/ },
  { name: 'a flag given a value', input: ['--cors=yes'], want: /^option --cors takes no value$/ },
  { name: 'negative cache', input: ['--cache', '-1'], want: /^--cache must be a whole number of seconds, got "-1"$/ },
  { name: 'cache not a number', input: ['--cache', 'soon'], want: /^--cache must be a whole number of seconds, got "soon"$/ },
  { name: 'bad dotfiles', input: ['--dotfiles', 'maybe'], want: /^--dotfiles must be deny, ignore or allow, got "maybe"$/ },
  { name: 'two directories', input: ['a', 'b'], want: /^unexpected argument "b"$/ },
  { name: 'a directory and --directory', input: ['a', '-d', 'b'], want: /^unexpected argument "a"/ },
  { name: 'cgi prefix at root', input: ['--cgi-prefix', '/'], want: /^--cgi-prefix must be a path below \// },
  { name: 'cgi prefix traversal', input: ['--cgi-prefix', '/../x'], want: /^--cgi-prefix must be a path below \// },
];

for (const row of errors) {
  test(`parseServeArgs refuses: ${row.name}`, () => {
    assert.throws(() => parseServeArgs(row.input), (err: unknown) => err instanceof UsageError && row.want.test(err.message));
  });
}

test('serve checks at start that DIR and --cgi-dir can be read (#13 item 5)', { skip: skipWithoutPermissions }, async () => {
  // An unreadable root used to start and then fail every request.
  await withTempDir('serve-perm', async (dir) => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o000 });
    fs.mkdirSync(path.join(dir, 'open'));
    // Listable but not searchable: its files cannot be opened.
    const noSearch = path.join(dir, 'no-search');
    fs.mkdirSync(noSearch, { mode: 0o644 });
    // Searchable but not listable: files open by name; only a listing needs to read it.
    const searchOnly = path.join(dir, 'search-only');
    fs.mkdirSync(searchOnly, { mode: 0o711 });
    const refused = [
      { name: 'DIR', input: [locked], want: `directory ${locked} is not readable (permission denied)` },
      { name: 'DIR without search permission', input: [noSearch], want: `directory ${noSearch} is not readable (permission denied)` },
      { name: 'DIR not listable, with listings', input: [searchOnly], want: `directory ${searchOnly} is not readable (permission denied)` },
      { name: '--cgi-dir', input: [path.join(dir, 'open'), '--cgi-dir', locked], want: `CGI directory ${locked} is not readable (permission denied)` },
    ];
    for (const { name, input, want } of refused) {
      const args = parseCommandLine(input, serveCommand);
      await asUnprivileged([dir], () => assert.throws(() => serveCommand.prepare(args), { message: want }, name));
    }
    const accepted = [
      { name: 'DIR not listable, --no-listing', input: [searchOnly, '--no-listing'] },
      { name: '--cgi-dir not listable', input: [path.join(dir, 'open'), '--cgi-dir', searchOnly] },
    ];
    for (const { name, input } of accepted) {
      const args = parseCommandLine(input, serveCommand);
      await asUnprivileged([dir], () => assert.equal(typeof serveCommand.prepare(args), 'function', name));
    }
  });
});

test('clfDate and hostUrl', () => {
  assert.equal(clfDate(Date.UTC(2000, 9, 10, 13, 55, 36)), '[10/Oct/2000:13:55:36 +0000]');
  assert.equal(hostUrl('127.0.0.1', 8000), 'http://127.0.0.1:8000/');
  assert.equal(hostUrl('::1', 8000), 'http://[::1]:8000/');
});

test('escapeLogField neutralizes quotes, backslashes and control bytes', () => {
  assert.equal(escapeLogField('GET /a"b\\c\r\nX HTTP/1.1'), 'GET /a\\x22b\\x5cc\\x0d\\x0aX HTTP/1.1');
  assert.equal(escapeLogField('GET /caf\xc3\xa9'), 'GET /caf\\xc3\\xa9');
});

let tree: Tree;
let running: Awaited<ReturnType<typeof startServe>>;
const out: string[] = [];
const log: string[] = [];
/** Resolvers waiting for the next access-log line. */
let onLog: (() => void) | undefined;

before(async () => {
  tree = makeTree();
  const cgiDir = path.join(tree.base, 'cgi');
  fs.mkdirSync(cgiDir);
  fs.writeFileSync(path.join(cgiDir, 'hi.sh'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nfrom cgi %s" "$PATH_INFO"\n', { mode: 0o755 });
  const config = parseServeArgs([tree.root, '--port', '0', '--cgi-dir', cgiDir, '--cache', '60']);
  running = await startServe(
    config,
    (l) => out.push(l),
    (l) => {
      log.push(l);
      onLog?.();
    },
  );
});
after(async () => {
  await running.close();
  tree.cleanup();
});

/** The access-log line written for the next completed request. */
function nextLogLine(): Promise<string> {
  const n = log.length;
  return new Promise((resolve) => {
    const check = (): void => {
      if (log.length > n) {
        onLog = undefined;
        resolve(log[n]!);
      }
    };
    onLog = check;
    check();
  });
}

test('prints the URL it serves on', () => {
  assert.equal(out.length, 1);
  assert.match(out[0]!, new RegExp(`^Serving HTTP on 127\\.0\\.0\\.1 port ${running.server.port} \\(http://127\\.0\\.0\\.1:${running.server.port}/\\) from .+ \\.\\.\\.$`));
  assert.equal(running.url, `http://127.0.0.1:${running.server.port}/`);
});

test('serves files with the configured cache and logs a CLF line with the byte count', async () => {
  const line = nextLogLine();
  const r = await request(running.server.port, 'GET', '/hello.txt');
  assert.equal(r.body.toString(), HELLO);
  assert.equal(r.headers['cache-control'], 'public, max-age=60');
  assert.match(
    await line,
    new RegExp(`^127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] "GET /hello\\.txt HTTP/1\\.1" 200 ${Buffer.byteLength(HELLO)}$`),
  );
});

test('HEAD and 304 are logged with "-" bytes; 404 with its body size', async () => {
  let line = nextLogLine();
  await request(running.server.port, 'HEAD', '/hello.txt');
  assert.match(await line, /"HEAD \/hello\.txt HTTP\/1\.1" 200 -$/);
  line = nextLogLine();
  await request(running.server.port, 'GET', '/nope');
  assert.match(await line, /"GET \/nope HTTP\/1\.1" 404 14$/);
});

test('a hostile target cannot forge a log line', async () => {
  const line = nextLogLine();
  await request(running.server.port, 'GET', '/a"b\\c');
  const text = await line;
  assert.ok(!text.includes('"b'), text);
  assert.match(text, /"GET \/a\\x22b\\x5cc HTTP\/1\.1" 400 /);
});

test('directory listing is on by default', async () => {
  const r = await request(running.server.port, 'GET', '/docs/');
  assert.equal(r.status, 200);
  assert.match(r.body.toString(), /Index of \/docs\//);
});

test('requests under --cgi-prefix go to the CGI gateway, the rest to static', async () => {
  const r = await request(running.server.port, 'GET', '/cgi-bin/hi.sh/extra');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'from cgi /extra');
  // Normalized first: this is not under the prefix, so static answers (404).
  const s = await request(running.server.port, 'GET', '/cgi-bin/../hello.txt');
  assert.equal(s.status, 200);
  assert.equal(s.body.toString(), HELLO);
});
