/**
 * `keel get URL`: fetch a URL with keel's own client, curl-style.
 *
 * Owns the command's flags, its output and its exit codes: 0 when a response
 * arrived (whatever its status), 1 on a network or protocol error (one plain
 * line on stderr), 2 on a usage error. `-v` prints every byte sent and
 * received, CR and LF made visible as the demo's wire inspector shows them.
 * It drives src/client only; it never starts a server. Nothing imports cli/.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { Client } from '../client/index.js';

const USAGE = `usage: keel get URL [options]

  -X, --request METHOD     request method (default GET, or POST with a body)
  -H, --header 'K: V'      add a request field (repeatable)
  -d, --data DATA          send DATA as the body (form-encoded unless -H sets Content-Type)
      --data-binary @FILE  send a file's bytes as the body (or the literal text after it)
  -i, --include            print the response head before the body
  -v, --verbose            print every byte sent and received (stderr), CR and LF shown as \\r \\n
  -o, --output FILE        write the body to FILE instead of stdout
      --http1.0            send an HTTP/1.0 request
  -k, --insecure           do not verify the server's certificate (self-signed test servers)
  -h, --help               this text

exit codes: 0 a response arrived (any status), 1 network or protocol error, 2 usage error
`;

/** Where the command writes; tests pass their own. */
export interface GetIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

class UsageError extends Error {}

interface GetConfig {
  url: URL;
  method: string;
  headers: Array<[string, string]>;
  body: Buffer | null;
  include: boolean;
  verbose: boolean;
  output: string | undefined;
  http10: boolean;
  insecure: boolean;
}

function parseGetArgs(argv: string[]): GetConfig | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        request: { type: 'string', short: 'X' },
        header: { type: 'string', short: 'H', multiple: true },
        data: { type: 'string', short: 'd' },
        'data-binary': { type: 'string' },
        include: { type: 'boolean', short: 'i' },
        verbose: { type: 'boolean', short: 'v' },
        output: { type: 'string', short: 'o' },
        'http1.0': { type: 'boolean' },
        insecure: { type: 'boolean', short: 'k' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'a URL is required' : 'only one URL');
  let url: URL;
  try {
    url = new URL(parsed.positionals[0]);
  } catch {
    throw new UsageError(`not a URL: ${parsed.positionals[0]}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`unsupported scheme ${url.protocol} (http: or https:)`);
  const headers: Array<[string, string]> = [];
  for (const h of v.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`a header is 'Name: value', got ${JSON.stringify(h)}`);
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  if (v.data !== undefined && v['data-binary'] !== undefined) throw new UsageError('-d and --data-binary are exclusive');
  let body: Buffer | null = null;
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
  if (v.data !== undefined) {
    body = Buffer.from(v.data, 'utf8');
    // As curl: -d is a form body unless told otherwise.
    if (!has('content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  } else if (v['data-binary'] !== undefined) {
    const d = v['data-binary'];
    try {
      body = d.startsWith('@') ? readFileSync(d.slice(1)) : Buffer.from(d, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${d.slice(1)}: ${(err as Error).message}`);
    }
  }
  if (!has('user-agent')) headers.push(['User-Agent', 'keel-get']);
  if (!has('accept')) headers.push(['Accept', '*/*']);
  return {
    url,
    method: v.request ?? (body === null ? 'GET' : 'POST'),
    headers,
    body,
    include: v.include === true,
    verbose: v.verbose === true,
    output: v.output,
    http10: v['http1.0'] === true,
    insecure: v.insecure === true,
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

/** Runs `keel get` with `argv` (after "get"); resolves with the exit code. */
export async function runGet(argv: string[], io: GetIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let config: GetConfig | 'help';
  try {
    config = parseGetArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`keel get: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (config === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  const sent = new WireFormatter('> ');
  const received = new WireFormatter('< ');
  let last: WireFormatter | null = null;
  const client = new Client(config.url.origin, {
    httpVersion: config.http10 ? '1.0' : '1.1',
    tls: config.insecure ? { rejectUnauthorized: false } : {},
    maxConnections: 1,
    onWire: config.verbose
      ? (direction, bytes) => {
          const f = direction === 'sent' ? sent : received;
          if (last !== null && last !== f) io.stderr.write(last.finish());
          last = f;
          io.stderr.write(f.format(bytes));
        }
      : undefined,
  });
  try {
    const res = await client.request({
      method: config.method,
      path: `${config.url.pathname}${config.url.search}`,
      headers: config.headers,
      body: config.body,
    });
    if (config.include) {
      let head = `HTTP/${res.version} ${res.status}${res.reason === '' ? '' : ` ${res.reason}`}\r\n`;
      for (let i = 0; i < res.rawHeaders.length; i += 2) head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
      io.stdout.write(Buffer.from(`${head}\r\n`, 'latin1'));
    }
    const out = config.output === undefined ? io.stdout : createWriteStream(config.output);
    await pipeline(res.body, out, { end: config.output !== undefined });
    if (last !== null) io.stderr.write((last as WireFormatter).finish());
    return 0;
  } catch (err) {
    if (last !== null) io.stderr.write((last as WireFormatter).finish());
    const e = err as Error & { code?: string };
    io.stderr.write(`keel get: ${e.message}${e.code === undefined ? '' : ` (${e.code})`}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
