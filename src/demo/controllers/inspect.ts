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
 * Must not show secrets: Cookie and credentials values are hidden (redact.ts).
 */
import type { App } from '../../app/index.js';
import type { Request } from '../../server/handler.js';
import { isRedacted, redactedValue } from '../redact.js';
import { inspectView } from '../views/inspect.js';
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

/** Registers `/inspect`. */
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
}
