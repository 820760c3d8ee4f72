/**
 * Tests of src/server/cluster.ts: the supervisor over real worker processes.
 *
 * Each test writes a small cluster program into a temp dir (startCluster with a
 * Server whose handler answers its process.pid), runs it as a child process, and
 * drives it with a bounded keep-alive load on 127.0.0.1 while it kills a worker,
 * reloads (SIGHUP) or stops (SIGTERM). Every child is killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { backoffDelayMs } from '../../src/server/cluster.js';
import { tempDir } from '../helpers/tmp.js';

/** Longest a cluster may take to start: every worker compiles the sources with tsx. */
const START_TIMEOUT_MS = 15_000;
/** Load connections kept busy during a test. */
const CONCURRENCY = 8;
/**
 * A load request with no answer by then counts as failed. Under round-robin scheduling a
 * connection the primary was handing to the killed worker is never answered nor closed
 * (a node:cluster limitation, see ClusterOptions.scheduling): the client's timeout ends it.
 */
const REQUEST_TIMEOUT_MS = 3_000;

test('backoffDelayMs doubles from the initial delay up to the cap', () => {
  const rows = [
    { name: 'no crash', input: 0, want: 0 },
    { name: 'first crash', input: 1, want: 100 },
    { name: 'second', input: 2, want: 200 },
    { name: 'fifth', input: 5, want: 1_600 },
    { name: 'capped', input: 12, want: 10_000 },
    { name: 'huge count stays capped', input: 10_000, want: 10_000 },
  ];
  for (const { name, input, want } of rows) assert.equal(backoffDelayMs(input, 100, 10_000), want, name);
});

// ---- the cluster program under test -------------------------------------------

function clusterProgram(): string {
  const clusterUrl = pathToFileURL(resolve('src/server/cluster.ts')).href;
  const serverUrl = pathToFileURL(resolve('src/server/server.ts')).href;
  return `
import { startCluster, onShutdown } from ${JSON.stringify(clusterUrl)};
import { Server } from ${JSON.stringify(serverUrl)};
const env = process.env;
const delayMs = Number(env.DELAY_MS ?? '0');
const sup = await startCluster({
  workers: Number(env.WORKERS ?? '2'),
  initialBackoffMs: Number(env.INITIAL_BACKOFF_MS ?? '50'),
  crashLoopLimit: Number(env.CRASH_LOOP_LIMIT ?? '10'),
  shutdownTimeoutMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? '5000'),
  killGraceMs: 1000,
  scheduling: env.SCHEDULING ?? 'round-robin',
  log: (line) => console.log('cluster: ' + line),
  start: async () => {
    if (env.CRASH_AFTER_READY === '1') setTimeout(() => process.exit(3), 50);
    const server = new Server(async (req, res) => {
      res.headers.set('Content-Type', 'text/plain');
      if (req.path === '/slow') {
        // The head leaves at once (the client knows the request is in flight), the body later.
        res.headers.set('Content-Length', String(String(process.pid).length));
        res.writeHead(200);
        await new Promise((r) => setTimeout(r, Number(env.SLOW_MS ?? '1000')));
        res.end(String(process.pid));
        return;
      }
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      res.end(String(process.pid));
    });
    const addr = await server.listen(0, '127.0.0.1');
    console.log('worker ' + process.pid + ' listening on 127.0.0.1:' + addr.port);
    onShutdown((ms) => server.close(ms));
  },
});
if (sup !== null) {
  console.log('cluster ready ' + sup.pids().join(','));
  const exit = await sup.done;
  console.log('cluster done ' + exit.reason);
  process.exit(exit.code);
}
`;
}

interface Cluster {
  child: ChildProcess;
  port: number;
  lines: string[];
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Kills the primary and every worker it printed, whatever state they are in. */
  kill(): void;
}

/** Starts the program; `signal` (the test's) kills it if the test times out before its `finally`. */
async function startClusterProgram(env: Record<string, string>, signal: AbortSignal): Promise<Cluster> {
  const dir = tempDir('cluster');
  const file = join(dir, 'program.mts');
  writeFileSync(file, clusterProgram());
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const watchers: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (let i = watchers.length - 1; i >= 0; i--) {
        if (watchers[i]!.re.test(line)) watchers.splice(i, 1)[0]!.resolve(line);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) =>
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      res({ code, signal });
    }),
  );
  const workerPids = (): number[] =>
    lines.flatMap((l) => {
      const m = /^worker (\d+) listening/.exec(l);
      return m ? [Number(m[1])] : [];
    });
  const kill = (): void => {
    for (const pid of workerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const waitForLine = (re: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<string> =>
    new Promise((res, rej) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return res(seen);
      const timer = setTimeout(() => rej(new Error(`no line ${re} in:\n${lines.join('\n')}\n${stderr}`)), timeoutMs);
      watchers.push({
        re,
        resolve: (l) => {
          clearTimeout(timer);
          res(l);
        },
      });
    });
  signal.addEventListener('abort', kill, { once: true });
  try {
    await Promise.race([
      waitForLine(/^cluster ready/),
      exited.then(() => {
        throw new Error(`cluster exited before ready:\n${lines.join('\n')}\n${stderr}`);
      }),
    ]);
  } catch (err) {
    kill();
    throw err;
  }
  const port = Number(/:(\d+)$/.exec(lines.find((l) => /^worker \d+ listening/.test(l))!)![1]);
  return { child, port, lines, waitForLine, exited, kill };
}

// ---- a keep-alive load client on node:net -------------------------------------

/** One raw keep-alive HTTP/1.1 connection reading Content-Length responses. */
class Conn {
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;
  received = 0;
  timedOut = false;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      this.received += c.length;
      this.#wake?.();
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Sends one request; resolves with the body and whether the server will close, or throws. */
  async request(path: string, onHead?: () => void): Promise<{ body: string; willClose: boolean }> {
    this.received = 0;
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.socket.destroy();
    }, REQUEST_TIMEOUT_MS);
    try {
      return await this.#read(onHead);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(onHead?: () => void): Promise<{ body: string; willClose: boolean }> {
    let headSeen = false;
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end !== -1) {
        const head = this.#buf.subarray(0, end).toString('latin1');
        if (!headSeen) {
          headSeen = true;
          onHead?.();
        }
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
        if (!/^HTTP\/1\.1 200 /.test(head) || !Number.isFinite(len)) throw new Error(`bad response: ${head}`);
        if (this.#buf.length >= end + 4 + len) {
          const body = this.#buf.subarray(end + 4, end + 4 + len).toString('latin1');
          this.#buf = this.#buf.subarray(end + 4 + len);
          return { body, willClose: /\r\nconnection: *close/i.test(head) };
        }
      }
      if (this.#closed) throw new Error('connection closed before a complete response');
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

interface LoadStats {
  ok: number;
  /** Requests retried on a new connection: a reused keep-alive connection closed before any response byte (RFC 9112 §9.3.1). */
  retried: number;
  /** The pid of the previous response on each retried connection. */
  retriedPids: Array<number | undefined>;
  /** Failed requests, with the pid that served the connection's previous response (undefined on a fresh connection). */
  failures: Array<number | undefined>;
  /** Responses per worker pid. */
  byPid: Map<number, number>;
}

/** Runs `CONCURRENCY` keep-alive request loops until `isDone()`; never two requests at once per connection. */
async function runLoad(port: number, path: string, isDone: () => boolean): Promise<LoadStats> {
  const stats: LoadStats = { ok: 0, retried: 0, retriedPids: [], failures: [], byPid: new Map() };
  const loop = async (): Promise<void> => {
    let conn: Conn | null = null;
    let reused = false;
    let lastPid: number | undefined;
    while (!isDone()) {
      if (conn === null) {
        conn = new Conn(port);
        reused = false;
        lastPid = undefined;
      }
      const current = conn;
      try {
        const { body, willClose } = await current.request(path);
        const pid = Number(body);
        stats.ok++;
        stats.byPid.set(pid, (stats.byPid.get(pid) ?? 0) + 1);
        lastPid = pid;
        reused = true;
        if (willClose) {
          current.close();
          conn = null;
        }
      } catch {
        // The next loop turn sends the request again on a new connection.
        const idleClose = reused && current.received === 0 && !current.timedOut;
        current.close();
        conn = null;
        if (idleClose) {
          stats.retried++;
          stats.retriedPids.push(lastPid);
        } else {
          stats.failures.push(lastPid);
        }
      }
    }
    conn?.close();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return stats;
}

/** Resolves after `ms`: the bounded duration of a load phase (the load itself is the point). */
function loadFor(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- tests ---------------------------------------------------------------------

for (const scheduling of ['round-robin', 'os']) {
  test(`${scheduling}: a worker killed with SIGKILL under load is replaced; only its in-flight requests fail`, { timeout: 20_000 }, async (t) => {
    const c = await startClusterProgram({ DELAY_MS: '20', SCHEDULING: scheduling }, t.signal);
    let done = false;
    try {
      const [, pidsText] = /^cluster ready (.*)$/.exec(await c.waitForLine(/^cluster ready/))!;
      const [victim, survivor] = pidsText!.split(',').map(Number) as [number, number];
      const load = runLoad(c.port, '/', () => done);
      await loadFor(700);
      process.kill(victim, 'SIGKILL');
      const replaced = await c.waitForLine(new RegExp(`^cluster: worker (?!${victim}\\b|${survivor}\\b)\\d+ ready`));
      const newPid = Number(/worker (\d+) ready/.exec(replaced)![1]);
      await loadFor(1_000);
      done = true;
      const stats = await load;
      assert.ok(stats.ok > 50, `requests served: ${stats.ok}`);
      // At most one request in flight per load connection, and only on the killed worker.
      const lost = [...stats.failures, ...stats.retriedPids];
      assert.ok(lost.length <= CONCURRENCY, `lost ${lost.length}`);
      for (const pid of lost) assert.ok(pid === undefined || pid === victim, `a request lost on worker ${pid}`);
      assert.ok(c.lines.some((l) => l === `cluster: worker ${victim} exited unexpectedly (signal SIGKILL)`));
      assert.ok(c.lines.some((l) => /^cluster: restarting slot \d+ in 50 ms$/.test(l)), c.lines.join('\n'));

      // The replacement answers: bursts of fresh connections until it is seen. Round-robin
      // needs a few; with 'os' scheduling the kernel may give every sequential connection to
      // the same worker, so each burst opens its connections at once and they race to accept.
      let seen = false;
      for (let burst = 0; burst < 10 && !seen; burst++) {
        const conns = Array.from({ length: 8 }, () => new Conn(c.port));
        try {
          // Every one must be answered: the victim is gone, both live workers serve.
          const bodies = await Promise.all(conns.map(async (conn) => (await conn.request('/')).body));
          seen = bodies.some((b) => Number(b) === newPid);
        } finally {
          for (const conn of conns) conn.close();
        }
      }
      assert.ok(seen, `replacement ${newPid} never answered`);
    } finally {
      done = true;
      c.kill();
      await c.exited;
    }
  });

  test(`${scheduling}: SIGHUP reloads every worker one at a time under load and drops no request`, { timeout: 20_000 }, async (t) => {
    const c = await startClusterProgram({ DELAY_MS: '20', SCHEDULING: scheduling }, t.signal);
    let done = false;
    try {
      const [, pidsText] = /^cluster ready (.*)$/.exec(await c.waitForLine(/^cluster ready/))!;
      const oldPids = new Set(pidsText!.split(',').map(Number));
      let stats: LoadStats | undefined;
      const load = runLoad(c.port, '/', () => done).then((s) => (stats = s));
      await loadFor(500);
      c.child.kill('SIGHUP');
      await c.waitForLine(/^cluster: reload complete$/);
      await loadFor(300);
      done = true;
      await load;
      const s = stats!;
      assert.deepEqual(s.failures, [], `dropped requests: ${s.failures.length} (ok ${s.ok})`);
      assert.ok(s.ok > 50, `requests served: ${s.ok}`);
      const newPids = [...s.byPid.keys()].filter((p) => !oldPids.has(p));
      // Round-robin hands connections to every worker in turn. With 'os' scheduling the kernel
      // picks whichever worker accepts first, and may give one worker every connection of a
      // short window: both new workers being ready is checked from the log below instead.
      if (scheduling === 'round-robin') assert.equal(newPids.length, 2, `new workers that answered: ${newPids.join(',')}`);
      else assert.ok(newPids.length >= 1, `new workers that answered: ${newPids.join(',')}`);
      // The order of the log is the rolling order: ready before the old one stops, one slot at a time.
      const events = c.lines.filter((l) => /^cluster: worker \d+ (ready|stopped)/.test(l)).slice(2);
      assert.equal(events.length, 4, events.join('\n'));
      assert.match(events[0]!, /ready/);
      assert.match(events[1]!, /stopped \(code 0\)/);
      assert.match(events[2]!, /ready/);
      assert.match(events[3]!, /stopped \(code 0\)/);
    } finally {
      done = true;
      c.kill();
      await c.exited;
    }
  });

}

test('SIGTERM lets requests in flight finish, then every worker and the primary exit 0', { timeout: 20_000 }, async (t) => {
  const c = await startClusterProgram({ SLOW_MS: '800' }, t.signal);
  const conns: Conn[] = [];
  try {
    await c.waitForLine(/^cluster ready/);
    // Four slow requests whose heads have arrived: they are in flight on the workers.
    const inFlight: Promise<{ body: string; willClose: boolean }>[] = [];
    const heads: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      const conn = new Conn(c.port);
      conns.push(conn);
      heads.push(new Promise<void>((onHead) => inFlight.push(conn.request('/slow', onHead))));
    }
    await Promise.all(heads);
    c.child.kill('SIGTERM');
    const results = await Promise.allSettled(inFlight);
    for (const r of results) {
      assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      assert.match(r.value.body, /^\d+$/);
    }
    // The head left before the shutdown, so it could not say Connection: close; the server
    // closes each connection once its response is complete.
    await Promise.all(conns.map((conn) => (conn.socket.closed ? undefined : once(conn.socket, 'close'))));
    assert.deepEqual(await c.exited, { code: 0, signal: null });
    assert.ok(c.lines.includes('cluster: all workers stopped'));
    assert.ok(c.lines.includes('cluster done stopped'));
    // Nobody listens any more.
    const refused = await new Promise<boolean>((res) => {
      const s = net.connect(c.port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), res(false)));
      s.on('error', () => res(true));
    });
    assert.equal(refused, true);
  } finally {
    for (const conn of conns) conn.close();
    c.kill();
    await c.exited;
  }
});

test('a worker that keeps crashing stops the cluster with exit code 1 after crashLoopLimit', { timeout: 20_000 }, async (t) => {
  const c = await startClusterProgram({ WORKERS: '1', CRASH_AFTER_READY: '1', CRASH_LOOP_LIMIT: '3', INITIAL_BACKOFF_MS: '10' }, t.signal);
  try {
    assert.deepEqual(await c.exited, { code: 1, signal: null });
    const restarts = c.lines.filter((l) => /^cluster: restarting slot 0 in \d+ ms$/.test(l));
    assert.deepEqual(restarts, ['cluster: restarting slot 0 in 10 ms', 'cluster: restarting slot 0 in 20 ms']);
    assert.ok(c.lines.includes('cluster: slot 0 crashed 3 times in a row; giving up'), c.lines.join('\n'));
    assert.ok(c.lines.includes('cluster done crash-loop'));
  } finally {
    c.kill();
    await c.exited;
  }
});
