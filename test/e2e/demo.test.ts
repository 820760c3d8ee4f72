// `keel demo` as a real process: terminal output, persistence across restarts, clean shutdown,
// and several instances sharing one database (SQLite file; PostgreSQL when KEEL_TEST_PG_URL is set).
// Requests go through keel's own client (its fetch, on an Agent this file closes; #17 item 5).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Agent, createFetch } from '../../src/client/index.js';
import { openDatabase } from '../../src/db/database.js';
import { startProgram, type Started } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';

const MAIN = 'src/cli/main.ts';

const agent = new Agent();
/** keel's fetch (src/client/fetch.ts): a global Response, as the global fetch gave. */
const keelFetch = createFetch(agent);
after(() => agent.close());

/** A browser-like visitor: keeps the CSRF cookie, reads the form token. */
async function visitor(port: number): Promise<{ cookie: string; token: string }> {
  const res = await keelFetch(`http://127.0.0.1:${port}/guestbook`);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const token = /name="csrf" value="([^"]+)"/.exec(await res.text())![1]!;
  return { cookie, token };
}

async function sign(port: number, v: { cookie: string; token: string }, name: string, message: string): Promise<number> {
  const res = await keelFetch(`http://127.0.0.1:${port}/guestbook`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: v.cookie },
    body: new URLSearchParams({ csrf: v.token, name, message }).toString(),
    redirect: 'manual',
  });
  await res.arrayBuffer();
  return res.status;
}

async function entryCount(port: number): Promise<number> {
  const html = await (await keelFetch(`http://127.0.0.1:${port}/guestbook`)).text();
  return Number(/<h2>(\d+) entr(?:y|ies)<\/h2>/.exec(html)?.[1]);
}

async function runToExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('keel demo (process)', () => {
  test('prints each request line as it arrives, and the page and picture are served', async () => {
    const dir = tempDir('demo-e2e');
    let demo: Started | undefined;
    try {
      demo = await startProgram(MAIN, ['demo', '--port', '0', '--db', join(dir, 'db', 'keel.db')]);
      await demo.waitForLine(/^keel demo: guestbook on SQLite .*keel\.db$/);
      const page = await keelFetch(`http://127.0.0.1:${demo.port}/`);
      assert.match(await page.text(), /Wow, a keel Server!/);
      const img = await keelFetch(`http://127.0.0.1:${demo.port}/test.jpg`);
      assert.equal(img.headers.get('content-type'), 'image/jpeg');
      await img.arrayBuffer();
      await demo.waitForLine(/^GET \/ HTTP\/1\.1$/);
      await demo.waitForLine(/^GET \/test\.jpg HTTP\/1\.1$/);
      assert.equal(existsSync(join(dir, 'db', 'keel.db')), true, '--db path created');
      assert.equal(await demo.stop(), 0, 'SIGTERM is a clean exit');
    } finally {
      await demo?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('guestbook entries survive a restart', async () => {
    const dir = tempDir('demo-e2e');
    const db = join(dir, 'keel.db');
    let demo: Started | undefined;
    try {
      demo = await startProgram(MAIN, ['demo', '--port', '0', '--db', db]);
      assert.equal(await sign(demo.port, await visitor(demo.port), 'Ada', 'still here after a restart'), 303);
      assert.equal(await demo.stop(), 0);
      demo = await startProgram(MAIN, ['demo', '--port', '0', '--db', db]);
      const html = await (await keelFetch(`http://127.0.0.1:${demo.port}/guestbook`)).text();
      assert.match(html, /still here after a restart/);
      assert.equal(demo.lines.some((l) => l.includes('applied migrations')), false, 'no migration runs twice');
    } finally {
      await demo?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const usage = [
    { name: '--help', input: ['demo', '--help'], want: { code: 0, out: /usage: keel demo/ } },
    { name: 'a bad port', input: ['demo', '--port', 'eighty'], want: { code: 2, out: /--port must be a whole number/ } },
    { name: 'an unknown option', input: ['demo', '--colour'], want: { code: 2, out: /unknown option --colour/ } },
  ];
  for (const { name, input, want } of usage) {
    test(`${name} exits ${want.code}`, async () => {
      const { code, stdout, stderr } = await runToExit(input);
      assert.equal(code, want.code);
      assert.match(stdout + stderr, want.out);
    });
  }

  test('two instances on one SQLite file write concurrently and lose nothing', async () => {
    const dir = tempDir('demo-e2e');
    const db = join(dir, 'shared.db');
    const demos: Started[] = [];
    try {
      for (let i = 0; i < 2; i++) demos.push(await startProgram(MAIN, ['demo', '--port', '0', '--db', db]));
      await writeConcurrently(demos);
    } finally {
      for (const d of demos) await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const pgUrl = process.env.KEEL_TEST_PG_URL;
  test(
    'two instances on one PostgreSQL (DATABASE_URL) write concurrently and lose nothing',
    { skip: pgUrl ? undefined : 'KEEL_TEST_PG_URL is not set (run under scripts/with-postgres.sh)' },
    async () => {
      const schema = `e2e_${randomBytes(6).toString('hex')}`;
      const admin = await openDatabase({ url: pgUrl });
      await admin.exec(`CREATE SCHEMA ${schema}`);
      const url = `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const demos: Started[] = [];
      try {
        const env = { ...process.env, DATABASE_URL: url };
        // Started together: both run the migrations at once; the advisory lock lets one apply them.
        demos.push(...(await Promise.all([0, 1].map(() => startProgram(MAIN, ['demo', '--port', '0'], env)))));
        for (const d of demos) await d.waitForLine(/^keel demo: guestbook on PostgreSQL postgres:/);
        await writeConcurrently(demos);
      } finally {
        for (const d of demos) await d.stop();
        await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      }
    },
  );
});

/** Both instances take posts at the same time; each then sees every entry. */
async function writeConcurrently(demos: Started[]): Promise<void> {
  const PER_INSTANCE = 20;
  // A visitor's token from one instance is accepted by the other: the secret is in the database.
  const v = await visitor(demos[0]!.port);
  const statuses = await Promise.all(
    demos.flatMap((d, i) => Array.from({ length: PER_INSTANCE }, (_, j) => sign(d.port, v, `i${i}`, `post ${j}`))),
  );
  assert.deepEqual(new Set(statuses), new Set([303]));
  for (const d of demos) assert.equal(await entryCount(d.port), PER_INSTANCE * demos.length);
}
