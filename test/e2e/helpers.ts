/**
 * Test helpers for end-to-end tests: start a program as a child process on a
 * free port, and talk raw bytes to it over TCP.
 *
 * Every child started here is stopped by `stop()`; tests call it in `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { once } from 'node:events';

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
 * Sends `pieces` over one TCP connection (each piece in its own write, awaiting
 * the previous one) and returns every byte received until the server closes.
 */
export async function rawExchange(port: number, pieces: Array<string | Buffer>, options: { halfClose?: boolean } = {}): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) => socket.write(piece, (err) => (err ? reject(err) : resolve())));
  }
  if (options.halfClose) socket.end();
  await ended;
  socket.destroy();
  return Buffer.concat(chunks);
}

/** A response split into its parts; header names lower-cased. */
export interface ParsedResponse {
  statusLine: string;
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Splits one Content-Length-framed HTTP/1.x response. */
export function parseResponse(bytes: Buffer): ParsedResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no end of head in ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...fieldLines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map<string, string>();
  for (const line of fieldLines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { statusLine, status: Number(statusLine.split(' ')[1]), headers, body: bytes.subarray(end + 4) };
}
