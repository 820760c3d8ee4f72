/**
 * Errors of the server core: what a request's body read or the connection reports to a handler.
 *
 * Owns the error classes a handler can meet while reading a request (issue #14 item 6: they
 * were defined in connection.ts, which a handler's author should never need to open). Each has
 * a stable `code` (docs/errors.md); a `ProtocolError` also has the `status` it becomes. This
 * file only declares errors: it must not import the Connection or any I/O.
 */
import { ProtocolError } from '../wire/errors.js';

/** 408 for a request whose head or body did not arrive in time (RFC 9110 §15.5.9). */
export class RequestTimeoutError extends ProtocolError {
  constructor(what: string) {
    super(`${what} timed out`, 'ERR_REQUEST_TIMEOUT', 408);
  }
}

/** The client went away while its request was being read. */
export class RequestAbortedError extends Error {
  readonly code = 'ERR_REQUEST_ABORTED';
  constructor() {
    super('client disconnected');
  }
}

/**
 * A body read started after the response ended and the server began dropping the body
 * (or moved on to the next request): the bytes are gone, so the read cannot succeed.
 */
export class RequestBodyDiscardedError extends Error {
  readonly code = 'ERR_BODY_DISCARDED';
  constructor() {
    super('request body was discarded after the response ended: read it before end()');
  }
}
