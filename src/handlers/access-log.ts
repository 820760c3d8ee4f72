/**
 * The access log as a Handler wrapper (issue #14 item 6, moved out of cli/serve.ts so apps
 * can use it): `withAccessLog()` writes one Common Log Format line per response.
 *
 * The formatting, the escaping, the batched writer and the response observation are the
 * one implementation in src/semantics/access-log.ts, which the App's `accessLog()`
 * middleware shares; they are re-exported here for existing importers (`keel serve`).
 * Lives in handlers/ because it is a plain Handler wrapper over the Handler contract
 * (types from server/handler.ts only), usable with or without the App.
 * Must not: change a response (it only observes write/end/onClose), or write to a stream
 * it was not given (the CLI passes stderr).
 */
import type { Handler, Request, ResponseWriter } from '../server/handler.js';
import { clfLine, observeResponse } from '../semantics/access-log.js';

export { batchedLineWriter, clfDate, clfLine, combinedLine, escapeLogField } from '../semantics/access-log.js';

/**
 * Wraps a handler so each response is logged as one CLF line when it completes (or the
 * connection drops): body bytes are counted by wrapping `write()`/`end()`.
 */
export function withAccessLog(handler: Handler, log: (line: string) => void, clock: () => number = Date.now): Handler {
  return (req: Request, res: ResponseWriter) => {
    observeResponse(req, res, (bytes) => log(clfLine(req, res.status, bytes, clock())));
    return handler(req, res);
  };
}
