/**
 * The CGI environment: RFC 3875 §4.1 meta-variables for one script run.
 *
 * Owns turning a request (already resolved to a script) into the environment a
 * script sees: the meta-variables, HTTP_* variables from request headers, and the
 * few server variables an operator allows. It is pure: it must not read
 * process.env itself (the caller passes it), spawn anything or touch the file system.
 *
 * Security rules enforced here (STYLE.md §12, issue #6):
 * - `Proxy` never becomes HTTP_PROXY (httpoxy, CVE-2016-5385), whatever its spelling.
 * - A header name with `_` (or anything but letters, digits and `-`) is dropped, so
 *   `X_Foo` cannot spoof `X-Foo`: both would map to HTTP_X_FOO.
 * - Content-Type / Content-Length only appear as CONTENT_TYPE / CONTENT_LENGTH (§4.1.18).
 * - Authorization is not passed unless the operator opts in (§4.1.18: the server
 *   should not pass credentials it may have used itself).
 * - Nothing from the server's own environment passes except an allow-list.
 */

/**
 * Server environment variables passed to scripts by default: what a script needs
 * to find programs and format text and dates, nothing with secrets in it.
 */
export const DEFAULT_CGI_ENV_ALLOW_LIST: readonly string[] = Object.freeze([
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
]);

/** PATH given to scripts when the server itself has none (the POSIX default search path). */
export const DEFAULT_CGI_PATH = '/usr/local/bin:/usr/bin:/bin';

/** `SERVER_SOFTWARE` default (RFC 3875 §4.1.17: product/version of the server). */
export const DEFAULT_CGI_SERVER_SOFTWARE = 'keel';

/** What the environment is built from: the request, already resolved to a script. */
export interface CgiEnvInput {
  /** REQUEST_METHOD (§4.1.12), case kept. */
  readonly method: string;
  /** SCRIPT_NAME (§4.1.13): the decoded URL path of the script, e.g. "/cgi-bin/env.sh". */
  readonly scriptName: string;
  /** PATH_INFO (§4.1.5): the decoded rest of the path after the script, "" or starting with "/". */
  readonly pathInfo: string;
  /** PATH_TRANSLATED (§4.1.6): PATH_INFO mapped to a file path; undefined when PATH_INFO is empty. */
  readonly pathTranslated: string | undefined;
  /** QUERY_STRING (§4.1.7): the query as received, still URL-encoded, "" when none. */
  readonly query: string;
  /** REQUEST_URI (an Apache/nginx extension): the request-target as received. */
  readonly requestUri: string;
  /** SCRIPT_FILENAME (an Apache extension, needed by php-cgi): the script's file path. */
  readonly scriptFilename: string;
  /** SERVER_NAME (§4.1.14). */
  readonly serverName: string;
  /** SERVER_PORT (§4.1.15). */
  readonly serverPort: number;
  /** HTTP version of the request, for SERVER_PROTOCOL (§4.1.16). */
  readonly httpVersion: string;
  /** SERVER_SOFTWARE (§4.1.17). */
  readonly serverSoftware: string;
  /** REMOTE_ADDR (§4.1.8); also REMOTE_HOST, since keel does no reverse DNS (§4.1.9 allows this). */
  readonly remoteAddress: string;
  /** REMOTE_PORT (common extension, Apache and nginx set it). */
  readonly remotePort: number;
  /** True on TLS: sets HTTPS=on (common extension). */
  readonly isSecure: boolean;
  /** CONTENT_TYPE (§4.1.3), when the request has one. */
  readonly contentType: string | undefined;
  /** CONTENT_LENGTH (§4.1.2): the byte count of the body stdin will carry, when there is a body. */
  readonly contentLength: number | undefined;
  /** Request field lines [name0, value0, ...] as the server received them (latin1 strings). */
  readonly rawHeaders: readonly string[];
  /** Pass Authorization as HTTP_AUTHORIZATION (off by default). */
  readonly passAuthorization: boolean;
}

/** Header names a CGI environment variable may come from: letters, digits and "-" only. */
const ENV_SAFE_HEADER_NAME = /^[A-Za-z0-9-]+$/;

/**
 * Request headers that never become HTTP_* variables.
 * - Proxy: httpoxy; HTTP_PROXY is read as a proxy setting by many HTTP clients.
 * - Content-Type / Content-Length: they are CONTENT_TYPE / CONTENT_LENGTH (§4.1.18),
 *   and the length a script sees must be the real byte count of stdin.
 * - Transfer-Encoding: the body the script reads is already decoded.
 */
const NEVER_PASSED_HEADERS: ReadonlySet<string> = new Set(['proxy', 'content-type', 'content-length', 'transfer-encoding']);

/**
 * The CGI variable name for a request header (`User-Agent` -> `HTTP_USER_AGENT`), or
 * null when the header must not be passed (RFC 3875 §4.1.18).
 *
 * @param name the field name as received
 * @param passAuthorization whether Authorization may become HTTP_AUTHORIZATION
 */
export function headerEnvName(name: string, passAuthorization = false): string | null {
  if (!ENV_SAFE_HEADER_NAME.test(name)) return null;
  const lower = name.toLowerCase();
  if (NEVER_PASSED_HEADERS.has(lower)) return null;
  if (lower === 'authorization' && !passAuthorization) return null;
  return 'HTTP_' + name.toUpperCase().replace(/-/g, '_');
}

/**
 * Turns a latin1 string (one char per byte, as the wire layer decodes header
 * bytes) into the string whose UTF-8 encoding is those same bytes, so the script
 * sees what the client sent. Bytes that are not valid UTF-8 cannot cross
 * `spawn()` unchanged (it encodes env values as UTF-8) and become U+FFFD.
 */
export function latin1ToEnvValue(s: string): string {
  // Fast path: pure ASCII is the same in both encodings.
  if (!/[^\x00-\x7f]/.test(s)) return s;
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** The auth-scheme token of an Authorization value (RFC 9110 §11.6.2), for AUTH_TYPE (§4.1.1). */
function authScheme(value: string): string | undefined {
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]|$)/.exec(value);
  return m?.[1];
}

/**
 * Picks the allowed variables from the server's environment.
 *
 * @param source usually process.env
 * @param allowList names to copy when present (exact, case-sensitive)
 */
export function pickAllowedEnv(source: Readonly<Record<string, string | undefined>>, allowList: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of allowList) {
    const value = source[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Builds the full environment for one script run.
 *
 * Precedence, lowest first: `base` (allowed server variables and fixed operator
 * values), then HTTP_* variables, then the RFC 3875 meta-variables, so a request
 * header can never overwrite a meta-variable or an operator's setting with the
 * same name. Variables holding a NUL are left out (execve cannot carry them).
 *
 * @param input the request, resolved to a script
 * @param base allowed server variables and operator extras
 */
export function buildCgiEnv(input: CgiEnvInput, base: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = { ...base };
  if (env.PATH === undefined) env.PATH = DEFAULT_CGI_PATH;

  // HTTP_* (§4.1.18). Repeated fields are joined with ", " (RFC 9110 §5.3), except
  // Cookie, whose pairs are joined with "; " (RFC 6265 §5.4).
  const httpVars = new Map<string, string>();
  const h = input.rawHeaders;
  for (let i = 0; i + 1 < h.length; i += 2) {
    const name = h[i] as string;
    const envName = headerEnvName(name, input.passAuthorization);
    if (envName === null || Object.hasOwn(base, envName)) continue;
    const value = latin1ToEnvValue(h[i + 1] as string);
    const prev = httpVars.get(envName);
    const separator = envName === 'HTTP_COOKIE' ? '; ' : ', ';
    httpVars.set(envName, prev === undefined ? value : prev + separator + value);
  }
  for (const [k, v] of httpVars) env[k] = v;

  // §4.1 meta-variables.
  env.GATEWAY_INTERFACE = 'CGI/1.1';
  env.SERVER_NAME = input.serverName;
  env.SERVER_PORT = String(input.serverPort);
  env.SERVER_PROTOCOL = 'HTTP/' + input.httpVersion;
  env.SERVER_SOFTWARE = input.serverSoftware;
  env.REQUEST_METHOD = input.method;
  env.SCRIPT_NAME = input.scriptName;
  env.PATH_INFO = input.pathInfo;
  delete env.PATH_TRANSLATED;
  if (input.pathInfo !== '' && input.pathTranslated !== undefined) env.PATH_TRANSLATED = input.pathTranslated;
  env.QUERY_STRING = input.query;
  env.REMOTE_ADDR = input.remoteAddress;
  env.REMOTE_HOST = input.remoteAddress;
  env.REMOTE_PORT = String(input.remotePort);
  env.REQUEST_URI = input.requestUri;
  env.SCRIPT_FILENAME = input.scriptFilename;
  // §4.1.3 / §4.1.2: set only when the request carries a body (or declares a type).
  delete env.CONTENT_TYPE;
  delete env.CONTENT_LENGTH;
  if (input.contentType !== undefined) env.CONTENT_TYPE = latin1ToEnvValue(input.contentType);
  if (input.contentLength !== undefined) env.CONTENT_LENGTH = String(input.contentLength);
  // §4.1.1: the auth-scheme of the request's Authorization. keel authenticates no
  // one itself, so REMOTE_USER (§4.1.11) is never set.
  delete env.AUTH_TYPE;
  delete env.REMOTE_USER;
  const authorization = headerValue(input.rawHeaders, 'authorization');
  const scheme = authorization === undefined ? undefined : authScheme(authorization);
  if (scheme !== undefined) env.AUTH_TYPE = scheme;
  delete env.HTTPS;
  if (input.isSecure) env.HTTPS = 'on';

  for (const [k, v] of Object.entries(env)) {
    if (k.includes('\0') || v.includes('\0')) delete env[k];
  }
  return env;
}

/** First value of a field in a flat [name, value, ...] list, case-insensitive. */
function headerValue(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return undefined;
}

/** Host names and IP literals allowed in SERVER_NAME (§4.1.14: hostname | IPv4 | "[" IPv6 "]"). */
const SERVER_NAME_SYNTAX = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;

/**
 * SERVER_NAME for a request: the configured name, else the host part of the Host
 * header when it is a well-formed name (the usual practice, Apache's
 * `UseCanonicalName Off`), else the local address of the connection.
 *
 * @param configured the operator's serverName option
 * @param host the request's Host header
 * @param localAddress the connection's local address
 */
export function cgiServerName(configured: string | undefined, host: string | undefined, localAddress: string): string {
  if (configured !== undefined) return configured;
  if (host !== undefined) {
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:[0-9]*$/, '');
    if (name !== '' && SERVER_NAME_SYNTAX.test(name)) return name;
  }
  return localAddress.includes(':') ? `[${localAddress}]` : localAddress;
}
