/**
 * Test helpers for the `keel` command as a user runs it: `node dist/cli/main.js ARGS`
 * (the built CLI, so `npm run build` first; `npm test` does).
 *
 * `runKeel` waits for a command that ends by itself; `startKeel` starts one that
 * serves and lets the test wait for output lines and send signals. Every child
 * is killed by `stop()` (tests call it in `finally`) or by the test's abort signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI. */
export const KEEL = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** How a finished command ended. */
export interface KeelResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnKeel(args: readonly string[], nodeArgs: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  if (!existsSync(KEEL)) throw new Error(`${KEEL} is missing: run npm run build first`);
  return spawn(process.execPath, [...nodeArgs, KEEL, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** Runs `keel ARGS` to its end. */
export function runKeel(args: readonly string[], options: { nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<KeelResult> {
  const child = spawnKeel(args, options.nodeArgs ?? [], options.env ?? process.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `keel` process that serves until stopped. */
export interface RunningKeel {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the combined output matches `re` (rejects if the process exits first). */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGKILL the process (and the pids in `extraPids`) unless it is gone, then wait for it. */
  stop(extraPids?: readonly number[]): Promise<void>;
}

/** Starts `keel ARGS`; pass the test's context so a timed-out test kills it too. */
export function startKeel(args: readonly string[], signal?: AbortSignal): RunningKeel {
  const child = spawnKeel(args, [], process.env);
  let all = '';
  let out = '';
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const check = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = all.match(waiters[i]!.re);
      if (m !== null) waiters.splice(i, 1)[0]!.resolve(m);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (t: string) => {
    out += t;
    all += t;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    err += t;
    all += t;
    check();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = (pid: number): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const running: RunningKeel = {
    child,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const m = all.match(re);
        if (m !== null) return resolve(m);
        waiters.push({ re, resolve });
        void exited.then(() => reject(new Error(`keel ${args.join(' ')} exited before ${re}:\n${all}`)));
      }),
    exited,
    async stop(extraPids = []) {
      for (const pid of extraPids) kill(pid);
      if (child.exitCode === null && child.signalCode === null) kill(child.pid!);
      await exited;
    },
  };
  signal?.addEventListener('abort', () => void running.stop(), { once: true });
  return running;
}
