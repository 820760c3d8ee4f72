/**
 * `keel <command> --workers N` end to end: src/cli/main.ts and src/cli/workers.ts
 * on top of src/server/cluster.ts, as a user runs them. The child is killed in
 * `finally` (with every worker it printed) whatever happens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { takeWorkersFlag } from '../../src/cli/workers.js';
import { autoWorkerCount } from '../../src/server/cluster.js';

test('takeWorkersFlag reads --workers out of argv', () => {
  const rows = [
    { name: 'absent', input: ['--port', '8000'], want: { count: 1, argv: ['--port', '8000'] } },
    { name: 'separate value', input: ['--workers', '3', '--port', '1'], want: { count: 3, argv: ['--port', '1'] } },
    { name: 'equals form', input: ['dir', '--workers=2'], want: { count: 2, argv: ['dir'] } },
    { name: 'auto', input: ['--workers', 'auto'], want: { count: autoWorkerCount(), argv: [] } },
    // After `--` every word is an argument (a directory named so), as args.ts parses it.
    { name: 'after --', input: ['--port', '0', '--', '--workers=2'], want: { count: 1, argv: ['--port', '0', '--', '--workers=2'] } },
    { name: 'before and after --', input: ['--workers', '2', '--', '--workers', '3'], want: { count: 2, argv: ['--', '--workers', '3'] } },
  ];
  for (const { name, input, want } of rows) assert.deepEqual(takeWorkersFlag(input), want, name);
  for (const bad of [['--workers', '0'], ['--workers'], ['--workers=-1'], ['--workers', 'two'], ['--workers=1.5']]) {
    assert.throws(() => takeWorkersFlag(bad), /--workers needs a positive whole number or "auto"/, bad.join(' '));
  }
});

test('keel hello --workers 2: two workers share one port, SIGHUP reloads, SIGTERM exits 0', { timeout: 20_000 }, async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'hello', '--workers', '2', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const onText = (t: string): void => {
    out += t;
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(out)) waiters.splice(i, 1)[0]!.resolve();
  };
  child.stdout!.setEncoding('utf8').on('data', onText);
  child.stderr!.setEncoding('utf8').on('data', onText);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      if (re.test(out)) return resolve();
      waiters.push({ re, resolve });
      void exited.then(() => reject(new Error(`exited before ${re}:\n${out}`)));
    });
  const killAll = (): void => {
    for (const m of out.matchAll(/worker (\d+) ready/g)) {
      try {
        process.kill(Number(m[1]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // A timed-out test never reaches `finally`: kill from the abort signal too.
  t.signal.addEventListener('abort', killAll, { once: true });
  try {
    await waitFor(/2 worker\(s\) ready/);
    const ports = [...out.matchAll(/keel hello listening on http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => m[1]);
    assert.equal(ports.length, 1, `the banner is printed once, not per worker (#13):\n${out}`);
    const res = await fetch(`http://127.0.0.1:${ports[0]}/`);
    assert.equal(await res.text(), 'Hello, World!');

    child.kill('SIGHUP');
    await waitFor(/reload complete/);
    assert.equal(await (await fetch(`http://127.0.0.1:${ports[0]}/`)).text(), 'Hello, World!');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /all workers stopped/);
  } finally {
    killAll();
    await exited;
  }
});

test('keel hello --workers 2 on a port in use fails fast with exit code 1', { timeout: 20_000 }, async (t) => {
  const net = await import('node:net');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as import('node:net').AddressInfo).port;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'hello', '--workers', '2', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (out += t));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.signal.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
  try {
    assert.equal(await exited, 1, out);
    assert.match(out, /worker failed to start/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    blocker.close();
  }
});
