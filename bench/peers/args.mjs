/**
 * Command-line parsing shared by the benchmark peers.
 *
 * Owns `--port N`, `--host H`, `--workers N`, `--root DIR` and
 * `--keep-alive-timeout-ms N` for the scripts in bench/peers/. It must not
 * start anything: each peer decides what the flags mean for it.
 */

/** Default bind address: benchmarks only ever target loopback. */
export const DEFAULT_HOST = '127.0.0.1';

/** Default port when none is given (the harness always passes one). */
export const DEFAULT_PORT = 8080;

/** The body every hello peer answers with (13 bytes), as `keel hello` does. */
export const HELLO_BODY = 'Hello, World!';

/**
 * Parses `--name value` / `--name=value` flags from argv into an object of
 * strings; positional arguments go to `_`.
 */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const eq = a.indexOf('=');
    if (eq > 0) { out[a.slice(2, eq)] = a.slice(eq + 1); continue; }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = 'true';
    else { out[a.slice(2)] = next; i++; }
  }
  return out;
}

/** Parsed common options with defaults applied. */
export function commonOptions(argv) {
  const a = parseArgs(argv);
  return {
    port: Number(a.port ?? DEFAULT_PORT),
    host: a.host ?? DEFAULT_HOST,
    workers: Number(a.workers ?? 1),
    root: a.root ?? a._[0],
    keepAliveTimeoutMs: a['keep-alive-timeout-ms'] === undefined ? undefined : Number(a['keep-alive-timeout-ms']),
    args: a,
  };
}

/** Logs the listening line the harness ignores but humans like, on stderr. */
export function announce(name, host, port) {
  process.stderr.write(`${name} listening on http://${host}:${port}/\n`);
}
