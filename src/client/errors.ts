/**
 * The client's own errors: connection, timeout, abort and misuse failures.
 *
 * Owns every error `src/client` raises that is not about the bytes of a
 * response (those are `ResponseError`s of src/wire/errors.ts, codes
 * `ERR_RESPONSE_*`, status 502). Each has a stable `code` and the `status` a
 * gateway built on the client would answer (502 Bad Gateway for a failed
 * upstream, 504 Gateway Timeout for a slow one, RFC 9110 §15.6.3, §15.6.5).
 * Must not import server/.
 */

/** Base class of the client's errors: a stable `code`, a gateway `status`, and the underlying `cause`. */
export class ClientError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CONNECT_TIMEOUT`. */
  readonly code: string;
  /** What a gateway would answer for this failure (502 or 504); 0 when it is the caller's own doing. */
  readonly status: number;

  constructor(message: string, code: string, status: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** 502 `ERR_CONNECT`: the TCP or TLS connection could not be made (refused, DNS, certificate...). `cause` has the system error. */
export class ConnectError extends ClientError {
  constructor(cause: unknown) {
    super(`connect failed: ${(cause as Error)?.message ?? String(cause)}`, 'ERR_CONNECT', 502, cause);
  }
}

/** 502 `ERR_SOCKET`: the connection failed or closed while a request was in flight (reset, closed mid-request). */
export class SocketError extends ClientError {
  constructor(message: string, cause?: unknown) {
    super(message, 'ERR_SOCKET', 502, cause);
  }
}

/** 504: `connectTimeoutMs`, `headersTimeoutMs` or `bodyTimeoutMs` passed. `code` says which. */
export class ClientTimeoutError extends ClientError {
  constructor(what: 'connect' | 'headers' | 'body', ms: number) {
    const code = what === 'connect' ? 'ERR_CONNECT_TIMEOUT' : what === 'headers' ? 'ERR_HEADERS_TIMEOUT' : 'ERR_BODY_TIMEOUT';
    super(`${what} timeout: nothing for ${ms} ms`, code, 504);
  }
}

/** `ERR_ABORTED`: the request's AbortSignal fired. `cause` is the signal's reason. */
export class ClientAbortError extends ClientError {
  constructor(reason: unknown) {
    super('request aborted', 'ERR_ABORTED', 0, reason);
  }
}

/** `ERR_CLIENT_CLOSED`: the Client (or Agent) was closed or destroyed before the request finished. */
export class ClientClosedError extends ClientError {
  constructor() {
    super('client is closed', 'ERR_CLIENT_CLOSED', 0);
  }
}

/** `ERR_REQUEST_BODY`: the request body did not match what was declared (a Content-Length longer or shorter than the stream) or its source failed. */
export class RequestBodyError extends ClientError {
  constructor(message: string, cause?: unknown) {
    super(message, 'ERR_REQUEST_BODY', 0, cause);
  }
}
