/**
 * Wire-inspector controller: `/inspect` shows the request head the browser
 * sent and the response head keel sends for this very page.
 *
 * Owns rebuilding a request head from the parsed request (request line and
 * field lines in order, as received) and predicting this response's head
 * exactly. The prediction is exact because the page fixes everything the
 * server would otherwise add (server/response.ts): it sets Date and
 * Content-Length itself and asks for Connection: close, which the server
 * then writes as the last field line. The body contains its own head, so
 * Content-Length is found by iterating to a fixed point.
 * `/inspect/ws` does the same for a WebSocket (issue #15): its page opens a
 * socket to `/inspect/ws/echo`, which first sends the handshake (the upgrade
 * request's head as received and the 101's head as written), then, for each
 * message, a report of the frames it arrived in (FIN, RSV1, opcode, MASK,
 * payload length, the start of the payload) and of the frame of its echo,
 * then the echo. Bounded: messages up to INSPECT_WS_MAX_MESSAGE_BYTES, at most
 * INSPECT_WS_MAX_FRAMES_LISTED frames and INSPECT_WS_PREVIEW_BYTES of payload
 * per report.
 * Must not show secrets: Cookie and credentials values are hidden (redact.ts).
 */
import type { App } from '../../app/index.js';
import { checkLiveUpgrade } from '../live.js';
import type { Request } from '../../server/handler.js';
import { isRedacted, redactedValue } from '../redact.js';
import { inspectView, inspectWsView } from '../views/inspect.js';
import type { DemoDeps } from './deps.js';

/** Rounds of the Content-Length fixed point; the length's digit count settles in two or three. */
const MAX_LENGTH_ROUNDS = 8;

/** The request head as received: request line, field lines, empty line (RFC 9112 §2.1). */
export function requestHeadOf(req: Request): { head: string; redacted: string[] } {
  let head = `${req.method} ${req.target} HTTP/${req.version}\r\n`;
  const redacted: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (isRedacted(name) && !redacted.includes(name)) redacted.push(name);
    head += `${name}: ${redactedValue(name, raw[i + 1]!)}\r\n`;
  }
  return { head: `${head}\r\n`, redacted };
}

/** Path of the inspector's WebSocket echo. */
export const INSPECT_WS_PATH = '/inspect/ws/echo';
/** Largest message the inspector's echo takes (close 1009 past it): enough to see 16- and 64-bit lengths' headers. */
export const INSPECT_WS_MAX_MESSAGE_BYTES = 64 * 1024;
/** Frames listed per message in a report; more are counted, not listed (a browser sends one per message). */
export const INSPECT_WS_MAX_FRAMES_LISTED = 32;
/** Payload bytes shown per message: the start, as text or hex. */
export const INSPECT_WS_PREVIEW_BYTES = 64;

/** A frame header as the inspector reports it. */
export interface FrameReport {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  payloadLength: number;
}

/** The report sent before each echo. */
export interface FramesEvent {
  type: 'frames';
  /** The received frames of the message (controls between them included), in order. */
  frames: FrameReport[];
  /** Frames past INSPECT_WS_MAX_FRAMES_LISTED, counted only. */
  omittedFrames: number;
  /** The message: its type, size and start (text, or hex for binary). */
  message: { isBinary: boolean; bytes: number; preview: string; isTruncated: boolean };
  /** The frame the echo goes out in (a server's frames are never masked, RFC 6455 §5.1). */
  echo: FrameReport;
}

/** The first message on the inspector's socket. */
export interface HandshakeEvent {
  type: 'handshake';
  /** The upgrade request's head as received (secrets hidden). */
  request: string;
  redacted: string[];
  /** The 101 response's head as written. */
  response: string;
}

/** Per-socket state of the inspector's echo. */
interface EchoState {
  request: { head: string; redacted: string[] };
  frames: FrameReport[];
  omittedFrames: number;
}

/** Registers `/inspect`, `/inspect/ws` and the WebSocket echo `/inspect/ws/echo`. */
export function inspectRoutes(app: App, deps: DemoDeps): void {
  app.get('/inspect', (ctx) => {
    const res = ctx.res;
    const { head: requestHead, redacted } = requestHeadOf(ctx.req);
    res.status = 200;
    res.headers.set('Content-Type', 'text/html; charset=utf-8');
    res.headers.set('Cache-Control', 'no-store');
    res.headers.set('Date', new Date(deps.now()).toUTCString());
    res.headers.set('Connection', 'close');
    const predict = (): string => {
      // The server drops the handler's Connection field and appends its own last (server/response.ts).
      let head = 'HTTP/1.1 200 OK\r\n';
      for (const [name, value] of res.headers.entries()) if (name.toLowerCase() !== 'connection') head += `${name}: ${value}\r\n`;
      return `${head}Connection: close\r\n\r\n`;
    };
    let length = 0;
    let body = '';
    for (let round = 0; round < MAX_LENGTH_ROUNDS; round++) {
      res.headers.set('Content-Length', length);
      body = inspectView({ requestHead, responseHead: predict(), redacted }).value;
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes === length) break;
      length = bytes;
    }
    res.headers.set('Content-Length', Buffer.byteLength(body, 'utf8'));
    res.end(body);
  });

  app.get('/inspect/ws', (ctx) => {
    ctx.header('Cache-Control', 'no-store');
    ctx.html(inspectWsView());
  });

  app.ws(INSPECT_WS_PATH, {
    upgrade(ctx): EchoState {
      checkLiveUpgrade(ctx, deps);
      return { request: requestHeadOf(ctx.req), frames: [], omittedFrames: 0 };
    },
    options: { maxMessageBytes: INSPECT_WS_MAX_MESSAGE_BYTES },
    handshake(ws, responseHead) {
      const { head, redacted } = ws.data.data.request;
      ws.send(JSON.stringify({ type: 'handshake', request: head, redacted, response: responseHead } satisfies HandshakeEvent));
    },
    open(ws) {
      deps.liveSockets.add(ws);
    },
    frame(ws, header) {
      const state = ws.data.data;
      if (state.frames.length < INSPECT_WS_MAX_FRAMES_LISTED) {
        const { fin, rsv1, opcode, masked, payloadLength } = header;
        state.frames.push({ fin, rsv1, opcode, masked, payloadLength });
      } else state.omittedFrames++;
    },
    message(ws, data, isBinary) {
      const state = ws.data.data;
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const start = bytes.subarray(0, INSPECT_WS_PREVIEW_BYTES);
      const report: FramesEvent = {
        type: 'frames',
        frames: state.frames,
        omittedFrames: state.omittedFrames,
        message: { isBinary, bytes: bytes.length, preview: isBinary ? start.toString('hex') : start.toString('utf8'), isTruncated: bytes.length > start.length },
        // RFC 6455 §5.2: opcode 1 text, 2 binary; the server sends a message whole, in one frame.
        echo: { fin: true, rsv1: false, opcode: isBinary ? 2 : 1, masked: false, payloadLength: bytes.length },
      };
      state.frames = [];
      state.omittedFrames = 0;
      ws.send(JSON.stringify(report));
      ws.send(data, { binary: isBinary });
    },
    close(ws) {
      deps.liveSockets.delete(ws);
    },
  });
}
