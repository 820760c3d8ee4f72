/**
 * A streaming `multipart/form-data` parser (RFC 7578 on RFC 2046 §5.1), with
 * file parts kept in memory or written to disk as they arrive.
 *
 * Owns the multipart limits (named options, defaults below and in docs/app.md)
 * and their statuses: 415 when the Content-Type is not multipart/form-data,
 * 400 `ERR_INVALID_MULTIPART` for a missing/bad boundary, bad part headers or a
 * truncated body, 413 with a specific code for each limit.
 * Must not: hold more than one part-header block or one delimiter's worth of
 * look-ahead beyond what it hands to a sink; use the client's filename for a
 * disk path (files get random names); leave files on disk after an error.
 *
 * Theory of operation. The body is scanned for the delimiter `CRLF--boundary`
 * (§5.1.1). A virtual CRLF is put in front of the first chunk so the first
 * boundary looks like every other one. States: `preamble` (skip until a
 * delimiter) → `after-delimiter` (`--` ends the body; otherwise optional
 * whitespace and CRLF) → `headers` (until CRLFCRLF, at most
 * `maxPartHeaderBytes`) → `content` (bytes until the next delimiter; all but the
 * last delimiter-length-1 bytes are passed on at once, since a delimiter may
 * straddle two chunks) → `after-delimiter` ... → `done`.
 */
import { randomUUID } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from '../server/handler.js';
import { addField, parseMediaType, tooLarge, type FormFields } from './body.js';
import { HttpError } from './http-error.js';

/** Default `maxMultipartBytes` (whole body): 50 MiB. */
export const DEFAULT_MAX_MULTIPART_BYTES = 50 * 1024 * 1024;
/** Default `maxFileBytes` (each file): 10 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Default `maxFiles`: 10 file parts. */
export const DEFAULT_MAX_FILES = 10;
/** Default `maxFields`: 1000 non-file parts (as urlencoded forms). */
export const DEFAULT_MAX_FIELDS = 1000;
/** Default `maxFieldBytes` (each text field): 1 MiB, busboy's `fieldSize`. */
export const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;
/** Default `maxPartHeaderBytes` (one part's header block): 16 KiB. */
export const DEFAULT_MAX_PART_HEADER_BYTES = 16 * 1024;

/** Options of the multipart parser. */
export interface MultipartOptions {
  /** Where file contents go: `memory` (a Buffer) or `disk` (a temp file). Default `memory`. */
  storage?: 'memory' | 'disk';
  /** Directory for `disk` storage. Default `os.tmpdir()`. */
  uploadDir?: string;
  /** Largest whole body, in bytes. Default {@link DEFAULT_MAX_MULTIPART_BYTES}. */
  maxMultipartBytes?: number;
  /** Largest file part, in bytes. Default {@link DEFAULT_MAX_FILE_BYTES}. */
  maxFileBytes?: number;
  /** Most file parts. Default {@link DEFAULT_MAX_FILES}. */
  maxFiles?: number;
  /** Most non-file parts. Default {@link DEFAULT_MAX_FIELDS}. */
  maxFields?: number;
  /** Largest non-file part, in bytes. Default {@link DEFAULT_MAX_FIELD_BYTES}. */
  maxFieldBytes?: number;
  /** Largest header block of one part, in bytes. Default {@link DEFAULT_MAX_PART_HEADER_BYTES}. */
  maxPartHeaderBytes?: number;
}

/** One uploaded file. */
export interface UploadedFile {
  /** The form field name. */
  fieldName: string;
  /** The client's file name (for display only: never use it as a path). */
  filename: string;
  /** The part's Content-Type (default `application/octet-stream`). */
  contentType: string;
  /** Size in bytes. */
  size: number;
  /** The contents (`memory` storage). */
  buffer?: Buffer;
  /** The temp file path (`disk` storage); removed by `cleanup()` unless moved away. */
  path?: string;
}

/** A parsed multipart body. */
export interface MultipartResult {
  /** Text fields by name (repeated names give arrays). */
  fields: FormFields;
  /** File parts in order. */
  files: UploadedFile[];
  /** Removes the temp files of `disk` storage (missing files are ignored). */
  cleanup(): Promise<void>;
}

function invalid(message: string): HttpError {
  return new HttpError(400, message, { code: 'ERR_INVALID_MULTIPART' });
}

// RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

interface PartHeaders {
  name: string;
  filename: string | undefined;
  contentType: string;
}

/** Parses a part's header block (RFC 7578 §4.2 Content-Disposition, §4.4 Content-Type). */
function parsePartHeaders(block: string): PartHeaders {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw invalid('Malformed part header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (disposition === undefined) throw invalid('Part without Content-Disposition');
  // Reuse the media-type parameter parser on "form-data/x; name=...".
  const d = parseMediaType('form-data/x' + disposition.slice(disposition.indexOf(';') < 0 ? disposition.length : disposition.indexOf(';')));
  if (disposition.split(';')[0]!.trim().toLowerCase() !== 'form-data' || d === undefined || d.params.name === undefined) {
    throw invalid('Part Content-Disposition must be form-data with a name');
  }
  let filename = d.params.filename;
  const ext = d.params['filename*'];
  if (ext !== undefined) {
    // RFC 8187 ext-value: charset'lang'pct-encoded (browsers do not send it; some clients do).
    const m = /^utf-8'[^']*'(.*)$/i.exec(ext);
    if (m !== null) {
      try {
        filename = decodeURIComponent(m[1]!);
      } catch {
        throw invalid('Bad filename* encoding');
      }
    }
  }
  return { name: d.params.name, filename, contentType: contentType ?? (filename === undefined ? 'text/plain' : 'application/octet-stream') };
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'content' | 'done';

/**
 * Reads a `multipart/form-data` body.
 *
 * @example
 * const form = await readMultipart(ctx.req, { storage: 'disk', maxFileBytes: 5_000_000 });
 * for (const f of form.files) console.log(f.filename, f.size, f.path);
 */
export async function readMultipart(req: Request, options: MultipartOptions = {}): Promise<MultipartResult> {
  const mt = parseMediaType(req.header('content-type'));
  if (mt === undefined || mt.type !== 'multipart/form-data') {
    throw new HttpError(415, 'Content-Type must be multipart/form-data', { code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
  }
  const boundary = mt.params.boundary;
  if (boundary === undefined || !BOUNDARY.test(boundary)) throw invalid('Missing or invalid multipart boundary');

  const maxBytes = options.maxMultipartBytes ?? DEFAULT_MAX_MULTIPART_BYTES;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxFields = options.maxFields ?? DEFAULT_MAX_FIELDS;
  const maxFieldBytes = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const maxHeaderBytes = options.maxPartHeaderBytes ?? DEFAULT_MAX_PART_HEADER_BYTES;
  const isDisk = options.storage === 'disk';
  const uploadDir = options.uploadDir ?? tmpdir();
  if (req.contentLength !== undefined && req.contentLength > maxBytes) throw tooLarge(maxBytes);

  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  const fields: FormFields = Object.create(null) as FormFields;
  const files: UploadedFile[] = [];
  const paths: string[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(paths.map((p) => unlink(p).catch(() => undefined)));
  };

  let state: State = 'preamble';
  let buf: Buffer = CRLF; // the virtual CRLF before the first boundary
  let total = 0;
  let fieldCount = 0;
  let part: PartHeaders | undefined;
  let partSize = 0;
  let fieldChunks: Buffer[] = [];
  let fileChunks: Buffer[] = [];
  let handle: FileHandle | undefined;
  let current: UploadedFile | undefined;

  const startPart = async (h: PartHeaders): Promise<void> => {
    part = h;
    partSize = 0;
    if (h.filename !== undefined) {
      if (files.length >= maxFiles) throw new HttpError(413, `More than ${maxFiles} files`, { code: 'ERR_TOO_MANY_FILES' });
      current = { fieldName: h.name, filename: h.filename, contentType: h.contentType, size: 0 };
      files.push(current);
      if (isDisk) {
        const path = join(uploadDir, `keel-upload-${randomUUID()}`);
        paths.push(path);
        current.path = path;
        handle = await open(path, 'wx', 0o600);
      } else fileChunks = [];
    } else {
      if (++fieldCount > maxFields) throw new HttpError(413, `More than ${maxFields} fields`, { code: 'ERR_TOO_MANY_FIELDS' });
      fieldChunks = [];
    }
  };

  const partData = async (data: Buffer): Promise<void> => {
    if (data.length === 0 || part === undefined) return;
    partSize += data.length;
    if (part.filename !== undefined) {
      if (partSize > maxFileBytes) throw new HttpError(413, `A file is larger than ${maxFileBytes} bytes`, { code: 'ERR_FILE_TOO_LARGE' });
      // Copy: `data` may be a view of a buffer reused by the reader.
      if (handle !== undefined) await handle.write(data);
      else fileChunks.push(Buffer.from(data));
    } else {
      if (partSize > maxFieldBytes) throw new HttpError(413, `A field is larger than ${maxFieldBytes} bytes`, { code: 'ERR_FIELD_TOO_LARGE' });
      fieldChunks.push(Buffer.from(data));
    }
  };

  const endPart = async (): Promise<void> => {
    if (part === undefined) return;
    if (current !== undefined) {
      current.size = partSize;
      if (handle !== undefined) {
        await handle.close();
        handle = undefined;
      } else current.buffer = Buffer.concat(fileChunks);
      current = undefined;
      fileChunks = [];
    } else {
      addField(fields, part.name, Buffer.concat(fieldChunks).toString('utf8'));
      fieldChunks = [];
    }
    part = undefined;
  };

  /** Runs the state machine over `buf`; returns when it needs more bytes. */
  const step = async (): Promise<void> => {
    for (;;) {
      if (state === 'preamble') {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          if (buf.length > keep) buf = buf.subarray(buf.length - keep);
          return;
        }
        buf = buf.subarray(i + delimiter.length);
        state = 'after-delimiter';
      } else if (state === 'after-delimiter') {
        if (buf.length < 2) return;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done'; // close-delimiter; the epilogue is ignored (§5.1.1)
          return;
        }
        // transport-padding: optional LWSP before the CRLF (§5.1.1)
        let j = 0;
        while (j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
        if (j > maxHeaderBytes) throw invalid('Bad multipart delimiter line');
        if (buf.length < j + 2) return;
        if (buf[j] !== 0x0d || buf[j + 1] !== 0x0a) throw invalid('Bad multipart delimiter line');
        buf = buf.subarray(j + 2);
        state = 'headers';
      } else if (state === 'headers') {
        let block: string;
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          block = ''; // a part with no header fields
          buf = buf.subarray(2);
        } else {
          const i = buf.indexOf(CRLFCRLF);
          if (i < 0) {
            if (buf.length > maxHeaderBytes) throw new HttpError(413, 'Part headers too large', { code: 'ERR_PART_HEADER_TOO_LARGE' });
            return;
          }
          if (i > maxHeaderBytes) throw new HttpError(413, 'Part headers too large', { code: 'ERR_PART_HEADER_TOO_LARGE' });
          block = buf.subarray(0, i).toString('utf8');
          buf = buf.subarray(i + 4);
        }
        await startPart(parsePartHeaders(block));
        state = 'content';
      } else if (state === 'content') {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          if (buf.length > keep) {
            await partData(buf.subarray(0, buf.length - keep));
            buf = buf.subarray(buf.length - keep);
          }
          return;
        }
        await partData(buf.subarray(0, i));
        await endPart();
        buf = buf.subarray(i + delimiter.length);
        state = 'after-delimiter';
      } else return;
    }
  };

  try {
    if (req.hasBody) {
      for await (const chunk of req.body) {
        total += chunk.length;
        if (total > maxBytes) throw tooLarge(maxBytes);
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        await step();
        if ((state as State) === 'done') break;
      }
    }
    if ((state as State) !== 'done') throw invalid('Multipart body ended before the closing boundary');
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await cleanup();
    throw err;
  }
  return { fields, files, cleanup };
}
