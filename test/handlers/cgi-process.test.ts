// Ending CGI process groups (issue #12 item 11): src/handlers/cgi-process.ts on its own,
// then the gateway in a server that shuts down, and in a keel process that exits with
// scripts still running or in their grace period.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cgiHandler } from '../../src/handlers/cgi.js';
import { killProcessGroup, liveProcessGroupCount, watchProcessGroup } from '../../src/handlers/cgi-process.js';
import { Server } from '../../src/server/server.js';
import { assertGone, GONE_DEADLINE_MS, killIfRunning } from './cgi-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURES = resolve(fileURLToPath(new URL('../fixtures/cgi-bin/', import.meta.url)));
const SRC = resolve(fileURLToPath(new URL('../../src/', import.meta.url)));
/** A grace period no test may wait out: if it is waited for, the test has failed. */
const LONG_GRACE_MS = 60_000;
/** Bound on one test, so a regression fails instead of hanging the file. */
const TEST_TIMEOUT_MS = 30_000;

let tmp: string;
before(() => {
  tmp = tempDir('cgi-process');
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts `sh -c script` the way the gateway starts a script: leader of its own process group. */
function startGroup(script: string): ChildProcess & { pid: number } {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  assert.ok(child.pid !== undefined);
  return child as ChildProcess & { pid: number };
}

/** Resolves with stdout once it contains `text`. */
function waitForOutput(child: ChildProcess, text: string): Promise<string> {
  return new Promise((resolveOutput) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes(text)) resolveOutput(seen);
    });
  });
}

/**
 * A shell that reports SIGTERM on stdout and keeps running; `ready` once its trap is set.
 * It waits in the `wait` builtin, which a trapped signal interrupts, so the trap runs at
 * once (a foreground `sleep` would hold it back until the sleep ends).
 */
const TERM_SURVIVOR = 'trap "echo TERM" TERM; echo ready; while :; do sleep 1000 & wait; done';

describe('killProcessGroup', () => {
  it('never throws for a group that is gone (ESRCH) or was never watched', async () => {
    const child = startGroup('exit 0');
    watchProcessGroup(child.pid);
    const before = liveProcessGroupCount();
    await once(child, 'exit');
    assert.equal(killProcessGroup(child.pid, 1000), false, 'nothing to signal');
    assert.equal(liveProcessGroupCount(), before - 1, 'a gone group is forgotten at once, before its id can be reused');
    assert.equal(killProcessGroup(child.pid, 1000), false, 'a second kill is a no-op');
    assert.equal(killProcessGroup(2 ** 22 + 7, 0), false, 'never watched: left alone');
  });

  it('sends SIGTERM, then SIGKILL after the grace period to a group that survives it', async () => {
    const child = startGroup(TERM_SURVIVOR);
    await waitForOutput(child, 'ready');
    watchProcessGroup(child.pid);
    const exited = once(child, 'exit');
    const term = waitForOutput(child, 'TERM');
    assert.equal(killProcessGroup(child.pid, 100), true);
    assert.equal(killProcessGroup(child.pid, 100), true, 'a second call while in grace changes nothing');
    await term;
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [null, 'SIGKILL']);
  });

  it('with a grace of 0 sends SIGKILL at once, without SIGTERM', async () => {
    const child = startGroup(TERM_SURVIVOR);
    await waitForOutput(child, 'ready');
    watchProcessGroup(child.pid);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString('latin1')));
    const exited = once(child, 'exit');
    assert.equal(killProcessGroup(child.pid, 0), true);
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    assert.equal(output.includes('TERM'), false);
  });
});

describe('cgiHandler timer options', () => {
  const cases = [
    { name: 'killGraceMs below 0', input: { killGraceMs: -1 }, want: /killGraceMs must be an integer from 0 to 2147483647/ },
    { name: 'killGraceMs not an integer', input: { killGraceMs: 1.5 }, want: /killGraceMs/ },
    { name: 'killGraceMs Infinity (SIGKILL never sent)', input: { killGraceMs: Infinity }, want: /killGraceMs/ },
    // setTimeout() would turn these into 1 ms: every script killed at once.
    { name: 'killGraceMs over the timer limit', input: { killGraceMs: 2 ** 31 }, want: /killGraceMs/ },
    { name: 'timeoutMs over the timer limit', input: { timeoutMs: 3_000_000_000 }, want: /timeoutMs must be an integer from 0 to 2147483647 or Infinity/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      assert.throws(() => cgiHandler({ root: FIXTURES, ...c.input }), { name: 'TypeError', message: c.want });
    });
  }
  it('accepts a grace of 0 and the largest delays', () => {
    assert.equal(typeof cgiHandler({ root: FIXTURES, killGraceMs: 0, timeoutMs: 2 ** 31 - 1 }), 'function');
    assert.equal(typeof cgiHandler({ root: FIXTURES, killGraceMs: 2 ** 31 - 1, timeoutMs: Infinity }), 'function');
  });
});

describe('the gateway when the server shuts down', () => {
  it('kills the process groups of scripts still running when close() gives up on their requests', { timeout: TEST_TIMEOUT_MS }, async () => {
    const logs: string[] = [];
    let onPids: (line: string) => void = () => {};
    const server = new Server(
      cgiHandler({
        root: FIXTURES,
        logger: (line) => {
          logs.push(line);
          if (/stderr: pids \d+ \d+/.test(line)) onPids(line);
        },
      }),
      { onError: () => {} },
    );
    await server.listen(0, '127.0.0.1');
    const pidsLine = new Promise<string>((r) => (onPids = r));
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /sleep.sh HTTP/1.1\r\nHost: x\r\n\r\n');
    const [, leader, sleeper] = /pids (\d+) (\d+)/.exec(await pidsLine)!;
    try {
      // sleep.sh never answers: the shutdown deadline destroys its connection.
      await server.close(0);
      await assertGone([Number(leader), Number(sleeper)]);
    } finally {
      socket.destroy();
      killIfRunning(Number(sleeper));
    }
  });
});

/**
 * A keel process in a child: a Server with the gateway, driven over IPC. It sends
 * `{ port }`, then every log line as `{ log }`; on 'exit' it calls process.exit(0) at
 * once; on 'close' it closes the server and the IPC channel and must then exit by itself.
 */
const KEEL_CHILD = `
import { Server } from ${JSON.stringify(pathToFileURL(join(SRC, 'server/server.ts')).href)};
import { cgiHandler } from ${JSON.stringify(pathToFileURL(join(SRC, 'handlers/cgi.ts')).href)};
const { root, markDir, killGraceMs } = JSON.parse(process.argv[2]);
const server = new Server(
  cgiHandler({ root, killGraceMs, env: { KEEL_TEST_MARK_DIR: markDir }, logger: (log) => process.send({ log }) }),
  { onError: () => {} },
);
await server.listen(0, '127.0.0.1');
process.on('message', async (m) => {
  if (m === 'exit') process.exit(0);
  if (m === 'close') {
    await server.close(0);
    process.disconnect();
  }
});
process.send({ port: server.port });
`;

interface KeelChild {
  proc: ChildProcess;
  port: number;
  /** Resolves with the first log line matching `re`. */
  waitForLog(re: RegExp): Promise<string>;
  /** Resolves when the process has exited, rejects after `ms`. */
  exited(ms: number): Promise<void>;
}

async function startKeelChild(killGraceMs: number, markDir: string): Promise<KeelChild> {
  const file = join(tmp, 'keel-child.mts');
  writeFileSync(file, KEEL_CHILD);
  const proc = fork(file, [JSON.stringify({ root: FIXTURES, markDir, killGraceMs })], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const logs: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  const hasExited = once(proc, 'exit');
  const port = await new Promise<number>((resolvePort, reject) => {
    proc.on('message', (m: { port?: number; log?: string }) => {
      if (m.port !== undefined) resolvePort(m.port);
      if (m.log !== undefined) {
        logs.push(m.log);
        for (const w of waiters.filter((w) => w.re.test(m.log!))) w.resolve(m.log);
      }
    });
    hasExited.then(() => reject(new Error('keel child exited before listening')), reject);
  });
  return {
    proc,
    port,
    waitForLog: (re) => {
      const seen = logs.find((l) => re.test(l));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((r) => waiters.push({ re, resolve: r }));
    },
    exited: (ms) =>
      new Promise((resolveExit, reject) => {
        const timer = setTimeout(() => reject(new Error(`keel child still running after ${ms} ms`)), ms);
        hasExited.then(() => {
          clearTimeout(timer);
          resolveExit();
        }, reject);
      }),
  };
}

/** GET over a raw socket with Connection: close; resolves with everything the server sent. */
function fetchRaw(port: number, path: string): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolveBody(raw));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

describe('a keel process that exits', () => {
  it('kills the groups of scripts still running when it calls process.exit()', { timeout: TEST_TIMEOUT_MS }, async () => {
    const keel = await startKeelChild(LONG_GRACE_MS, tmp);
    const socket = net.connect(keel.port, '127.0.0.1');
    socket.on('error', () => {});
    let pids: number[] = [];
    try {
      socket.write('GET /sleep.sh HTTP/1.1\r\nHost: x\r\n\r\n');
      const line = await keel.waitForLog(/sleep\.sh\[\d+\]: stderr: pids \d+ \d+/);
      pids = /pids (\d+) (\d+)/.exec(line)!.slice(1).map(Number);
      // What the CLI does on SIGTERM after server.close(): exit before any request
      // could notice its client is gone. Only the exit hook can kill the script now.
      keel.proc.send('exit');
      await keel.exited(GONE_DEADLINE_MS);
      await assertGone(pids);
    } finally {
      socket.destroy();
      keel.proc.kill('SIGKILL');
      for (const pid of pids) killIfRunning(pid);
    }
  });

  it('is not kept alive by a grace period, and SIGKILLs that group as it exits', { timeout: TEST_TIMEOUT_MS }, async () => {
    const markDir = mkdtempSync(join(tmp, 'marks-'));
    const keel = await startKeelChild(LONG_GRACE_MS, markDir);
    let child = 0;
    try {
      const raw = await fetchRaw(keel.port, '/background-stubborn.sh');
      child = Number(/child (\d+)\n\r\n0\r\n\r\n$/.exec(raw)?.[1]);
      assert.ok(child > 0, raw);
      // The script exited; its child took the SIGTERM and carries on, in its grace period.
      await assertMarked(join(markDir, `term.${child}`));
      keel.proc.send('close');
      // With a ref'd grace timer this would take LONG_GRACE_MS.
      await keel.exited(GONE_DEADLINE_MS);
      await assertGone([child]);
    } finally {
      keel.proc.kill('SIGKILL');
      if (child > 0) killIfRunning(child);
    }
  });
});

/** Waits (bounded) until a file written by a script exists. */
async function assertMarked(file: string): Promise<void> {
  const deadline = Date.now() + GONE_DEADLINE_MS;
  for (;;) {
    try {
      assert.equal(readFileSync(file, 'latin1'), 'TERM\n');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
