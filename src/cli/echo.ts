/**
 * The echo application of the conformance suite (../shared/conformance/ECHO.md).
 *
 * Owns `echoHandler()`: answers every request with the request as parsed, as
 * JSON of base64 strings, and keeps the app log behind `GET /__echo_log`.
 * Bytes of names and values are latin1 strings, so base64 of their latin1
 * encoding gives the original bytes back. Also the `keel echo` command entry.
 */
import type { Handler, Request } from '../server/handler.js';
import { bareServerCommand } from './hello.js';

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');

function pairs(flat: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([b64(flat[i]), b64(flat[i + 1])]);
  return out;
}

/** The echo JSON object of a request whose body has been read. */
export function echoObject(req: Request, body: Buffer): Record<string, unknown> {
  return {
    method: b64(req.method),
    uri: b64(req.target),
    version: b64(req.version),
    headers: pairs(req.rawHeaders),
    body: body.toString('base64'),
    trailers: pairs(req.trailers),
  };
}

/** The echo Handler; each call makes a fresh app log. */
export function echoHandler(): Handler {
  let log: Record<string, unknown>[] = [];
  return async (req, res) => {
    if (req.method === 'GET' && req.target === '/__echo_log') {
      const entries = log;
      log = [];
      res.headers.set('Content-Type', 'application/json');
      res.end(JSON.stringify({ entries }));
      return;
    }
    const body = await req.bytes();
    const obj = echoObject(req, body);
    log.push(obj);
    res.headers.set('Content-Type', 'application/json');
    res.end(JSON.stringify(obj));
  };
}

/** `keel echo [--port N] [--host H]`: the conformance suite's target. */
export const echoCommand = bareServerCommand('echo', 'the conformance echo application (each request back as JSON; GET /__echo_log)', echoHandler);
