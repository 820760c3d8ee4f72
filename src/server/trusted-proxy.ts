/**
 * Trusted proxies: the client's address, scheme and host as a reverse proxy
 * reports them in `Forwarded` (RFC 7239) or `X-Forwarded-For/-Proto/-Host`.
 *
 * Owns `clientInfo()` and the parsing of those fields. It is pure: no sockets,
 * no clock, nothing cached but compiled trust lists. It must never believe a
 * forwarding field unless the peer that sent it is a configured proxy: any
 * client can write `X-Forwarded-For: 127.0.0.1`.
 *
 * Theory of operation
 * -------------------
 * Each proxy appends the address it received the request from to the list, so
 * the list reads client, proxy1, proxy2... and the TCP peer is the last proxy.
 * Only the right end can be believed: we start at the peer and, while the hop
 * in hand is trusted, step one element to the left. The first element whose
 * sender we cannot vouch for is the client (RFC 7239 §5.2, §8.1). Anything to
 * its left was written by that untrusted party and is ignored. `Forwarded` is
 * split into elements from the right too, so a malformed value a client sent
 * cannot swallow the elements trusted proxies appended after it.
 */
import { BlockList, isIP } from 'node:net';

/** What `clientInfo()` needs from a request (a keel `Request` has all of it). */
export interface ForwardedRequestLike {
  /** The TCP peer's address. */
  readonly remoteAddress: string;
  /** True on a TLS connection. */
  readonly isSecure: boolean;
  /** A field's values joined with ", " (RFC 9110 §5.3), or undefined. */
  header(name: string): string | undefined;
}

/** Options of `clientInfo()`. */
export interface TrustedProxyOptions {
  /**
   * Addresses and CIDR ranges of the proxies in front of this server, IPv4 or IPv6
   * ("10.0.0.0/8", "::1", "fd00::/8"), or the names "loopback", "linklocal",
   * "uniquelocal" (private ranges). Empty: trust no one, use the socket's peer.
   */
  trustedProxies: readonly string[];
  /**
   * Most proxy hops to walk past, counting the peer. Default unlimited (every trusted
   * hop). With `hops: 1` only the peer's own report is used.
   */
  hops?: number;
  /**
   * Which fields the proxies write. Default 'x-forwarded' (what nginx, HAProxy and most
   * load balancers set). There is no "whichever is present": a proxy that sets one
   * passes the other through from the client unchanged, so reading both is spoofable.
   */
  header?: 'x-forwarded' | 'forwarded';
}

/** The client as seen through trusted proxies. */
export interface ClientInfo {
  /**
   * The client's IP address (IPv4-mapped IPv6 written as IPv4, IPv6 without brackets).
   * When a trusted proxy reports an obfuscated or unknown node (RFC 7239 §6.2, §6.3),
   * that token ("unknown", "_hidden") instead.
   */
  ip: string;
  /** The scheme the client used. */
  protocol: 'http' | 'https';
  /** The host (and port) the client asked for: `Host`, or the proxy's report of it; "" if none. */
  host: string;
}

/** Names for groups of ranges, as in proxy-addr (Express's `trust proxy`). */
const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** A compiled trust list: is this address a proxy we believe? */
export type TrustPredicate = (address: string) => boolean;

/** Compiles a trust list. Throws a TypeError on an entry that is not an address, range or name. */
export function compileTrust(list: readonly string[]): TrustPredicate {
  const block = new BlockList();
  let isEmpty = true;
  const add = (entry: string): void => {
    const slash = entry.indexOf('/');
    const addr = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(addr);
    if (family === 0) throw new TypeError(`trustedProxies: not an IP address or range: ${JSON.stringify(entry)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      block.addAddress(addr, type);
    } else {
      const bits = entry.slice(slash + 1);
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new TypeError(`trustedProxies: bad prefix length in ${JSON.stringify(entry)}`);
      block.addSubnet(addr, Number(bits), type);
    }
    isEmpty = false;
  };
  for (const entry of list) {
    const named = NAMED_RANGES[entry];
    if (named !== undefined) named.forEach(add);
    else add(entry);
  }
  if (isEmpty) return () => false;
  return (address) => {
    const family = isIP(address);
    // BlockList matches an IPv4-mapped IPv6 peer (::ffff:10.0.0.1) against IPv4 rules too.
    return family !== 0 && block.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

const compiled = new WeakMap<readonly string[], TrustPredicate>();

function trustOf(list: readonly string[]): TrustPredicate {
  let fn = compiled.get(list);
  if (fn === undefined) compiled.set(list, (fn = compileTrust(list)));
  return fn;
}

/** "::ffff:1.2.3.4" → "1.2.3.4"; other addresses lower-cased. */
function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  return lower;
}

/** One hop as a proxy reported it. */
interface Hop {
  /** An IP (normalized), "unknown", an obfuscated "_token", or null when unparsable. */
  node: string | null;
  proto: string | undefined;
  host: string | undefined;
}

// ---- Forwarded (RFC 7239) ---------------------------------------------------

/** RFC 9110 §5.6.2 tchar. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 7239 §6.3 obfnode / obfport. */
const OBFUSCATED = /^_[A-Za-z0-9._-]+$/;

/** Number of backslashes right before `i`: an odd count escapes the character at `i`. */
function isEscaped(s: string, i: number): boolean {
  let n = 0;
  while (i - 1 - n >= 0 && s.charCodeAt(i - 1 - n) === 0x5c) n++;
  return n % 2 === 1;
}

/**
 * Splits a Forwarded field value into elements, rightmost first. Commas inside quoted
 * strings do not split. An unbalanced quote makes the rest (to the left) one `null`.
 */
export function splitForwarded(value: string): Array<string | null> {
  const out: Array<string | null> = [];
  let end = value.length;
  let inQuote = false;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x22 && !isEscaped(value, i)) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x2c) {
      out.push(value.slice(i + 1, end));
      end = i;
    }
  }
  out.push(inQuote ? null : value.slice(0, end));
  // RFC 9110 §5.6.1: empty list elements (", ,") are ignored.
  return out.filter((e) => e === null || e.trim() !== '');
}

/** Parses one forwarded-element (`for=...;proto=...`) into lower-cased names; null when malformed. */
export function parseForwardedElement(element: string): Map<string, string> | null {
  const pairs = new Map<string, string>();
  let i = 0;
  const s = element.trim();
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq === -1) return null;
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name) || pairs.has(name)) return null; // RFC 7239 §4: a parameter at most once
    let j = eq + 1;
    let value: string;
    if (s[j] === '"') {
      value = '';
      j++;
      for (;;) {
        if (j >= s.length) return null;
        const c = s[j]!;
        if (c === '"') break;
        if (c === '\\') {
          if (j + 1 >= s.length) return null;
          value += s[j + 1];
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      j++;
    } else {
      const semi = s.indexOf(';', j);
      value = s.slice(j, semi === -1 ? s.length : semi).trim();
      if (!TOKEN.test(value)) return null;
      j = semi === -1 ? s.length : semi;
    }
    pairs.set(name, value);
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    if (j < s.length) {
      if (s[j] !== ';') return null;
      j++;
    }
    i = j;
  }
  return pairs.size === 0 ? null : pairs;
}

/**
 * RFC 7239 §6: node = nodename [ ":" node-port ]; nodename = IPv4 / "[" IPv6 "]" /
 * "unknown" / obfnode. Returns the node name without the port, or null.
 */
function parseNode(value: string): string | null {
  let name = value;
  let port: string | undefined;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close === -1) return null;
    const rest = name.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    port = rest === '' ? undefined : rest.slice(1);
    name = name.slice(1, close);
    if (isIP(name) !== 6) return null;
  } else {
    const colon = name.indexOf(':');
    if (colon !== -1) {
      port = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
    if (isIP(name) !== 4 && name.toLowerCase() !== 'unknown' && !OBFUSCATED.test(name)) return null;
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port) && !OBFUSCATED.test(port)) return null;
  return isIP(name) !== 0 ? normalizeIp(name) : name.startsWith('_') ? name : 'unknown';
}

function forwardedHops(value: string): Hop[] {
  // Rightmost first; reversed at the end so both header styles give hops left to right.
  const hops: Hop[] = [];
  for (const element of splitForwarded(value)) {
    const pairs = element === null ? null : parseForwardedElement(element);
    const forValue = pairs?.get('for');
    hops.push({
      node: forValue === undefined ? null : parseNode(forValue),
      proto: pairs?.get('proto'),
      host: pairs?.get('host'),
    });
    if (pairs === null) break; // cannot see past a malformed element
  }
  return hops.reverse();
}

// ---- X-Forwarded-* ----------------------------------------------------------

/** An X-Forwarded-For entry: an IP, maybe with a port ("1.2.3.4:5678", "[::1]:80"). */
function parseXffEntry(raw: string): string | null {
  const v = raw.trim();
  if (isIP(v) !== 0) return normalizeIp(v);
  const node = parseNode(v);
  return node !== null && isIP(node) !== 0 ? node : v.toLowerCase() === 'unknown' ? 'unknown' : null;
}

function listOf(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function xForwardedHops(req: ForwardedRequestLike): Hop[] {
  const fors = listOf(req.header('x-forwarded-for'));
  const protos = listOf(req.header('x-forwarded-proto'));
  const hosts = listOf(req.header('x-forwarded-host'));
  // Proxies that append to -Proto/-Host line up with -For from the right; a proxy that
  // overwrites leaves one value, which then belongs to every hop (the nearest wins).
  const align = (list: string[], i: number): string | undefined =>
    list.length === 0 ? undefined : list[Math.max(0, Math.min(list.length - 1, i - (fors.length - list.length)))];
  return fors.map((f, i) => ({ node: parseXffEntry(f), proto: align(protos, i), host: align(hosts, i) }));
}

// ---- the walk ---------------------------------------------------------------

/** RFC 3986 host [":" port]: a reg-name, IPv4 or bracketed IPv6 literal. Rejects anything else. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::\d{1,5})?$/;

function protocolOf(proto: string | undefined): 'http' | 'https' | undefined {
  const p = proto?.toLowerCase();
  return p === 'http' || p === 'https' ? p : undefined;
}

/**
 * The client's IP, scheme and host, believing forwarding fields only from trusted
 * proxies: starting at the TCP peer, walk the reported hops right to left while the
 * hop in hand is trusted (at most `hops` of them); the first untrusted one is the
 * client. Scheme and host come from the element that named the client, when given and
 * well-formed, else from the connection (`isSecure`) and the `Host` field.
 *
 * @example
 * const { ip, protocol } = clientInfo(req, { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });
 */
export function clientInfo(req: ForwardedRequestLike, options: TrustedProxyOptions): ClientInfo {
  const isTrusted = trustOf(options.trustedProxies);
  const maxHops = options.hops ?? Number.POSITIVE_INFINITY;
  const peer = normalizeIp(req.remoteAddress);
  const direct: ClientInfo = { ip: peer, protocol: req.isSecure ? 'https' : 'http', host: req.header('host') ?? '' };
  if (maxHops < 1 || !isTrusted(peer)) return direct;

  let hops: Hop[];
  if (options.header === 'forwarded') {
    const value = req.header('forwarded');
    hops = value === undefined ? [] : forwardedHops(value);
  } else {
    hops = xForwardedHops(req);
  }
  let client: Hop | undefined;
  let walked = 0;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    walked++;
    if (hop.node === null) break; // malformed: the last hop we could read stands
    client = hop;
    if (walked >= maxHops || isIP(hop.node) === 0 || !isTrusted(hop.node)) break;
  }
  if (client === undefined) return direct;
  const host = client.host !== undefined && HOST.test(client.host) ? client.host : direct.host;
  return { ip: client.node!, protocol: protocolOf(client.proto) ?? direct.protocol, host };
}
