/**
 * `keel get URL`: fetch a URL with keel's own client, curl-style.
 *
 * Owns the command's entry in main.ts's table (options, usage), turning its
 * arguments into one request, and what it prints: the body on stdout (or to
 * `-o FILE`), the response head first with `-i`, and with `-v` every byte sent
 * and received on stderr, CR and LF made visible as the demo's wire inspector
 * shows them. Exit codes are main.ts's: 0 when a response arrived (whatever
 * its status), 1 on a network or protocol error (one plain line, with the
 * error's code), 2 on a usage mistake. Must not parse argv itself (args.ts
 * does) or start a server; it drives src/client only. Nothing imports cli/.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Client, type ClientResponse } from '../client/index.js';
import { DEBUG_OPTION, HELP_OPTION, UsageError, flagValue, listValue, type OptionSpec, type ParsedCommandLine } from './args.js';
import type { RunCommand } from './command.js';

/** The options of `keel get`, curl's letters where curl has one. */
const GET_OPTIONS: readonly OptionSpec[] = [
  { name: 'request', short: 'X', value: 'METHOD', help: 'request method (default GET, or POST with a body)' },
  { name: 'header', short: 'H', value: "'K: V'", repeatable: true, help: 'add a request field' },
  { name: 'data', short: 'd', value: 'DATA', help: 'send DATA as the body (form-encoded unless -H sets Content-Type)' },
  { name: 'data-binary', value: '@FILE|TEXT', help: "send a file's bytes (or the text) as the body, as is" },
  { name: 'include', short: 'i', help: 'print the response head before the body' },
  { name: 'verbose', short: 'v', help: 'print every byte sent and received on stderr, CR and LF shown as \\r \\n' },
  { name: 'output', short: 'o', value: 'FILE', help: 'write the body to FILE instead of stdout' },
  { name: 'http1.0', help: 'send an HTTP/1.0 request' },
  { name: 'insecure', short: 'k', help: "do not verify the server's certificate (self-signed test servers only)" },
  DEBUG_OPTION,
  HELP_OPTION,
];

/** What one `keel get` does, from its arguments. */
interface GetConfig {
  readonly url: URL;
  readonly method: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer | null;
  readonly include: boolean;
  readonly verbose: boolean;
  readonly output: string | undefined;
  readonly http10: boolean;
  readonly insecure: boolean;
}

/**
 * Turns parsed arguments into a request. Throws `UsageError` for a mistake on the command line;
 * a `--data-binary @FILE` that cannot be read throws the file system's error (a runtime failure).
 * Field names and values are checked by the client when the request is built.
 */
function getConfig(args: ParsedCommandLine): GetConfig {
  const given = args.positionals[0];
  if (given === undefined) throw new UsageError('a URL is required');
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(given)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`unsupported scheme ${url.protocol} (http: or https:)`);
  const headers: Array<[string, string]> = [];
  for (const h of listValue(args, 'header')) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`a header is 'Name: value', got ${JSON.stringify(h)}`);
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  const data = args.values.get('data');
  const dataBinary = args.values.get('data-binary');
  if (typeof data === 'string' && typeof dataBinary === 'string') throw new UsageError('-d and --data-binary are exclusive');
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
  let body: Buffer | null = null;
  if (typeof data === 'string') {
    body = Buffer.from(data, 'utf8');
    // As curl: -d is a form body unless told otherwise.
    if (!has('content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  } else if (typeof dataBinary === 'string') {
    body = dataBinary.startsWith('@') ? readFileSync(dataBinary.slice(1)) : Buffer.from(dataBinary, 'utf8');
  }
  if (!has('user-agent')) headers.push(['User-Agent', 'keel-get']);
  if (!has('accept')) headers.push(['Accept', '*/*']);
  const method = args.values.get('request');
  const output = args.values.get('output');
  return {
    url,
    method: typeof method === 'string' ? method : body === null ? 'GET' : 'POST',
    headers,
    body,
    include: flagValue(args, 'include'),
    verbose: flagValue(args, 'verbose'),
    output: typeof output === 'string' ? output : undefined,
    http10: flagValue(args, 'http1.0'),
    insecure: flagValue(args, 'insecure'),
  };
}

/**
 * Shows bytes as text with CR, LF, TAB, backslash and non-printable bytes escaped, one line
 * per LF, each line prefixed by `prefix` ('> ' sent, '< ' received). Keeps its place between calls.
 */
export class WireFormatter {
  #atLineStart = true;
  constructor(readonly prefix: string) {}

  format(bytes: Uint8Array): string {
    let out = '';
    for (const c of bytes) {
      if (this.#atLineStart) {
        out += this.prefix;
        this.#atLineStart = false;
      }
      if (c === 0x0a) {
        out += '\\n\n';
        this.#atLineStart = true;
      } else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x5c) out += '\\\\';
      else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
      else out += `\\x${c.toString(16).padStart(2, '0')}`;
    }
    return out;
  }

  /** A newline if the last line was left open (so the next output starts on its own line). */
  finish(): string {
    if (this.#atLineStart) return '';
    this.#atLineStart = true;
    return '\n';
  }
}

/** `-v`: both directions of the wire on one stream, each run of bytes on lines of its own. */
class WireTrace {
  readonly #sent = new WireFormatter('> ');
  readonly #received = new WireFormatter('< ');
  #last: WireFormatter | null = null;
  constructor(readonly out: Writable) {}

  write(direction: 'sent' | 'received', bytes: Buffer): void {
    const f = direction === 'sent' ? this.#sent : this.#received;
    if (this.#last !== null && this.#last !== f) this.out.write(this.#last.finish());
    this.#last = f;
    this.out.write(f.format(bytes));
  }

  /** Ends the open line, if any (before an error line or the end). */
  finish(): void {
    if (this.#last !== null) this.out.write(this.#last.finish());
  }
}

/** The response head as it came, for `-i` (the wire's CRLFs kept). */
function formatHead(res: ClientResponse): Buffer {
  let head = `HTTP/${res.version} ${res.status}${res.reason === '' ? '' : ` ${res.reason}`}\r\n`;
  for (let i = 0; i < res.rawHeaders.length; i += 2) head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/**
 * Sends the request and prints the answer; resolves 0 once the body is written. A network or
 * protocol error rejects (main.ts prints it as one line); a request the client refuses to build
 * (a bad method, a field with CR/LF, framing fields that contradict the body) is a `UsageError`.
 */
async function fetchAndPrint(config: GetConfig): Promise<number> {
  const trace = config.verbose ? new WireTrace(process.stderr) : undefined;
  const client = new Client(config.url.origin, {
    httpVersion: config.http10 ? '1.0' : '1.1',
    tls: config.insecure ? { rejectUnauthorized: false } : {},
    maxConnections: 1,
    onWire: trace === undefined ? undefined : (direction, bytes) => trace.write(direction, bytes),
  });
  try {
    let pending: Promise<ClientResponse>;
    try {
      pending = client.request({ method: config.method, path: `${config.url.pathname}${config.url.search}`, headers: config.headers, body: config.body });
    } catch (err) {
      if (err instanceof TypeError) throw new UsageError(err.message);
      throw err;
    }
    const res = await pending;
    // End the trace's open line before the body goes to stdout, so a terminal showing both
    // streams does not glue the body to the last traced bytes.
    trace?.finish();
    if (config.include) process.stdout.write(formatHead(res));
    const out = config.output === undefined ? process.stdout : createWriteStream(config.output);
    await pipeline(res.body, out, { end: config.output !== undefined });
    return 0;
  } finally {
    trace?.finish();
    client.destroy();
  }
}

/** `keel get URL [options]`. */
export const getCommand: RunCommand = {
  kind: 'run',
  name: 'get',
  synopsis: 'URL [options]',
  summary: "fetch a URL with keel's own client (-v shows the bytes)",
  description: 'Sends one request with keel\'s HTTP/1.1 client and writes the response body to stdout.',
  options: GET_OPTIONS,
  maxPositionals: 1,
  epilog: 'exit codes: 0 a response arrived (any status), 1 network or protocol error, 2 usage mistake',
  prepare(args) {
    const config = getConfig(args);
    return () => fetchAndPrint(config);
  },
};
