// The `keel` command line as a user meets it (issue #13 item 5): one parser for every command,
// --help exits 0 without listening, mistakes exit 2 with one line and the usage hint, runtime
// failures exit 1 with one plain line (the stack only with --debug), --workers prints its banner
// once and a reload is quiet; `keel get` (#17) is one more entry of the same tables. Each case runs
// the built CLI, `node dist/cli/main.js`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKeel, startKeel } from './keel.js';
// keel's own fetch (#17 item 5): these requests are ordinary ones, so the project's client sends them.
import { fetch } from '../../src/client/index.js';

/** Bound on every spawned case: a command that listens instead of exiting fails here, not hangs. */
const CASE_TIMEOUT_MS = 20_000;
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** A host name the resolver refuses without asking any DNS server (an empty label), so the case is the same offline. */
const UNRESOLVABLE_HOST = 'a..b';
const HIDE_DRIVERS = fileURLToPath(new URL('../db/hide-drivers.mjs', import.meta.url));

let dir: string;
let blocker: NetServer;
let busyPort: number;
/** A port that was free a moment ago: bound, then closed. */
let closedPort: number;
before(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  dir = mkdtempSync(join(tmpdir(), 'keel-cli-'));
  writeFileSync(join(dir, 'file.txt'), 'x');
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  busyPort = (blocker.address() as AddressInfo).port;
});
after(async () => {
  await new Promise((resolve) => blocker.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('help and version exit 0 without listening', () => {
  const rows = [
    { name: 'keel --help', input: ['--help'], want: /^usage: keel <command> \[options\]\n[\s\S]*\n  serve  / },
    { name: 'keel with no command', input: [], want: /^usage: keel <command>/ },
    { name: 'keel --version', input: ['--version'], want: new RegExp(`^keel ${VERSION.replace(/\./g, '\\.')}\n$`) },
    { name: 'hello --help', input: ['hello', '--help'], want: /^usage: keel hello \[options\]\n[\s\S]*-p, --port N/ },
    { name: 'echo -h', input: ['echo', '-h'], want: /^usage: keel echo \[options\]\n/ },
    { name: 'serve --help', input: ['serve', '--help'], want: /^usage: keel serve \[DIR\] \[options\]\n[\s\S]*--cgi-dir DIR/ },
    { name: 'demo --help', input: ['demo', '--help'], want: /^usage: keel demo \[options\]\n[\s\S]*DATABASE_URL/ },
    { name: 'hello --port 0 --help (help wins: nothing listens)', input: ['hello', '--port', '0', '--help'], want: /^usage: keel hello/ },
    { name: 'echo --workers 2 --help (no worker is forked)', input: ['echo', '--workers', '2', '--help'], want: /^usage: keel echo/ },
    { name: 'help wins over a mistake', input: ['serve', '--prot', '1', '-h'], want: /^usage: keel serve/ },
    { name: 'keel --help lists get', input: ['--help'], want: /\n  get    fetch a URL with keel's own client/ },
    { name: 'get --help (nothing is fetched)', input: ['get', '--help'], want: /^usage: keel get URL \[options\]\n[\s\S]*-H, --header 'K: V'/ },
    { name: 'get -h with a URL (help wins: nothing is fetched)', input: ['get', 'http://127.0.0.1:1/', '-h'], want: /^usage: keel get/ },
    { name: 'get -vh: -h inside a group of short flags still helps', input: ['get', '-vh', 'http://127.0.0.1:1/'], want: /^usage: keel get/ },
  ];
  for (const { name, input, want } of rows) {
    test(name, { timeout: CASE_TIMEOUT_MS }, async () => {
      const got = await runKeel(input);
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, want);
      assert.equal(got.stderr, '');
    });
  }
});

describe('usage mistakes exit 2 with one line and the usage hint, worded alike by every command', () => {
  const hint = (cmd: string): string => `(see 'keel ${cmd} --help')\n`;
  const rows: { name: string; input: string[]; want: string }[] = [];
  for (const cmd of ['hello', 'echo', 'serve', 'demo']) {
    rows.push({ name: `${cmd}: a typo of --port`, input: [cmd, '--prot', '8031'], want: `keel ${cmd}: unknown option --prot ${hint(cmd)}` });
    rows.push({ name: `${cmd}: a bad port`, input: [cmd, '--port', 'http'], want: `keel ${cmd}: --port must be a whole number from 0 to 65535, got "http" ${hint(cmd)}` });
    rows.push({ name: `${cmd}: a port out of range`, input: [cmd, '-p', '70000'], want: `keel ${cmd}: --port must be a whole number from 0 to 65535, got "70000" ${hint(cmd)}` });
    rows.push({ name: `${cmd}: --port without a value`, input: [cmd, '--port'], want: `keel ${cmd}: option --port needs a value (N) ${hint(cmd)}` });
    rows.push({ name: `${cmd}: a bad --workers`, input: [cmd, '--workers', 'many'], want: `keel ${cmd}: --workers needs a positive whole number or "auto", got "many" ${hint(cmd)}` });
    // An empty --host once bound every interface ("::"), against the loopback default.
    rows.push({ name: `${cmd}: an empty --host=`, input: [cmd, '--port', '0', '--host='], want: `keel ${cmd}: option --host needs a value (H) ${hint(cmd)}` });
    rows.push({ name: `${cmd}: an empty --host ""`, input: [cmd, '--port', '0', '--host', ''], want: `keel ${cmd}: option --host needs a value (H) ${hint(cmd)}` });
  }
  for (const cmd of ['hello', 'echo', 'demo']) {
    rows.push({ name: `${cmd}: a stray argument`, input: [cmd, 'extra'], want: `keel ${cmd}: unexpected argument "extra" ${hint(cmd)}` });
  }
  rows.push(
    { name: 'serve: two directories', input: ['serve', 'a', 'b'], want: `keel serve: unexpected argument "b" ${hint('serve')}` },
    { name: 'serve: a value given to a flag', input: ['serve', '--gzip=1'], want: `keel serve: option --gzip takes no value ${hint('serve')}` },
    // An empty --db once opened a throwaway SQLite database (better-sqlite3 treats "" as temporary).
    { name: 'demo: an empty --db=', input: ['demo', '--port', '0', '--db='], want: `keel demo: option --db needs a value (PATH) ${hint('demo')}` },
    { name: 'demo: a bad --trust-proxy entry', input: ['demo', '--trust-proxy', '10.0.0.0/8,1.2.3.x'], want: `keel demo: --trust-proxy: not an IP address or range: "1.2.3.x" ${hint('demo')}` },
    { name: 'get: a typo of an option', input: ['get', '--hedaer', 'X-A: 1', 'http://127.0.0.1:1/'], want: `keel get: unknown option --hedaer ${hint('get')}` },
    { name: 'get: no URL', input: ['get', '-v'], want: `keel get: a URL is required ${hint('get')}` },
    { name: 'get: a stray argument', input: ['get', 'http://127.0.0.1:1/', 'extra'], want: `keel get: unexpected argument "extra" ${hint('get')}` },
    { name: 'get: a flag given a value', input: ['get', '--verbose=1', 'http://127.0.0.1:1/'], want: `keel get: option --verbose takes no value ${hint('get')}` },
    { name: 'an unknown command', input: ['nope'], want: `keel: unknown command "nope" (see 'keel --help')\n` },
    { name: 'an unknown option before any command', input: ['--prot'], want: `keel: unknown option --prot (see 'keel --help')\n` },
  );
  for (const { name, input, want } of rows) {
    test(name, { timeout: CASE_TIMEOUT_MS }, async () => {
      const got = await runKeel(input);
      assert.equal(got.code, 2, got.stderr);
      assert.equal(got.stderr, want);
      assert.equal(got.stdout, '');
    });
  }
});

describe('runtime failures exit 1 with one plain line', () => {
  const inUse = (cmd: string, port: number): string =>
    `keel ${cmd}: cannot listen on 127.0.0.1:${port}: the address is already in use (another server is listening there)\n`;
  const rows: { name: string; input: () => string[]; want: () => string; nodeArgs?: string[] }[] = [
    { name: 'hello on a port in use', input: () => ['hello', '--port', String(busyPort)], want: () => inUse('hello', busyPort) },
    { name: 'echo on a port in use', input: () => ['echo', '--port', String(busyPort)], want: () => inUse('echo', busyPort) },
    { name: 'serve on a port in use', input: () => ['serve', dir, '--port', String(busyPort)], want: () => inUse('serve', busyPort) },
    {
      name: 'demo on a port in use',
      input: () => ['demo', '--port', String(busyPort), '--db', join(dir, 'busy.db')],
      want: () => inUse('demo', busyPort),
    },
    {
      name: 'serve a directory that does not exist (checked at start)',
      input: () => ['serve', join(dir, 'missing'), '--port', '0'],
      want: () => `keel serve: directory not found: ${join(dir, 'missing')}\n`,
    },
    {
      name: 'serve a file as the directory',
      input: () => ['serve', join(dir, 'file.txt'), '--port', '0'],
      want: () => `keel serve: directory ${join(dir, 'file.txt')} is not a directory\n`,
    },
    {
      name: 'serve --cgi-dir that does not exist (checked at start)',
      input: () => ['serve', dir, '--cgi-dir', join(dir, 'nope'), '--port', '0'],
      want: () => `keel serve: CGI directory not found: ${join(dir, 'nope')}\n`,
    },
    {
      name: 'serve --cgi without DIR/cgi-bin',
      input: () => ['serve', dir, '--cgi', '--port', '0'],
      want: () => `keel serve: CGI directory not found: ${join(dir, 'cgi-bin')}\n`,
    },
    {
      name: 'get from a port nothing listens on',
      input: () => ['get', `http://127.0.0.1:${closedPort}/`],
      want: () => `keel get: connect failed: connect ECONNREFUSED 127.0.0.1:${closedPort} (ERR_CONNECT)\n`,
    },
    {
      // The listener's lookup error was also printed with its stack before the line.
      name: 'hello on a host that cannot be resolved',
      input: () => ['hello', '--port', '0', '--host', UNRESOLVABLE_HOST],
      want: () => `keel hello: cannot resolve host "${UNRESOLVABLE_HOST}"\n`,
    },
    {
      name: 'serve on a host that cannot be resolved',
      input: () => ['serve', dir, '--port', '0', '--host', UNRESOLVABLE_HOST],
      want: () => `keel serve: cannot resolve host "${UNRESOLVABLE_HOST}"\n`,
    },
    {
      // `--workers=2` after `--` once forked two workers serving the current directory.
      name: 'serve -- --workers=2 names a directory',
      input: () => ['serve', '--port', '0', '--', '--workers=2'],
      want: () => 'keel serve: directory not found: --workers=2\n',
    },
    {
      name: 'demo without the SQLite driver installed',
      nodeArgs: ['--import', HIDE_DRIVERS],
      input: () => ['demo', '--port', '0', '--db', join(dir, 'nodriver.db')],
      want: () => 'keel demo: SQLite needs the package better-sqlite3, which is not installed: run `npm install better-sqlite3`\n',
    },
  ];
  for (const { name, input, want, nodeArgs } of rows) {
    test(name, { timeout: CASE_TIMEOUT_MS }, async () => {
      const got = await runKeel(input(), { nodeArgs });
      assert.equal(got.code, 1, got.stderr);
      assert.equal(got.stderr, want());
      assert.equal(got.stdout, '');
    });
  }

  test('--debug prints the whole error with its stack instead', { timeout: CASE_TIMEOUT_MS }, async () => {
    const got = await runKeel(['hello', '--port', String(busyPort), '--debug']);
    assert.equal(got.code, 1);
    assert.match(got.stderr, /^keel hello: Error: listen EADDRINUSE/);
    assert.match(got.stderr, /\n {4}at /);
    assert.equal(got.stderr.match(/EADDRINUSE: address already in use/g)?.length, 1, 'reported once, not also by the listener');
  });
});

test('hello serves until SIGTERM, then says so once and exits 0', { timeout: CASE_TIMEOUT_MS }, async (t) => {
  const keel = startKeel(['hello', '--port', '0'], t.signal);
  try {
    const [, port] = await keel.waitFor(/^keel hello listening on http:\/\/127\.0\.0\.1:(\d+)\/\n/m);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'Hello, World!');
    keel.child.kill('SIGTERM');
    assert.equal(await keel.exited, 0);
    assert.equal(keel.stderr(), 'keel hello: SIGTERM received, shutting down\n');
  } finally {
    await keel.stop();
  }
});

test('serve --workers 2: the banner is printed once, and a SIGHUP reload prints no shutdown message', { timeout: CASE_TIMEOUT_MS }, async (t) => {
  const keel = startKeel(['serve', dir, '--workers', '2', '--port', '0', '--quiet'], t.signal);
  const workerPids = (): number[] => [...keel.output().matchAll(/worker (\d+) ready/g)].map((m) => Number(m[1]));
  try {
    await keel.waitFor(/2 worker\(s\) ready/);
    const [, port] = await keel.waitFor(/^Serving HTTP on 127\.0\.0\.1 port (\d+) /m);
    assert.equal((await fetch(`http://127.0.0.1:${port}/file.txt`)).status, 200);
    keel.child.kill('SIGHUP');
    await keel.waitFor(/reload complete/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/file.txt`)).status, 200);
    keel.child.kill('SIGTERM');
    assert.equal(await keel.exited, 0, keel.output());
    assert.equal(keel.stdout().match(/^Serving HTTP on /gm)?.length, 1, keel.output());
    assert.doesNotMatch(keel.output(), /received, shutting down/);
  } finally {
    await keel.stop(workerPids());
  }
});

test('demo --trust-proxy: behind a trusted TLS proxy the session cookie (CSRF is bound to it) is Secure and __Host-; without the flag it is not (#12 item 13)', { timeout: CASE_TIMEOUT_MS }, async (t) => {
  const cookieFor = async (args: string[], db: string): Promise<string> => {
    const keel = startKeel(['demo', '--port', '0', '--db', join(dir, db), ...args], t.signal);
    try {
      const [, port] = await keel.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\/\n/);
      const res = await fetch(`http://127.0.0.1:${port}/guestbook`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', accept: 'text/html' } });
      await res.arrayBuffer();
      return res.headers.getSetCookie().find((c) => /keel_sid/.test(c)) ?? '';
    } finally {
      await keel.stop();
    }
  };
  const trusted = await cookieFor(['--trust-proxy', 'loopback'], 'trusted.db');
  assert.match(trusted, /^__Host-keel_sid=/);
  assert.match(trusted, /; Secure/i);
  const untrusted = await cookieFor([], 'untrusted.db');
  assert.match(untrusted, /^keel_sid=/);
  assert.doesNotMatch(untrusted, /; Secure/i);
});
