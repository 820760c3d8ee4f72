/**
 * The CGI/1.1 gateway (RFC 3875): a Handler that runs executable scripts from a directory.
 *
 * Owns mapping a request path to a script inside the CGI root, running it with
 * node:child_process (never a shell), feeding it the request body, enforcing the
 * time, output and header limits, and turning its output into a response. It must
 * not import anything from server/ but the Handler types, nor app/; it never uses
 * synchronous fs calls on the request path (many scripts run at once), never sends
 * a status before the script has sent its header block, and never echoes script
 * output or request bytes in its own error responses.
 *
 * Theory of operation (one request):
 * 1. Resolve: `normalizePath()` (the one normalizer, #5) decodes the path; the mount
 *    prefix is stripped; path segments are walked under the root until a regular
 *    file is met: that is the script, the rest is PATH_INFO (RFC 3875 §3.3). Its
 *    realpath must stay inside the root's realpath (no symlink escape, the shared
 *    `isInsideRoot()`) and it must be executable. 400 for a refused path, 404 when
 *    missing, 403 when not runnable or when a symlink leads out of the root.
 * 2. Body: a request with Content-Length streams to stdin; a chunked one is first
 *    buffered up to `maxBufferedBodyBytes`, because CONTENT_LENGTH must be the real
 *    byte count before the script starts (§4.1.2). 413 above that.
 * 3. Spawn `spawn(file, [], { shell: false, detached: true, env, cwd })`: detached
 *    makes the script a process-group leader, so the script and everything it started
 *    can be ended together (cgi-process.ts: SIGTERM, SIGKILL after `killGraceMs`).
 *    That happens after every run (#12): when the script exits (whatever it left
 *    running in the background dies with it, and a child still holding stdout no
 *    longer keeps the response open), on timeout, and when the client leaves.
 * 4. Read stdout until the blank line that ends the CGI header block (§6.2), then
 *    decide (cgi-response.ts): document, client redirect (sent as is), or local
 *    redirect (the script finishes, then its Location is served by this handler,
 *    up to `localRedirectLimit` times). Body bytes stream to the client with
 *    backpressure: while the socket is full, stdout is not read, so the script blocks.
 * 5. Failures: before the header block, 502 (bad header block, crash, early exit) or
 *    504 (timeout), each with one log line; after it, the status is already on the
 *    wire, so the handler rejects with {@link CgiAbortError} and the server closes
 *    the connection without completing the response, which tells the client it is
 *    truncated. A client that disconnects gets its script killed.
 * 6. The run is over when stdout has ended and the script has exited; `timeoutMs`
 *    bounds that whole span, from spawn to both.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';
import type { Handler, Request, ResponseWriter } from '../server/handler.js';
import { PLAIN_ERROR_CONTENT_TYPE, plainErrorBody } from '../wire/error-body.js';
import { ProtocolError } from '../wire/errors.js';
import { normalizeMountPrefix, pathBelowPrefix } from '../wire/mount-prefix.js';
import { normalizePath } from '../wire/path.js';
import {
  DEFAULT_CGI_ENV_ALLOW_LIST,
  DEFAULT_CGI_SERVER_SOFTWARE,
  buildCgiEnv,
  cgiServerName,
  pickAllowedEnv,
} from './cgi-env.js';
import { DEFAULT_CGI_KILL_GRACE_MS, killProcessGroup, watchProcessGroup } from './cgi-process.js';
import {
  CgiResponseError,
  findHeaderBlockEnd,
  parseCgiFieldLines,
  planCgiResponse,
  planNphResponse,
  type CgiResponsePlan,
} from './cgi-response.js';
import { isInsideRoot } from './root-containment.js';

export { DEFAULT_CGI_KILL_GRACE_MS } from './cgi-process.js';

/** Default wall-clock limit for one script run: Apache's `Timeout` is 60 s; a page should not take half of that. */
export const DEFAULT_CGI_TIMEOUT_MS = 30_000;
/** Default cap on everything a script writes to stdout (headers and body): 64 MiB. */
export const DEFAULT_CGI_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Default cap on the CGI header block: 32 KiB, the same as keel's request header limit. */
export const DEFAULT_CGI_MAX_HEADER_BYTES = 32 * 1024;
/**
 * Default cap on a chunked request body buffered (in memory) to compute CONTENT_LENGTH:
 * 8 MiB, room for a form with a few photos while 100 such uploads at once stay under
 * 1 GiB. Apache's mod_cgi refuses chunked bodies outright (411); nginx buffers
 * request bodies for its gateways under `client_max_body_size` (1 MiB).
 */
export const DEFAULT_CGI_MAX_BUFFERED_BODY_BYTES = 8 * 1024 * 1024;
/** Default cap on one logged stderr line; longer lines are cut so a script cannot flood the log with one line. */
export const DEFAULT_CGI_MAX_STDERR_LINE_BYTES = 4096;
/** Default number of local redirects one request may follow: Apache's `LimitInternalRecursion` is 10. */
export const DEFAULT_CGI_LOCAL_REDIRECT_LIMIT = 10;

/** Mode bits for execute permission of owner, group or others (POSIX `S_IXUSR | S_IXGRP | S_IXOTH`). */
const ANY_EXECUTE_BITS = 0o111;

/** Where the gateway writes script stderr lines and failure reports, one line per call. */
export type CgiLogger = (line: string) => void;

/** Options of {@link cgiHandler}. */
export interface CgiOptions {
  /** Directory holding the scripts. Only executable regular files inside it (after symlinks) run. */
  root: string;
  /**
   * Mount point stripped from the request path, e.g. "/cgi-bin": `/cgi-bin/a.sh/x`
   * runs `<root>/a.sh` with SCRIPT_NAME "/cgi-bin/a.sh" and PATH_INFO "/x".
   * Paths outside it get 404. Default "" (the handler owns the whole path space).
   */
  prefix?: string;
  /**
   * Wall-clock limit for one script run in ms, from its start until it has exited and
   * its stdout has ended; the process group is killed when it passes. Each local
   * redirect is a run of its own. Default {@link DEFAULT_CGI_TIMEOUT_MS}; `Infinity` disables it.
   */
  timeoutMs?: number;
  /**
   * Pause between the SIGTERM and the SIGKILL that end a script's process group (after
   * every run: normal exit, timeout, client gone). 0 sends SIGKILL at once. Default
   * {@link DEFAULT_CGI_KILL_GRACE_MS}.
   */
  killGraceMs?: number;
  /** Cap on stdout bytes (header block and body); the script is killed when it passes. Default {@link DEFAULT_CGI_MAX_OUTPUT_BYTES}. */
  maxOutputBytes?: number;
  /** Cap on the CGI header block; a longer one is a 502. Default {@link DEFAULT_CGI_MAX_HEADER_BYTES}. */
  maxHeaderBytes?: number;
  /** Cap on a chunked request body, which is buffered to learn its length (413 above it). Default {@link DEFAULT_CGI_MAX_BUFFERED_BODY_BYTES}. */
  maxBufferedBodyBytes?: number;
  /** Cap on one logged stderr line. Default {@link DEFAULT_CGI_MAX_STDERR_LINE_BYTES}. */
  maxStderrLineBytes?: number;
  /** Server environment variables passed to scripts. Default {@link DEFAULT_CGI_ENV_ALLOW_LIST} (PATH, LANG, LC_*, TZ). */
  envAllowList?: readonly string[];
  /** Fixed variables for every script (like Apache's `SetEnv`); meta-variables win over them. Default none. */
  env?: Readonly<Record<string, string>>;
  /** SERVER_NAME. Default: the host of the Host header when well-formed, else the local address. */
  serverName?: string;
  /** SERVER_SOFTWARE. Default {@link DEFAULT_CGI_SERVER_SOFTWARE}. */
  serverSoftware?: string;
  /** Directory PATH_INFO is mapped onto for PATH_TRANSLATED (§4.1.6). Default: `root`. */
  documentRoot?: string;
  /** Pass the Authorization header as HTTP_AUTHORIZATION (scripts doing their own auth). Default false. */
  passAuthorization?: boolean;
  /** Receives script stderr lines and failure reports. Default `console.error`. */
  logger?: CgiLogger;
  /** How many local redirects (§6.2.2) one request may follow before a 500. Default {@link DEFAULT_CGI_LOCAL_REDIRECT_LIMIT}. */
  localRedirectLimit?: number;
}

/**
 * Thrown (as the handler's rejection) when a response must be cut off after its
 * head was sent: timeout, output limit, or a body shorter than its Content-Length.
 * The server closes the connection, so the client sees a truncated response
 * rather than a complete-looking one.
 */
export class CgiAbortError extends Error {
  /** Stable code for logs and tests. */
  readonly code = 'ERR_CGI_ABORTED';
  constructor(message: string) {
    super(message);
    this.name = 'CgiAbortError';
  }
}

interface Config {
  readonly root: string;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly maxOutputBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxBufferedBodyBytes: number;
  readonly maxStderrLineBytes: number;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly serverName: string | undefined;
  readonly serverSoftware: string;
  readonly documentRoot: string;
  readonly passAuthorization: boolean;
  readonly log: CgiLogger;
  readonly localRedirectLimit: number;
}

/** The request as one script run sees it: the original, or a local redirect of it. */
interface RequestView {
  readonly method: string;
  /** REQUEST_URI. */
  readonly target: string;
  /** Raw (still percent-encoded) path. */
  readonly path: string;
  readonly query: string;
  /** Whether the original request body goes to this run (only the first run gets it). */
  readonly hasRequestBody: boolean;
}

/** A script found under the root. */
interface ScriptTarget {
  /** Real path of the file to execute. */
  readonly file: string;
  readonly scriptName: string;
  readonly pathInfo: string;
}

type Resolution = { readonly ok: true; readonly script: ScriptTarget } | { readonly ok: false; readonly status: number; readonly why?: string };

/** The longest delay setTimeout() honours (2^31 - 1 ms, about 24.8 days); Node turns a longer one into 1 ms. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

function checkLimit(name: string, value: number | undefined, fallback: number, allowInfinity = false, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  const ok = allowInfinity && v === Infinity ? true : Number.isSafeInteger(v) && v >= 0 && v <= max;
  if (!ok) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a non-negative integer' : `an integer from 0 to ${max}`;
    throw new TypeError(`cgiHandler: ${name} must be ${range}${allowInfinity ? ' or Infinity' : ''}`);
  }
  return v;
}

/** The `prefix` option in the one canonical form (`normalizeMountPrefix()`, src/wire/mount-prefix.ts). */
function checkPrefix(prefix: string | undefined): string {
  const p = normalizeMountPrefix(prefix);
  if (p === null) throw new TypeError('cgiHandler: prefix must be an absolute path like "/cgi-bin"');
  return p;
}

/**
 * Creates the CGI/1.1 gateway Handler (RFC 3875).
 *
 * Runs `<root>/<script>` for `<prefix>/<script>[/path-info][?query]`, with every
 * RFC 3875 §4.1 meta-variable in its environment and nothing from the server's
 * environment but `envAllowList`. See docs/cgi.md for the whole behaviour.
 *
 * @example
 * const server = new Server(cgiHandler({ root: './cgi-bin', prefix: '/cgi-bin' }));
 * await server.listen(8000);
 */
export function cgiHandler(options: CgiOptions): Handler {
  if (typeof options.root !== 'string' || options.root === '') throw new TypeError('cgiHandler: root is required');
  const root = resolve(options.root);
  const cfg: Config = {
    root,
    prefix: checkPrefix(options.prefix),
    // Both become setTimeout() delays: a longer one would fire at once, not never.
    timeoutMs: checkLimit('timeoutMs', options.timeoutMs, DEFAULT_CGI_TIMEOUT_MS, true, MAX_TIMER_DELAY_MS),
    killGraceMs: checkLimit('killGraceMs', options.killGraceMs, DEFAULT_CGI_KILL_GRACE_MS, false, MAX_TIMER_DELAY_MS),
    maxOutputBytes: checkLimit('maxOutputBytes', options.maxOutputBytes, DEFAULT_CGI_MAX_OUTPUT_BYTES, true),
    maxHeaderBytes: checkLimit('maxHeaderBytes', options.maxHeaderBytes, DEFAULT_CGI_MAX_HEADER_BYTES),
    maxBufferedBodyBytes: checkLimit('maxBufferedBodyBytes', options.maxBufferedBodyBytes, DEFAULT_CGI_MAX_BUFFERED_BODY_BYTES),
    maxStderrLineBytes: checkLimit('maxStderrLineBytes', options.maxStderrLineBytes, DEFAULT_CGI_MAX_STDERR_LINE_BYTES),
    // Read the server environment once: it does not change per request.
    baseEnv: { ...pickAllowedEnv(process.env, options.envAllowList ?? DEFAULT_CGI_ENV_ALLOW_LIST), ...options.env },
    serverName: options.serverName,
    serverSoftware: options.serverSoftware ?? DEFAULT_CGI_SERVER_SOFTWARE,
    documentRoot: resolve(options.documentRoot ?? root),
    passAuthorization: options.passAuthorization ?? false,
    log: options.logger ?? ((line: string) => console.error(line)),
    localRedirectLimit: checkLimit('localRedirectLimit', options.localRedirectLimit, DEFAULT_CGI_LOCAL_REDIRECT_LIMIT),
  };
  const gateway = new Gateway(cfg);
  return (req, res) => gateway.serve(req, res, viewOf(req), 0);
}

function viewOf(req: Request): RequestView {
  return { method: req.method, target: req.target, path: req.path, query: req.query, hasRequestBody: req.hasBody };
}

/**
 * Sends the plain-text error body (docs/errors.md "Error bodies"), unless the head is
 * already out or the client is gone.
 */
function sendStatus(res: ResponseWriter, status: number): undefined {
  if (res.headersSent || res.closed || res.finished) return undefined;
  res.status = status;
  res.headers.set('Content-Type', PLAIN_ERROR_CONTENT_TYPE);
  res.end(plainErrorBody(status));
  return undefined;
}

/** Makes a string safe for a one-line log: control characters become "?". */
function logSafe(s: string): string {
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '?');
}

class Gateway {
  readonly #cfg: Config;
  /** Realpath of the root, looked up once it succeeds (the directory may be created after startup). */
  #rootReal: string | undefined;

  constructor(cfg: Config) {
    this.#cfg = cfg;
  }

  async serve(req: Request, res: ResponseWriter, view: RequestView, depth: number): Promise<void> {
    const cfg = this.#cfg;
    const decoded = normalizePath(view.path);
    if (decoded === null) return sendStatus(res, 400);
    const rest = pathBelowPrefix(decoded, cfg.prefix);
    if (rest === undefined) return sendStatus(res, 404);

    const found = await this.#resolve(rest);
    if (!found.ok) {
      if (found.why !== undefined) cfg.log(`cgi: ${logSafe(decoded)}: ${found.why}`);
      return sendStatus(res, found.status);
    }
    await new ScriptRun(cfg, req, res, view, found.script, depth, (next, d) => this.serve(req, res, next, d)).run();
  }

  async #realRoot(): Promise<string> {
    if (this.#rootReal === undefined) this.#rootReal = await realpath(this.#cfg.root);
    return this.#rootReal;
  }

  /**
   * Walks `rest` ("/a/b.sh/x/y") under the root until a regular file: that is the
   * script, the remainder is PATH_INFO (RFC 3875 §3.3, "script-URI").
   */
  async #resolve(rest: string): Promise<Resolution> {
    const cfg = this.#cfg;
    let rootReal: string;
    try {
      rootReal = await this.#realRoot();
    } catch {
      return { ok: false, status: 404, why: 'CGI root directory does not exist' };
    }
    // normalizePath() returned no "." / ".." / empty segments, so plain splitting is exact.
    const segments = rest.split('/').filter((s) => s !== '');
    let scriptName = '';
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as string;
      scriptName += '/' + seg;
      const candidate = join(cfg.root, scriptName);
      // Defence in depth: the normalizer already refused "..", but a path that is
      // not under the root must never reach the file system.
      if (!isInsideRoot(cfg.root, candidate)) return { ok: false, status: 403, why: 'path outside the CGI root' };
      let st;
      try {
        st = await stat(candidate);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES') return { ok: false, status: 403 };
        return { ok: false, status: 404 };
      }
      if (st.isDirectory()) continue;
      if (!st.isFile()) return { ok: false, status: 403, why: 'not a regular file' };
      // Symlinks are fine as long as they land inside the root (realpath check).
      let real: string;
      try {
        real = await realpath(candidate);
      } catch {
        return { ok: false, status: 404 };
      }
      // 403 as the static handler answers the same escape (issue #14 item 5).
      if (!isInsideRoot(rootReal, real)) return { ok: false, status: 403, why: 'symlink leads outside the CGI root' };
      // Any execute bit, and execute permission for this process (root passes access()
      // with any x bit, hence the mode check too).
      if ((st.mode & ANY_EXECUTE_BITS) === 0) return { ok: false, status: 403, why: 'script is not executable' };
      try {
        await access(real, fsConstants.X_OK);
      } catch {
        return { ok: false, status: 403, why: 'script is not executable' };
      }
      const pathInfo = segments.slice(i + 1).length === 0 ? '' : '/' + segments.slice(i + 1).join('/') + (rest.endsWith('/') ? '/' : '');
      return { ok: true, script: { file: real, scriptName: cfg.prefix + scriptName, pathInfo } };
    }
    // The root itself or a directory: no listing here.
    return { ok: false, status: segments.length === 0 ? 404 : 403 };
  }
}

/** Why a run stopped early. */
type Failure = 'timeout' | 'output-limit' | 'bad-response' | 'client-gone' | 'body-error' | 'internal';

/** One script execution for one request (or one local redirect of it). */
class ScriptRun {
  readonly #cfg: Config;
  readonly #req: Request;
  readonly #res: ResponseWriter;
  readonly #view: RequestView;
  readonly #script: ScriptTarget;
  readonly #depth: number;
  readonly #redirect: (view: RequestView, depth: number) => Promise<void>;
  readonly #isNph: boolean;
  readonly #isHead: boolean;

  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #failure: Failure | undefined;
  /** Set when run() has returned: late events (onClose) must not touch a reaped pid. */
  #isDone = false;
  /** Set once the exit status has been logged (a failure report includes it). */
  #hasLoggedExit = false;
  #bodyError: unknown;
  #timer: NodeJS.Timeout | undefined;
  /** Set when the script (the group leader) has exited. */
  #hasExited = false;
  /** Set while a body write waits for the client to take more (backpressure). */
  #isWaitingForClient = false;
  /** What the run was waiting for when timeoutMs passed, for the log line. */
  #timeoutCause: 'script' | 'client' | 'held-stdout' = 'script';
  /** Aborted on any failure: wakes up waits on drain() and stdin. */
  readonly #stop = new AbortController();

  constructor(
    cfg: Config,
    req: Request,
    res: ResponseWriter,
    view: RequestView,
    script: ScriptTarget,
    depth: number,
    redirect: (view: RequestView, depth: number) => Promise<void>,
  ) {
    this.#cfg = cfg;
    this.#req = req;
    this.#res = res;
    this.#view = view;
    this.#script = script;
    this.#depth = depth;
    this.#redirect = redirect;
    // RFC 3875 §5: scripts whose name starts with "nph-" write a full HTTP head.
    this.#isNph = basename(script.scriptName).startsWith('nph-');
    this.#isHead = view.method === 'HEAD';
  }

  #log(message: string): void {
    const pid = this.#child?.pid;
    this.#cfg.log(`cgi: ${logSafe(this.#script.scriptName)}${pid === undefined ? '' : `[${pid}]`}: ${message}`);
  }

  async run(): Promise<void> {
    const req = this.#req;
    const res = this.#res;
    const cfg = this.#cfg;

    // Learn the body length first: CONTENT_LENGTH must be exact (§4.1.2), so a
    // chunked body (no declared length) is buffered up to maxBufferedBodyBytes.
    let bufferedBody: Buffer | null = null;
    let contentLength: number | undefined;
    if (this.#view.hasRequestBody) {
      if (req.contentLength !== undefined) {
        contentLength = req.contentLength;
      } else {
        try {
          bufferedBody = await this.#bufferBody();
        } catch (err) {
          return this.#answerBodyError(err);
        }
        if (bufferedBody === null) {
          this.#log(`chunked request body over maxBufferedBodyBytes (${cfg.maxBufferedBodyBytes})`);
          return sendStatus(res, 413);
        }
        contentLength = bufferedBody.length;
      }
    } else if (this.#depth === 0 && req.header('content-length') !== undefined) {
      // An explicit `Content-Length: 0` is a (zero-length) body; no header at all is none.
      contentLength = 0;
    }

    const env = buildCgiEnv(
      {
        method: this.#view.method,
        scriptName: this.#script.scriptName,
        pathInfo: this.#script.pathInfo,
        pathTranslated: this.#script.pathInfo === '' ? undefined : join(cfg.documentRoot, this.#script.pathInfo),
        query: this.#view.query,
        requestUri: this.#view.target,
        scriptFilename: this.#script.file,
        serverName: cgiServerName(cfg.serverName, req.header('host'), req.localAddress),
        serverPort: req.localPort,
        httpVersion: req.version,
        serverSoftware: cfg.serverSoftware,
        remoteAddress: req.remoteAddress,
        remotePort: req.remotePort,
        isSecure: req.isSecure,
        contentType: this.#depth === 0 ? req.header('content-type') : undefined,
        contentLength,
        rawHeaders: req.rawHeaders,
        passAuthorization: cfg.passAuthorization,
      },
      cfg.baseEnv,
    );

    let child: ChildProcess;
    try {
      // No shell (nothing from the request is ever parsed as a command line); detached
      // makes the script a process-group leader so the whole group can be killed.
      // RFC 3875 §7.2: the working directory is the script's directory.
      child = spawn(this.#script.file, [], {
        shell: false,
        detached: true,
        env,
        cwd: dirname(this.#script.file),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.#child = child;
      const pid = child.pid;
      if (pid !== undefined) watchProcessGroup(pid);
      this.#exited = new Promise((resolveExit) =>
        child.once('exit', () => {
          this.#hasExited = true;
          // The script is done, so is its group (#12): a background child it left must
          // not outlive the request, nor hold stdout open (the response ends when it
          // does). Runs on every exit; a group already being killed is left alone.
          this.#killGroup();
          resolveExit();
        }),
      );
      await once(child, 'spawn');
      // Later errors (a failed kill) must not become an uncaught 'error' event.
      child.on('error', (err: NodeJS.ErrnoException) => this.#log(`child process error (${err.code ?? 'error'})`));
    } catch (err) {
      this.#log(`could not start script (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return sendStatus(res, 502);
    }

    const onAbort = (): void => this.#fail('client-gone');
    const signal = req.signal;
    signal.addEventListener('abort', onAbort, { once: true });
    // The client may have left while the script was being looked up and started.
    if (signal.aborted || res.closed) this.#fail('client-gone');
    res.onClose(() => {
      if (!res.finished) this.#fail('client-gone');
    });
    if (Number.isFinite(cfg.timeoutMs)) {
      this.#timer = setTimeout(() => {
        // After the script's exit, either the client is slow to read what is left,
        // or a process the script started holds stdout open.
        this.#timeoutCause = !this.#hasExited ? 'script' : this.#isWaitingForClient ? 'client' : 'held-stdout';
        this.#fail('timeout');
      }, cfg.timeoutMs);
    }
    this.#pipeStderr(child);
    const stdinDone = this.#feedStdin(child.stdin as Writable, bufferedBody);

    let localRedirect: string | undefined;
    try {
      localRedirect = await this.#pump(child);
    } catch (err) {
      // A bug or a writer error: still never leave the script running.
      this.#fail('internal');
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Never leave a script behind: a failure has started killing the group, and the
      // leader's exit does in any case. The timer stays armed until the leader exits,
      // so a script that closed stdout but keeps running is still killed at timeoutMs.
      await this.#exited;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      // A process that left the group may still hold stderr open: it must not keep
      // keel's event loop alive (its lines are still logged while keel runs).
      (child.stderr as Socket | null)?.unref();
      const code = child.exitCode;
      if (this.#failure === undefined && !this.#hasLoggedExit && code !== null && code !== 0) {
        this.#log(`exited with status ${code}`);
      }
      await stdinDone;
      this.#isDone = true;
    }
    // Only now, with this run's listeners and timer gone, serve the redirect target.
    if (localRedirect !== undefined) await this.#followLocalRedirect(localRedirect);
  }

  /** Reads a chunked request body whole; null when it passes maxBufferedBodyBytes. */
  async #bufferBody(): Promise<Buffer | null> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.#req.body) {
      total += chunk.length;
      if (total > this.#cfg.maxBufferedBodyBytes) return null;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  }

  #answerBodyError(err: unknown): undefined {
    if (err instanceof ProtocolError) return sendStatus(this.#res, err.status);
    // Otherwise the client went away mid-body: nobody to answer.
    return this.#res.closed ? undefined : sendStatus(this.#res, 400);
  }

  /** Stops the run: kills the script's process group and wakes every wait. */
  #fail(why: Failure): void {
    if (this.#failure !== undefined || this.#isDone) return;
    this.#failure = why;
    this.#killGroup();
    this.#child?.stdout?.destroy();
    this.#stop.abort();
  }

  /** Ends the script's process group: SIGTERM now, SIGKILL after killGraceMs; once per run. */
  #killGroup(): void {
    const pid = this.#child?.pid;
    // The detached script leads its own group, whose id is its pid, so grandchildren
    // (a shell's `sleep`, a pipeline) are signalled with it.
    if (pid !== undefined) killProcessGroup(pid, this.#cfg.killGraceMs);
  }

  /** Resolves when `p` settles or the run is stopped, whichever is first. */
  #untilStopped(p: Promise<unknown>): Promise<void> {
    if (this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolveWait) => {
      const done = (): void => {
        this.#stop.signal.removeEventListener('abort', done);
        resolveWait();
      };
      this.#stop.signal.addEventListener('abort', done, { once: true });
      p.then(done, done);
    });
  }

  /** Copies the request body to stdin with backpressure, then closes stdin. */
  async #feedStdin(stdin: Writable, buffered: Buffer | null): Promise<void> {
    // EPIPE when the script exits without reading its input is normal, not an error.
    stdin.on('error', () => {});
    if (buffered !== null) {
      stdin.end(buffered);
      return;
    }
    if (!this.#view.hasRequestBody) {
      stdin.end();
      return;
    }
    try {
      for await (const chunk of this.#req.body) {
        if (this.#stop.signal.aborted || stdin.destroyed) break;
        // Copy: a body chunk may be a view into the connection's parse buffer, and
        // the pipe holds on to what it is given until the script reads it.
        if (!stdin.write(Buffer.from(chunk))) {
          await this.#untilStopped(
            new Promise<void>((resolveDrain) => {
              const done = (): void => {
                stdin.off('drain', done);
                stdin.off('close', done);
                resolveDrain();
              };
              stdin.on('drain', done);
              stdin.on('close', done);
            }),
          );
        }
      }
    } catch (err) {
      // The body failed (413 over the server's maxBodyBytes, or the client left):
      // the script must not act on a partial body.
      this.#bodyError = err;
      this.#fail(this.#res.closed ? 'client-gone' : 'body-error');
    } finally {
      stdin.end();
    }
  }

  /** Logs stderr line by line; a line longer than maxStderrLineBytes is cut. */
  #pipeStderr(child: ChildProcess): void {
    const max = this.#cfg.maxStderrLineBytes;
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let isSkipping = false;
    const emit = (line: string): void => this.#log(`stderr: ${line.replace(/\r$/, '')}`);
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (pending + decoder.write(chunk)).split('\n');
      pending = lines.pop() as string;
      for (const line of lines) {
        if (isSkipping) isSkipping = false;
        else emit(line.length > max ? line.slice(0, max) + ' [cut]' : line);
      }
      if (pending.length > max) {
        if (!isSkipping) emit(pending.slice(0, max) + ' [cut]');
        isSkipping = true;
        pending = '';
      }
    });
    child.stderr?.on('end', () => {
      pending += decoder.end();
      if (pending !== '' && !isSkipping) emit(pending);
    });
    child.stderr?.on('error', () => {});
  }

  /** Reads stdout: header block, then body; answers the client, or returns a local redirect to follow. */
  async #pump(child: ChildProcess): Promise<string | undefined> {
    const cfg = this.#cfg;
    const res = this.#res;
    const stdout = child.stdout;
    if (stdout === null) {
      sendStatus(res, 502);
      return undefined;
    }

    let head: Buffer = Buffer.alloc(0);
    let total = 0;
    let plan: CgiResponsePlan | undefined;
    let remaining = Infinity; // body bytes still allowed by the script's Content-Length
    let hasWarnedExtra = false;
    let badResponse: string | undefined;

    const writeBody = async (chunk: Buffer): Promise<void> => {
      if (this.#isHead || plan?.kind !== 'document') return;
      let part = chunk;
      if (part.length > remaining) {
        part = part.subarray(0, remaining);
        if (!hasWarnedExtra) this.#log('script wrote more than its Content-Length; extra bytes dropped');
        hasWarnedExtra = true;
      }
      remaining -= part.length;
      if (part.length === 0) return;
      if (!res.write(part)) {
        this.#isWaitingForClient = true;
        await this.#untilStopped(res.drain());
        this.#isWaitingForClient = false;
      }
    };

    try {
      for await (const data of stdout) {
        const chunk = data as Buffer;
        total += chunk.length;
        if (total > cfg.maxOutputBytes) {
          this.#log(`output over maxOutputBytes (${cfg.maxOutputBytes}); killed`);
          this.#fail('output-limit');
          break;
        }
        if (plan !== undefined) {
          await writeBody(chunk);
          if (this.#failure !== undefined) break;
          continue;
        }
        const from = Math.max(0, head.length - 2);
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = findHeaderBlockEnd(head, from);
        if (end === null) {
          if (head.length > cfg.maxHeaderBytes) {
            badResponse = `header block over maxHeaderBytes (${cfg.maxHeaderBytes})`;
            break;
          }
          continue;
        }
        if (end.headerEnd > cfg.maxHeaderBytes) {
          badResponse = `header block over maxHeaderBytes (${cfg.maxHeaderBytes})`;
          break;
        }
        try {
          plan = this.#plan(head.subarray(0, end.headerEnd).toString('latin1'));
        } catch (err) {
          if (!(err instanceof CgiResponseError)) throw err;
          badResponse = err.message;
          break;
        }
        if (plan.kind === 'document') {
          if (!this.#sendHead(plan)) {
            badResponse = 'script header refused by the response writer';
            break;
          }
          if (plan.contentLength !== undefined) remaining = plan.contentLength;
          await writeBody(head.subarray(end.bodyStart));
          if (this.#failure !== undefined) break;
        }
        head = Buffer.alloc(0);
      }
    } catch (err) {
      // A destroyed stdout (after #fail) ends the loop with a premature-close error.
      if (this.#failure === undefined) throw err;
    }

    if (badResponse !== undefined) {
      this.#log(`bad response: ${badResponse}`);
      this.#fail('bad-response');
    }
    return this.#finish(plan, remaining);
  }

  #plan(block: string): CgiResponsePlan {
    const plan = this.#isNph ? planNphResponse(block) : planCgiResponse(parseCgiFieldLines(block));
    if (plan.kind === 'document' && plan.warning !== undefined) this.#log(plan.warning);
    return plan;
  }

  /** Sends the script's status and fields; false (nothing sent) when the writer refuses a field. */
  #sendHead(plan: CgiResponsePlan & { kind: 'document' }): boolean {
    const res = this.#res;
    if (res.closed) return true;
    const added: string[] = [];
    try {
      for (const [name, value] of plan.fields) {
        res.headers.append(name, value);
        added.push(name);
      }
      if (plan.contentLength !== undefined) {
        res.headers.set('Content-Length', plan.contentLength);
        added.push('Content-Length');
      }
    } catch {
      // Take back what was added so the 502 does not carry half the script's head.
      for (const name of added) res.headers.delete(name);
      return false;
    }
    // The head goes out now, so a script that streams (or is slow after its
    // headers) is seen by the client as soon as it has answered.
    res.writeHead(plan.status);
    return true;
  }

  /** After stdout ended (or the run was stopped): complete or abort the response, or return a local redirect. */
  async #finish(plan: CgiResponsePlan | undefined, remaining: number): Promise<string | undefined> {
    const res = this.#res;
    const failure = this.#failure;
    if (failure === 'client-gone') {
      this.#log('client disconnected; script killed');
      return;
    }
    if (failure === 'body-error') {
      this.#log('request body failed; script killed');
      if (!res.headersSent) return this.#answerBodyError(this.#bodyError);
      throw new CgiAbortError('request body failed after the response head was sent');
    }
    if (failure === 'timeout') {
      const after = `timed out after ${this.#cfg.timeoutMs} ms`;
      // A script that exited with its stdout still open left a process holding it,
      // most likely one outside its group (setsid, a daemon): out of reach, docs/cgi.md.
      this.#log(
        this.#timeoutCause === 'script'
          ? `${after}; process group killed`
          : this.#timeoutCause === 'client'
            ? `${after}; the script had exited, the client was still reading its output`
            : `${after}; the script had exited but its stdout was still open (held by a process it started)`,
      );
      if (!res.headersSent) {
        await this.#exited;
        return sendStatus(res, 504);
      }
      throw new CgiAbortError('CGI script timed out after the response head was sent');
    }
    if (failure === 'output-limit' || failure === 'bad-response') {
      if (!res.headersSent) {
        // Reap the script first so the 502 goes out with nothing left running.
        await this.#exited;
        return sendStatus(res, 502);
      }
      throw new CgiAbortError(failure === 'output-limit' ? 'CGI script output over maxOutputBytes' : 'bad CGI response');
    }
    if (failure === 'internal') return undefined; // run() rethrows the original error

    if (plan === undefined) {
      // stdout closed without a complete header block: crash or early exit (§6.2
      // requires at least one header field). Wait for the exit status for the log.
      await this.#exited;
      const child = this.#child;
      const how = child?.signalCode != null ? `killed by ${child.signalCode}` : `exited with status ${child?.exitCode ?? '?'}`;
      this.#log(`no complete header block before end of output (${how})`);
      this.#hasLoggedExit = true;
      return sendStatus(res, 502);
    }

    if (plan.kind === 'local-redirect') return plan.location;

    if (remaining !== Infinity && remaining > 0 && !this.#isHead) {
      this.#log(`output ended ${remaining} bytes short of its Content-Length`);
      throw new CgiAbortError('CGI body shorter than its Content-Length');
    }
    if (!res.finished && !res.closed) res.end();
    return undefined;
  }

  /**
   * RFC 3875 §6.2.2: serve `location` as if it had been requested. keel can only
   * serve paths this gateway owns (under its prefix); anything else is a 500,
   * because the CGI handler cannot reach the rest of the application. The method
   * becomes GET (HEAD stays HEAD) and the body is not sent again, as in Apache.
   */
  async #followLocalRedirect(location: string): Promise<void> {
    const cfg = this.#cfg;
    const next = this.#depth + 1;
    if (next > cfg.localRedirectLimit) {
      this.#log(`more than localRedirectLimit (${cfg.localRedirectLimit}) local redirects`);
      return sendStatus(this.#res, 500);
    }
    const q = location.indexOf('?');
    const path = q === -1 ? location : location.slice(0, q);
    const query = q === -1 ? '' : location.slice(q + 1);
    const decoded = normalizePath(path);
    const isUnderPrefix = decoded !== null && pathBelowPrefix(decoded, cfg.prefix) !== undefined;
    if (!isUnderPrefix) {
      this.#log('local redirect to a path outside the CGI prefix; cannot serve it');
      return sendStatus(this.#res, 500);
    }
    const view: RequestView = {
      method: this.#view.method === 'HEAD' ? 'HEAD' : 'GET',
      target: location,
      path,
      query,
      hasRequestBody: false,
    };
    await this.#redirect(view, next);
  }
}
