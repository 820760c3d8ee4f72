/**
 * The WebSocket opening handshake as pure functions (RFC 6455 §4, RFC 7692 §5 and §7).
 *
 * Owns the server's reading of an upgrade request (method, version, Upgrade,
 * Connection, Sec-WebSocket-Key/-Version/-Protocol/-Extensions), the answer
 * to a request that fails (400, or 426 with what to offer instead), the
 * Sec-WebSocket-Accept value, subprotocol selection, the parsing of the
 * Sec-WebSocket-Extensions grammar (§9.1) and the permessage-deflate
 * negotiation. It decides nothing about authorization (Origin, cookies,
 * sessions: the app decides before the upgrade) and writes no bytes: the
 * server layer puts the returned fields in its 101 or error response.
 *
 * Sec-WebSocket-Accept is the base64 of a SHA-1 (§4.2.2). wire/ imports
 * nothing outside itself (test/architecture.test.ts: no node:crypto), and
 * Web Crypto's digest is asynchronous, so `acceptKey()` takes the SHA-1
 * function as a parameter; the server layer passes node:crypto's.
 */
import { isToken, trimOws } from './chars.js';
import { splitList } from './syntax.js';

/** The GUID of RFC 6455 §1.3, appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The only protocol version this codec speaks (RFC 6455 §4.1, §11.6). */
export const WEBSOCKET_VERSION = '13';

/** What the handshake needs of a request: the parser's RequestEvent has these fields. */
export interface UpgradeRequest {
  readonly method: string;
  readonly version: '1.0' | '1.1';
  /** Field lines: [name0, value0, name1, value1, ...]. */
  readonly rawHeaders: readonly string[];
}

/** One extension of a Sec-WebSocket-Extensions offer: its name and parameters, names lower-cased (§9.1). */
export interface ExtensionOffer {
  readonly name: string;
  /** Parameters in order; the value is null for a parameter without one. Quoted values are unquoted. */
  readonly params: ReadonlyArray<readonly [name: string, value: string | null]>;
}

/** A valid upgrade request: what the server needs to accept it. */
export interface UpgradeAccepted {
  readonly ok: true;
  /** Sec-WebSocket-Key as sent (24 base64 characters). */
  readonly key: string;
  /** Subprotocols the client offered, in its order of preference (§11.3.4). */
  readonly protocols: readonly string[];
  /** Extensions the client offered, in its order of preference (§9.1). */
  readonly extensions: readonly ExtensionOffer[];
}

/** A request that cannot be upgraded: the status to answer and the fields to add. */
export interface UpgradeRefused {
  readonly ok: false;
  /** 400 for a malformed handshake; 426 for a missing Upgrade: websocket or another version (RFC 9110 §15.5.22, RFC 6455 §4.4). */
  readonly status: 400 | 426;
  /** Stable code for logs, e.g. `ERR_WS_HANDSHAKE_KEY`. */
  readonly code: string;
  /** For logs: never contains request bytes. */
  readonly message: string;
  /** Fields to send with the refusal: [name, value, ...]. */
  readonly headers: readonly string[];
}

export type UpgradeCheck = UpgradeAccepted | UpgradeRefused;

const refuse = (status: 400 | 426, code: string, message: string, headers: readonly string[] = []): UpgradeRefused => ({ ok: false, status, code, message, headers });

/** Every value of the fields named `lower` (case-insensitive), in order. */
function fieldValues(rawHeaders: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === lower.length && name.toLowerCase() === lower) out.push(rawHeaders[i + 1]);
  }
  return out;
}

/**
 * The elements of a #list over all the values (RFC 9110 §5.6.1, the parsers'
 * splitList: split on commas, OWS trimmed, empty elements dropped, case kept).
 * Null when an element is not a token (`Upgrade` elements may carry a
 * `/version`, passed as allowed).
 */
function tokenList(values: readonly string[], allowSlash = false): string[] | null {
  const out: string[] = [];
  for (const value of values) splitList(value, out);
  for (const item of out) {
    const slash = allowSlash ? item.indexOf('/') : -1;
    const ok = slash < 0 ? isToken(item) : isToken(item.slice(0, slash)) && isToken(item.slice(slash + 1));
    if (!ok) return null;
  }
  return out;
}

/** True when the request asks to switch to WebSocket: an `Upgrade` list naming `websocket`, in any case (§4.2.1 item 3). */
export function isWebSocketUpgrade(req: UpgradeRequest): boolean {
  const upgrade = tokenList(fieldValues(req.rawHeaders, 'upgrade'), true);
  return upgrade !== null && upgrade.some((p) => p.toLowerCase() === 'websocket');
}

/** A canonical base64 encoding of 16 bytes: 22 characters, the last with its 4 unused bits zero, then "==". */
const KEY_RE = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/**
 * Checks an upgrade request against RFC 6455 §4.2.1, in the order of that
 * list, and returns either what the server needs to accept it or the status
 * to refuse it with. The caller has already routed it (isWebSocketUpgrade()
 * or a WebSocket route) and may still refuse it for its own reasons (403 for
 * an Origin it does not allow, §10.2).
 */
export function checkUpgradeRequest(req: UpgradeRequest): UpgradeCheck {
  const h = req.rawHeaders;
  // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
  if (req.method !== 'GET') return refuse(400, 'ERR_WS_HANDSHAKE_METHOD', 'a WebSocket upgrade must be a GET');
  if (req.version !== '1.1') return refuse(400, 'ERR_WS_HANDSHAKE_HTTP_VERSION', 'a WebSocket upgrade needs HTTP/1.1');
  // Item 3: Upgrade lists "websocket". Without it the request is not an upgrade at all:
  // 426 tells the client what this resource needs (RFC 9110 §15.5.22 requires the Upgrade field).
  const upgrade = tokenList(fieldValues(h, 'upgrade'), true);
  if (upgrade === null) return refuse(400, 'ERR_WS_HANDSHAKE_UPGRADE', 'malformed Upgrade field');
  if (!upgrade.some((p) => p.toLowerCase() === 'websocket')) {
    return refuse(426, 'ERR_WS_UPGRADE_REQUIRED', 'this resource needs a WebSocket upgrade', ['Upgrade', 'websocket', 'Connection', 'Upgrade']);
  }
  // Item 4: Connection lists "Upgrade" (any case).
  const connection = tokenList(fieldValues(h, 'connection'));
  if (connection === null || !connection.some((t) => t.toLowerCase() === 'upgrade')) {
    return refuse(400, 'ERR_WS_HANDSHAKE_CONNECTION', 'Connection does not list upgrade');
  }
  // Item 6 before item 5, so a client speaking another version learns which one to use (§4.4):
  // one Sec-WebSocket-Version field, exactly "13", else 426 with the version we speak.
  const versions = fieldValues(h, 'sec-websocket-version');
  if (versions.length !== 1 || trimOws(versions[0]) !== WEBSOCKET_VERSION) {
    return refuse(426, 'ERR_WS_HANDSHAKE_VERSION', 'unsupported WebSocket version', ['Sec-WebSocket-Version', WEBSOCKET_VERSION]);
  }
  // Item 5: one Sec-WebSocket-Key, "a base64-encoded value that, when decoded, is 16 bytes in length".
  const keys = fieldValues(h, 'sec-websocket-key');
  const key = keys.length === 1 ? trimOws(keys[0]) : '';
  if (!KEY_RE.test(key)) return refuse(400, 'ERR_WS_HANDSHAKE_KEY', 'missing, repeated or malformed Sec-WebSocket-Key');
  // Item 8: subprotocols, a list of tokens (§4.1: "unique strings"), possibly over several fields.
  const protocols = tokenList(fieldValues(h, 'sec-websocket-protocol'));
  if (protocols === null || new Set(protocols).size !== protocols.length) {
    return refuse(400, 'ERR_WS_HANDSHAKE_PROTOCOL', 'malformed or repeated Sec-WebSocket-Protocol');
  }
  // Item 9: extensions (§9.1 grammar). A malformed field is refused, like ws does; unknown
  // extensions are simply not selected later (§9.1: the server picks among the offers).
  const extensions = parseExtensions(fieldValues(h, 'sec-websocket-extensions'));
  if (extensions === null) return refuse(400, 'ERR_WS_HANDSHAKE_EXTENSIONS', 'malformed Sec-WebSocket-Extensions');
  return { ok: true, key, protocols, extensions };
}

/**
 * Sec-WebSocket-Accept for a key (§4.2.2 item 5.4): base64(SHA-1(key + GUID)).
 * @param sha1 a SHA-1 of a latin1 string, e.g. `(s) => createHash('sha1').update(s, 'latin1').digest()` in the server layer
 */
export function acceptKey(key: string, sha1: (data: string) => Uint8Array): string {
  const digest = sha1(key + WEBSOCKET_GUID);
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('base64');
}

/**
 * Picks the subprotocol to answer with (§4.2.2 item 5.4), only ever one the
 * client offered: the first offered one the server supports (the client lists
 * them by preference, §11.3.4), or what `choose` returns. Null: answer with no
 * Sec-WebSocket-Protocol (the client then decides whether to go on, §4.1).
 * @throws TypeError when `choose` returns a protocol the client did not offer
 */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[] | ((offered: readonly string[]) => string | null)): string | null {
  if (typeof supported !== 'function') return offered.find((p) => supported.includes(p)) ?? null;
  const chosen = supported(offered);
  if (chosen !== null && !offered.includes(chosen)) throw new TypeError('the selected subprotocol was not offered by the client (RFC 6455 §4.2.2)');
  return chosen;
}

/**
 * Parses Sec-WebSocket-Extensions values (RFC 6455 §9.1):
 *   extension-list = 1#( extension-token *( ";" extension-param ) )
 *   extension-param = token [ "=" ( token / quoted-string ) ]
 * where a quoted value must be a token once unquoted. Returns null when the
 * syntax is broken. Names are lower-cased; values are kept as sent.
 */
export function parseExtensions(values: readonly string[]): ExtensionOffer[] | null {
  const s = values.join(',');
  const n = s.length;
  const out: ExtensionOffer[] = [];
  let i = 0;
  const ows = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && isToken(s[i])) i++;
    return s.slice(start, i);
  };
  for (;;) {
    // Empty list elements are allowed and skipped (RFC 9110 §5.6.1).
    ows();
    while (i < n && s[i] === ',') {
      i++;
      ows();
    }
    if (i === n) return out;
    const name = token();
    if (name === '') return null;
    const params: Array<readonly [string, string | null]> = [];
    ows();
    while (i < n && s[i] === ';') {
      i++;
      ows();
      const pname = token();
      if (pname === '') return null;
      ows();
      let value: string | null = null;
      if (i < n && s[i] === '=') {
        i++;
        ows();
        if (s[i] === '"') {
          value = quotedString();
          if (value === null || !isToken(value)) return null;
        } else {
          value = token();
          if (value === '') return null;
        }
        ows();
      }
      params.push([pname.toLowerCase(), value]);
    }
    if (i < n && s[i] !== ',') return null;
    out.push({ name: name.toLowerCase(), params });
  }

  /** quoted-string (RFC 9110 §5.6.4) at s[i]; its unescaped content, or null. */
  function quotedString(): string | null {
    let v = '';
    for (i++; i < n; i++) {
      const c = s[i];
      if (c === '"') {
        i++;
        return v;
      }
      if (c === '\\') {
        i++;
        if (i === n) return null;
      }
      v += s[i];
    }
    return null;
  }
}

/** permessage-deflate as the server wants it (RFC 7692 §7.1). */
export interface PerMessageDeflateConfig {
  /** Reset the server's compressor after each message (less memory per connection, worse ratio). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compressor after each message (lets the server's inflater forget between messages). Default false. */
  clientNoContextTakeover?: boolean;
  /** Largest LZ77 window the server compresses with, 9..15 (2^N bytes). Default 15. */
  serverMaxWindowBits?: number;
  /** Largest window the client may compress with, 9..15, asked only when the client offered the parameter. Default 15. */
  clientMaxWindowBits?: number;
}

/** The negotiated parameters: what both compressors and decompressors must do. */
export interface PerMessageDeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** Window the server compresses with (the client inflates with at least this). */
  readonly serverMaxWindowBits: number;
  /** Window the client compresses with at most (the server inflates with at least this). */
  readonly clientMaxWindowBits: number;
}

/** The extension's registered name (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';
/** Window bits accepted in a configuration: zlib cannot make a raw deflate stream with an 8-bit window (it uses 9). */
const MIN_CONFIG_WINDOW_BITS = 9;
const MAX_WINDOW_BITS = 15;
/** RFC 7692 §7.1.2.1: a window bits value is 1*DIGIT in 8..15, with no leading zero. */
const WINDOW_BITS_RE = /^(?:[89]|1[0-5])$/;

/** The parameters of one permessage-deflate offer, or null when the offer is invalid (RFC 7692 §7.1). */
function readDeflateOffer(offer: ExtensionOffer): { sNct: boolean; cNct: boolean; sBits: number | null; cBits: number | 'none' | 'any' } | null {
  let sNct = false;
  let cNct = false;
  let sBits: number | null = null;
  let cBits: number | 'none' | 'any' = 'none';
  const seen = new Set<string>();
  for (const [name, value] of offer.params) {
    // §7.1: "an extension negotiation offer ... MUST NOT include" a parameter twice, nor unknown ones:
    // the server declines such an offer.
    if (seen.has(name)) return null;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== null) return null; // §7.1.1.1: no value
        sNct = true;
        break;
      case 'client_no_context_takeover':
        if (value !== null) return null; // §7.1.1.2: no value
        cNct = true;
        break;
      case 'server_max_window_bits':
        if (value === null || !WINDOW_BITS_RE.test(value)) return null; // §7.1.2.1: a value in 8..15
        sBits = Number(value);
        break;
      case 'client_max_window_bits':
        if (value === null) cBits = 'any'; // §7.1.2.2: without a value, the client only says it supports the parameter
        else if (WINDOW_BITS_RE.test(value)) cBits = Number(value);
        else return null;
        break;
      default:
        return null;
    }
  }
  return { sNct, cNct, sBits, cBits };
}

function checkBits(name: string, v: number | undefined): number {
  if (v === undefined) return MAX_WINDOW_BITS;
  if (!Number.isInteger(v) || v < MIN_CONFIG_WINDOW_BITS || v > MAX_WINDOW_BITS) throw new RangeError(`${name} must be an integer in 9..15`);
  return v;
}

/**
 * Accepts the first valid permessage-deflate offer (RFC 7692 §5: offers are in
 * the client's order of preference), or returns null to answer without the
 * extension. An offer with an unknown or repeated parameter, or a value out of
 * range, is declined and the next one tried; it is never accepted with bad
 * parameters. An offer that limits the server's window to 8 bits is declined
 * too: zlib compresses raw deflate with at least a 9-bit window.
 * @returns the parameters both sides use, and the Sec-WebSocket-Extensions value to answer with
 */
export function negotiatePerMessageDeflate(
  offers: readonly ExtensionOffer[],
  config: PerMessageDeflateConfig = {},
): { params: PerMessageDeflateParams; header: string } | null {
  const wantServerBits = checkBits('serverMaxWindowBits', config.serverMaxWindowBits);
  const wantClientBits = checkBits('clientMaxWindowBits', config.clientMaxWindowBits);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue; // unknown extensions are ignored (§9.1)
    const o = readDeflateOffer(offer);
    if (o === null) continue;
    if (o.sBits === 8) continue;
    const parts = [PERMESSAGE_DEFLATE];
    // §7.1.1.1: accepting an offer with server_no_context_takeover means echoing it; the server may also add it.
    const serverNoContextTakeover = o.sNct || config.serverNoContextTakeover === true;
    if (serverNoContextTakeover) parts.push('server_no_context_takeover');
    // §7.1.1.2: the server may ask it of the client whether or not the client offered it.
    const clientNoContextTakeover = o.cNct || config.clientNoContextTakeover === true;
    if (clientNoContextTakeover) parts.push('client_no_context_takeover');
    // §7.1.2.1: answer with the offered value or a smaller one; without an offer, the server may state its own limit.
    const serverMaxWindowBits = o.sBits === null ? wantServerBits : Math.min(o.sBits, wantServerBits);
    if (o.sBits !== null || serverMaxWindowBits < MAX_WINDOW_BITS) parts.push(`server_max_window_bits=${serverMaxWindowBits}`);
    // §7.1.2.2: the server may limit the client's window only when the client offered the parameter.
    let clientMaxWindowBits = MAX_WINDOW_BITS;
    if (o.cBits !== 'none') {
      const offered = o.cBits === 'any' ? MAX_WINDOW_BITS : o.cBits;
      clientMaxWindowBits = Math.min(offered, wantClientBits);
      if (clientMaxWindowBits < offered) parts.push(`client_max_window_bits=${clientMaxWindowBits}`);
    }
    return {
      params: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
      header: parts.join('; '),
    };
  }
  return null;
}

/**
 * The fields of the 101 Switching Protocols answer (§4.2.2 item 5), as
 * [name, value, ...]: Upgrade, Connection, Sec-WebSocket-Accept, and the
 * selected subprotocol and extensions when there are any.
 */
export function upgradeResponseHeaders(accept: string, protocol: string | null = null, extensions: string | null = null): string[] {
  const out = ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', accept];
  if (protocol !== null) out.push('Sec-WebSocket-Protocol', protocol);
  if (extensions !== null) out.push('Sec-WebSocket-Extensions', extensions);
  return out;
}
