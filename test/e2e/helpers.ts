/**
 * Test helpers for end-to-end tests: start a program as a child process on a
 * free port (raw bytes go through test/helpers/socket.ts, responses through
 * test/helpers/http.ts).
 *
 * Every child started here is stopped by `stop()`; tests call it in `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before } from 'node:test';

/** A running child program that announced its port. */
export interface Started {
  child: ChildProcess;
  port: number;
  /** Every stdout line so far (the terminal output a user would see). */
  lines: string[];
  /** Resolves with the first stdout line matching `re` (already printed or future). */
  waitForLine(re: RegExp): Promise<string>;
  /** SIGTERM, then wait for exit; returns the exit code (or signal name). */
  stop(): Promise<number | string | null>;
}

/** Largest time a child may take to print its listening line: tsx compiles on start. */
export const START_TIMEOUT_MS = 20_000;

/**
 * Spawns `node --import tsx FILE ARGS... --port 0` (or `node FILE` for .mjs/.js)
 * and waits for a line "listening on [http://]HOST:PORT".
 */
export async function startProgram(file: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const nodeArgs = file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  const watchers: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl).replace(/\r$/, '');
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (let i = watchers.length - 1; i >= 0; i--) {
        if (watchers[i]!.re.test(line)) {
          watchers[i]!.resolve(line);
          watchers.splice(i, 1);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (stderr += text));
  const exited = once(child, 'exit');

  const waitForLine = (re: RegExp) =>
    new Promise<string>((resolve) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) resolve(seen);
      else watchers.push({ re, resolve });
    });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, string | null];
    return code ?? signal;
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await Promise.race([
      waitForLine(/listening on (?:https?:\/\/)?\S*:\d+\/?$/),
      exited.then(() => {
        throw new Error(`${file} exited before listening: ${stderr}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${file} did not start: ${stderr}`)), START_TIMEOUT_MS);
      }),
    ]);
    const port = Number(/:(\d+)\/?$/.exec(line.trim())?.[1]);
    return { child, port, lines, waitForLine, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `file` before the tests of the enclosing `describe` and stops it after them (the
 * one before/after pair for a suite that shares a program). The object reads the running
 * program; using it outside a test (before `before` ran) throws.
 */
export function programForSuite(file: string, args: string[] = []): Started {
  let started: Started | undefined;
  before(async () => {
    started = await startProgram(file, args);
  });
  after(async () => {
    await started?.stop();
  });
  const running = (): Started => {
    if (started === undefined) throw new Error(`${file} is not running: use it inside a test`);
    return started;
  };
  return {
    get child() {
      return running().child;
    },
    get port() {
      return running().port;
    },
    get lines() {
      return running().lines;
    },
    waitForLine: (re) => running().waitForLine(re),
    stop: () => running().stop(),
  };
}
