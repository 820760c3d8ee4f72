/**
 * Typed protocol errors of the wire layer.
 *
 * Owns every error the parsers can raise and the status each one maps to
 * (h11's `error_status_hint`, Go's `statusError`), including the code each
 * side gives a rule of the shared syntax checks (syntax.ts). The server turns any
 * `ProtocolError` into a response in one place, using `status` and never
 * echoing request bytes back: `message` is for logs, `publicMessage` is safe
 * to send. Must not import anything outside wire/.
 */

/** Base class: a request the server must refuse, with the status to answer and a stable code. */
export class ProtocolError extends Error {
  /** Stable machine-readable code, e.g. `ERR_INVALID_HEADER_NAME`. */
  readonly code: string;
  /** The status code to answer with (4xx/5xx). */
  readonly status: number;

  constructor(message: string, code = 'ERR_BAD_REQUEST', status = 400) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }

  /** A short text safe to send to the client: never contains request bytes. */
  get publicMessage(): string {
    return PUBLIC_MESSAGES[this.status] ?? 'Bad Request';
  }
}

const PUBLIC_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/** 400: the message is malformed (bad syntax, bad framing, smuggling shapes). */
export class BadRequestError extends ProtocolError {
  constructor(message: string, code = 'ERR_BAD_REQUEST') {
    super(message, code, 400);
  }
}

/** 414: the request line is longer than `maxRequestLineBytes` (RFC 9110 §15.5.15). */
export class UriTooLongError extends ProtocolError {
  constructor(limit: number) {
    super(`request line exceeds ${limit} bytes`, 'ERR_URI_TOO_LONG', 414);
  }
}

/** 431: the header section is over `maxHeaderBytes` or `maxHeaderCount` (RFC 6585 §5). */
export class HeaderTooLargeError extends ProtocolError {
  constructor(message: string) {
    super(message, 'ERR_HEADER_TOO_LARGE', 431);
  }
}

/** 413: the body is larger than `maxBodyBytes` (RFC 9110 §15.5.14). */
export class PayloadTooLargeError extends ProtocolError {
  constructor(limit: number) {
    super(`body exceeds ${limit} bytes`, 'ERR_BODY_TOO_LARGE', 413);
  }
}

/** 501: a transfer coding or method the server does not implement (RFC 9112 §6.1, RFC 9110 §15.6.2). */
export class NotImplementedError extends ProtocolError {
  constructor(message: string, code = 'ERR_NOT_IMPLEMENTED') {
    super(message, code, 501);
  }
}

/** 505: a major HTTP version other than 1 (RFC 9110 §15.6.6). */
export class VersionNotSupportedError extends ProtocolError {
  constructor() {
    super('HTTP version not supported', 'ERR_VERSION_NOT_SUPPORTED', 505);
  }
}

/** 417: an Expect value other than 100-continue (RFC 9110 §10.1.1). */
export class ExpectationFailedError extends ProtocolError {
  constructor() {
    super('unsupported expectation', 'ERR_EXPECTATION_FAILED', 417);
  }
}

// ---- rules both parsers check (syntax.ts) ----

/** A rule of syntax.ts that input broke; each parser turns it into its own error. */
export type SyntaxRule =
  | 'obs-fold'
  | 'field-name'
  | 'field-value'
  | 'content-length'
  | 'version'
  | 'version-unsupported'
  | 'chunk'
  | 'chunk-extension-too-long'
  | 'transfer-coding'
  | 'transfer-coding-unsupported';

/** Makes the error a parser raises for a broken rule (`message` is for logs). */
export type SyntaxErrorFactory = (rule: SyntaxRule, message: string) => ProtocolError;

/** The request side's code for each rule: all 400 but 'version-unsupported' (505) and 'transfer-coding-unsupported' (501). */
const REQUEST_SYNTAX_CODES: Readonly<Record<SyntaxRule, string>> = {
  'obs-fold': 'ERR_OBS_FOLD',
  'field-name': 'ERR_INVALID_HEADER_NAME',
  'field-value': 'ERR_INVALID_HEADER_VALUE',
  'content-length': 'ERR_INVALID_CONTENT_LENGTH',
  version: 'ERR_INVALID_VERSION',
  'version-unsupported': 'ERR_VERSION_NOT_SUPPORTED',
  chunk: 'ERR_INVALID_CHUNK',
  'chunk-extension-too-long': 'ERR_CHUNK_EXTENSION_TOO_LONG',
  'transfer-coding': 'ERR_INVALID_TRANSFER_ENCODING',
  'transfer-coding-unsupported': 'ERR_UNSUPPORTED_TRANSFER_CODING',
};

/**
 * The request parser's errors for syntax.ts: 400, 505 for a major version other than 1
 * (RFC 9110 §15.6.6), 501 for a transfer coding it does not implement (RFC 9112 §6.1).
 */
export const requestSyntaxError: SyntaxErrorFactory = (rule, message) => {
  if (rule === 'version-unsupported') return new VersionNotSupportedError();
  if (rule === 'transfer-coding-unsupported') return new NotImplementedError(message, REQUEST_SYNTAX_CODES[rule]);
  return new BadRequestError(message, REQUEST_SYNTAX_CODES[rule]);
};

// ---- response side (the client's parser, src/wire/response-parser.ts, #17) ----

/**
 * 502: the server's response is invalid or cut short (RFC 9110 §15.6.3: what a gateway answers
 * when its upstream sends an invalid response). `code` names the rule, e.g. `ERR_RESPONSE_BARE_LF`.
 * The connection it came on must be closed: nothing after a framing error can be trusted.
 */
export class ResponseError extends ProtocolError {
  constructor(message: string, code: string) {
    super(message, code, 502);
  }

  override get publicMessage(): string {
    return 'Bad Gateway';
  }
}

/** The response side's code for each rule (all 502). */
const RESPONSE_SYNTAX_CODES: Readonly<Record<SyntaxRule, string>> = {
  'obs-fold': 'ERR_RESPONSE_OBS_FOLD',
  'field-name': 'ERR_RESPONSE_HEADER_NAME',
  'field-value': 'ERR_RESPONSE_HEADER_VALUE',
  'content-length': 'ERR_RESPONSE_CONTENT_LENGTH',
  // A malformed version is a malformed status line, the version its first element (RFC 9112 §4).
  version: 'ERR_RESPONSE_STATUS_LINE',
  'version-unsupported': 'ERR_RESPONSE_VERSION',
  chunk: 'ERR_RESPONSE_CHUNK',
  'chunk-extension-too-long': 'ERR_RESPONSE_CHUNK_LINE_TOO_LONG',
  'transfer-coding': 'ERR_RESPONSE_TRANSFER_ENCODING',
  'transfer-coding-unsupported': 'ERR_RESPONSE_TRANSFER_ENCODING',
};

/** The response parser's errors for syntax.ts: a ResponseError (502) with the rule's code. */
export const responseSyntaxError: SyntaxErrorFactory = (rule, message) => new ResponseError(message, RESPONSE_SYNTAX_CODES[rule]);

/**
 * 502 `ERR_CLOSED_BEFORE_RESPONSE`: the server closed the connection before one byte of the
 * response (the keep-alive race of RFC 9112 §9.3.1). The only failure after which a client may
 * safely resend an idempotent request (RFC 9110 §9.2.2).
 */
export class ResponseClosedError extends ResponseError {
  constructor() {
    super('connection closed before any byte of the response', 'ERR_CLOSED_BEFORE_RESPONSE');
  }
}
