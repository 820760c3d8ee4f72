/**
 * The PROXY protocol, versions 1 (text) and 2 (binary), as HAProxy specifies it
 * (doc/proxy-protocol.txt): a header a load balancer sends at the start of a TCP
 * connection, before any HTTP, carrying the client's original addresses.
 *
 * Owns parsing that header (`parseProxyHeader`, pure: bytes in, result out) and
 * reading it off a socket (`readProxyHeader`: a size limit, a timeout, and the
 * bytes after the header handed back). It must only ever be enabled on a listener
 * that nothing but the proxy can reach: the header is believed as sent.
 */
import { isIP, type Socket } from 'node:net';

/** v1: "PROXY ... \r\n" is at most 107 bytes, CRLF included (spec §2.1). */
export const PROXY_V1_MAX_BYTES = 107;
/** v2: the 12-byte signature (spec §2.2). */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v2: signature, version/command, family/transport and a 16-bit length. */
const V2_FIXED_BYTES = 16;
/**
 * Default of `maxProxyHeaderBytes`: the largest v2 header accepted (addresses plus
 * TLVs). TLVs a load balancer adds (AWS VPC endpoint id, ALPN, authority, TLS info)
 * fit in a few hundred bytes; the format allows 64 KiB, which we need not buffer.
 */
export const DEFAULT_MAX_PROXY_HEADER_BYTES = 4_096;
/** Default of `proxyHeaderTimeoutMs`: a proxy sends the header at once, with the connection. */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5_000;

/** The addresses a PROXY header carries. */
export interface ProxyHeader {
  /** 1 or 2. */
  version: 1 | 2;
  /**
   * 'proxy': the addresses are the client's. 'local': the proxy's own connection
   * (health check, v2 LOCAL, v1 UNKNOWN, or a family we do not use): keep the socket's.
   */
  command: 'proxy' | 'local';
  /** Present when command is 'proxy'. */
  source?: { address: string; port: number };
  destination?: { address: string; port: number };
}

/** A malformed or oversized PROXY header: the connection is closed, nothing is answered. */
export class ProxyProtocolError extends Error {
  readonly code = 'ERR_PROXY_PROTOCOL';
}

/** `parseProxyHeader` needs more bytes. */
export const NEED_MORE = Symbol('NEED_MORE');

/**
 * Parses a PROXY header at the start of `buf`. Returns NEED_MORE when the bytes so far
 * are a valid prefix, else the header and how many bytes it took. Throws
 * ProxyProtocolError on anything else (including no PROXY header at all).
 */
export function parseProxyHeader(
  buf: Buffer,
  maxBytes = DEFAULT_MAX_PROXY_HEADER_BYTES,
): typeof NEED_MORE | { header: ProxyHeader; consumed: number } {
  if (buf.length === 0) return NEED_MORE;
  if (buf[0] === 0x50) return parseV1(buf); // "P"
  if (buf[0] === 0x0d) return parseV2(buf, maxBytes);
  throw new ProxyProtocolError('no PROXY protocol header');
}

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

function parseV1(buf: Buffer): typeof NEED_MORE | { header: ProxyHeader; consumed: number } {
  const prefixLen = Math.min(buf.length, V1_PREFIX.length);
  if (!buf.subarray(0, prefixLen).equals(V1_PREFIX.subarray(0, prefixLen))) throw new ProxyProtocolError('bad v1 signature');
  const lf = buf.indexOf(0x0a);
  if (lf === -1) {
    if (buf.length >= PROXY_V1_MAX_BYTES) throw new ProxyProtocolError('v1 header too long');
    return NEED_MORE;
  }
  if (lf + 1 > PROXY_V1_MAX_BYTES || buf[lf - 1] !== 0x0d) throw new ProxyProtocolError('bad v1 line end');
  const line = buf.subarray(0, lf - 1).toString('latin1');
  const parts = line.split(' ');
  // "PROXY UNKNOWN" may carry anything up to CRLF; the receiver ignores it (spec §2.1).
  if (parts[1] === 'UNKNOWN') return { header: { version: 1, command: 'local' }, consumed: lf + 1 };
  if (parts.length !== 6) throw new ProxyProtocolError('v1 needs 6 fields separated by single spaces');
  const [, proto, src, dst, srcPort, dstPort] = parts as [string, string, string, string, string, string];
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (family === 0) throw new ProxyProtocolError('v1 protocol must be TCP4, TCP6 or UNKNOWN');
  if (isIP(src) !== family || isIP(dst) !== family) throw new ProxyProtocolError('v1 address does not match its family');
  return {
    header: { version: 1, command: 'proxy', source: { address: src, port: v1Port(srcPort) }, destination: { address: dst, port: v1Port(dstPort) } },
    consumed: lf + 1,
  };
}

function v1Port(s: string): number {
  // Decimal, 0..65535, no leading zeros (spec §2.1).
  if (!/^(0|[1-9]\d{0,4})$/.test(s) || Number(s) > 65_535) throw new ProxyProtocolError('bad v1 port');
  return Number(s);
}

function parseV2(buf: Buffer, maxBytes: number): typeof NEED_MORE | { header: ProxyHeader; consumed: number } {
  const sigLen = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  if (!buf.subarray(0, sigLen).equals(PROXY_V2_SIGNATURE.subarray(0, sigLen))) throw new ProxyProtocolError('bad v2 signature');
  if (buf.length < V2_FIXED_BYTES) return NEED_MORE;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) throw new ProxyProtocolError('v2 version must be 2');
  const cmd = verCmd & 0x0f;
  if (cmd > 1) throw new ProxyProtocolError('v2 command must be LOCAL or PROXY');
  const famProto = buf[13]!;
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  const length = buf.readUInt16BE(14);
  const total = V2_FIXED_BYTES + length;
  if (total > maxBytes) throw new ProxyProtocolError('v2 header larger than maxProxyHeaderBytes');
  if (buf.length < total) return NEED_MORE;
  const body = buf.subarray(V2_FIXED_BYTES, total);
  // LOCAL: a connection the proxy made itself (health check); the socket's addresses stand.
  if (cmd === 0) return { header: { version: 2, command: 'local' }, consumed: total };
  if (transport === 2) throw new ProxyProtocolError('v2 DGRAM is not a TCP connection');
  let header: ProxyHeader;
  if (family === 1) {
    // AF_INET: 4+4 address bytes, 2+2 port bytes; TLVs may follow and are skipped.
    if (body.length < 12) throw new ProxyProtocolError('v2 INET block too short');
    header = {
      version: 2,
      command: 'proxy',
      source: { address: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`, port: body.readUInt16BE(8) },
      destination: { address: `${body[4]}.${body[5]}.${body[6]}.${body[7]}`, port: body.readUInt16BE(10) },
    };
  } else if (family === 2) {
    if (body.length < 36) throw new ProxyProtocolError('v2 INET6 block too short');
    header = {
      version: 2,
      command: 'proxy',
      source: { address: ipv6(body.subarray(0, 16)), port: body.readUInt16BE(32) },
      destination: { address: ipv6(body.subarray(16, 32)), port: body.readUInt16BE(34) },
    };
  } else {
    // UNSPEC or UNIX: no TCP address to report; the spec lets the receiver use the real endpoints.
    header = { version: 2, command: 'local' };
  }
  return { header, consumed: total };
}

/** 16 bytes → the shortest IPv6 text form (RFC 5952). */
function ipv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // The longest run of 2+ zero groups becomes "::" (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Limits of `readProxyHeader`. */
export interface ReadProxyHeaderOptions {
  /** Longest wait for the whole header. Default `DEFAULT_PROXY_HEADER_TIMEOUT_MS` (5 s). */
  timeoutMs?: number;
  /** Largest header accepted. Default `DEFAULT_MAX_PROXY_HEADER_BYTES` (4 KiB). */
  maxBytes?: number;
}

/**
 * Reads a PROXY header off the start of a socket. Resolves with the header and the
 * bytes that followed it (the start of the HTTP request), with the socket paused so
 * no byte is lost before the next reader attaches. Rejects on a malformed header, a
 * timeout, or the peer closing first; the caller destroys the socket.
 */
export function readProxyHeader(socket: Socket, options: ReadProxyHeaderOptions = {}): Promise<{ header: ProxyHeader; rest: Buffer }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PROXY_HEADER_BYTES;
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      // The 'error' listener stays: an error emitted before the caller destroys the socket
      // must not become an uncaught exception (fail() after settling is a no-op).
    };
    const fail = (message: string): void => {
      cleanup();
      reject(new ProxyProtocolError(message));
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let result;
      try {
        result = parseProxyHeader(buf, maxBytes);
      } catch (err) {
        fail((err as Error).message);
        return;
      }
      if (result === NEED_MORE) return;
      // Pause before detaching: a flowing socket with no 'data' listener drops bytes.
      socket.pause();
      cleanup();
      resolve({ header: result.header, rest: buf.subarray(result.consumed) });
    };
    const onEnd = (): void => fail('connection closed before the PROXY header');
    const timer = setTimeout(() => fail('PROXY header timed out'), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  });
}
