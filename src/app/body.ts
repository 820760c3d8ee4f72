/**
 * Request body parsers with size limits: JSON, urlencoded forms and raw bytes
 * (multipart lives in multipart.ts), and media-type parsing shared by them.
 *
 * Owns the body limits (named options with documented defaults, see
 * docs/app.md) and the parsers' statuses: 415 when the Content-Type is not the
 * one expected (RFC 9110 §15.5.16), 413 when the body is over the limit (§15.5.14;
 * checked on the declared Content-Length before reading, then while reading),
 * 400 when it does not parse.
 * Must not: buffer more than the limit, or echo body bytes in an error message.
 */
import type { Request } from '../server/handler.js';
import { HttpError } from './http-error.js';

/** Default `maxJsonBytes`: 1 MiB, Fastify's default `bodyLimit`. */
export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024;
/** Default `maxFormBytes` for urlencoded forms: 1 MiB. */
export const DEFAULT_MAX_FORM_BYTES = 1024 * 1024;
/** Default `maxFormFields`: 1000, the `parameterLimit` of Express's body-parser. */
export const DEFAULT_MAX_FORM_FIELDS = 1000;
/** Default `maxRawBytes`: 1 MiB. */
export const DEFAULT_MAX_RAW_BYTES = 1024 * 1024;

/** Limits of the JSON parser. */
export interface JsonOptions {
  /** Largest body accepted, in bytes. Default {@link DEFAULT_MAX_JSON_BYTES}. */
  maxJsonBytes?: number;
}
/** Limits of the urlencoded form parser. */
export interface FormOptions {
  /** Largest body accepted, in bytes. Default {@link DEFAULT_MAX_FORM_BYTES}. */
  maxFormBytes?: number;
  /** Most `name=value` pairs accepted. Default {@link DEFAULT_MAX_FORM_FIELDS}. */
  maxFormFields?: number;
}
/** Limits of the raw body reader. */
export interface RawOptions {
  /** Largest body accepted, in bytes. Default {@link DEFAULT_MAX_RAW_BYTES}. */
  maxRawBytes?: number;
  /** Accepted media types (e.g. `['application/octet-stream']`); default: any. */
  types?: readonly string[];
}

/** A parsed media type: lower-cased `type/subtype` and its parameters (names lower-cased). */
export interface MediaType {
  type: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a Content-Type value (RFC 9110 §8.3.1, §5.6.6 parameters with quoted
 * strings). Returns undefined when it is absent or malformed.
 */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = semi < 0 ? value.length : semi + 1;
  while (i < value.length) {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === ';')) i++;
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) i++;
        v += value[i];
        i++;
      }
      i++;
      const next = value.indexOf(';', i);
      i = next < 0 ? value.length : next + 1;
    } else {
      const next = value.indexOf(';', i);
      v = value.slice(i, next < 0 ? value.length : next).trim();
      i = next < 0 ? value.length : next + 1;
    }
    if (name !== '' && !(name in params)) params[name] = v;
  }
  return { type, params };
}

function unsupported(expected: string): HttpError {
  return new HttpError(415, `Content-Type must be ${expected}`, { code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
}

/** 413 for a body over `limit` bytes. */
export function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body is larger than ${limit} bytes`, { code: 'ERR_BODY_TOO_LARGE' });
}

/**
 * Reads the whole body, failing with 413 as soon as it passes `maxBytes`
 * (without reading it at all when the declared Content-Length is already over).
 */
export async function readLimited(req: Request, maxBytes: number): Promise<Buffer> {
  if (req.contentLength !== undefined && req.contentLength > maxBytes) throw tooLarge(maxBytes);
  if (!req.hasBody) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of req.body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    parts.push(chunk);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function checkCharset(mt: MediaType, expected: string): void {
  const cs = mt.params.charset;
  if (cs !== undefined && cs.toLowerCase() !== 'utf-8' && cs.toLowerCase() !== 'utf8') throw unsupported(`${expected} with charset=utf-8`);
}

/** True for `application/json` and `application/*+json` (RFC 6839 §3.1). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads and parses a JSON body: 415 unless Content-Type is JSON in UTF-8
 * (RFC 8259 §8.1), 413 over `maxJsonBytes`, 400 `ERR_INVALID_JSON` when empty
 * or malformed.
 */
export async function readJson(req: Request, options: JsonOptions = {}): Promise<unknown> {
  const mt = parseMediaType(req.header('content-type'));
  if (mt === undefined || !isJsonType(mt.type)) throw unsupported('application/json');
  checkCharset(mt, 'application/json');
  const buf = await readLimited(req, options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES);
  if (buf.length === 0) throw new HttpError(400, 'Request body is empty; JSON expected', { code: 'ERR_INVALID_JSON' });
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    // The SyntaxError text quotes the body: never send it.
    throw new HttpError(400, 'Request body is not valid JSON', { code: 'ERR_INVALID_JSON' });
  }
}

/** Form fields by name: one value is a string, repeated names give an array. */
export type FormFields = Record<string, string | string[]>;

/** Adds a value under a name, turning repeats into arrays (null-prototype target). */
export function addField(fields: FormFields, name: string, value: string): void {
  const prev = fields[name];
  if (prev === undefined) fields[name] = value;
  else if (typeof prev === 'string') fields[name] = [prev, value];
  else prev.push(value);
}

/**
 * Reads an `application/x-www-form-urlencoded` body (the tutorial's form POST;
 * WHATWG URL §5.1 parsing via URLSearchParams): 415 on another type, 413 over
 * `maxFormBytes` or `maxFormFields`.
 */
export async function readForm(req: Request, options: FormOptions = {}): Promise<FormFields> {
  const mt = parseMediaType(req.header('content-type'));
  if (mt === undefined || mt.type !== 'application/x-www-form-urlencoded') throw unsupported('application/x-www-form-urlencoded');
  checkCharset(mt, 'application/x-www-form-urlencoded');
  const text = (await readLimited(req, options.maxFormBytes ?? DEFAULT_MAX_FORM_BYTES)).toString('utf8');
  const maxFields = options.maxFormFields ?? DEFAULT_MAX_FORM_FIELDS;
  let count = 0;
  for (const pair of text.split('&')) if (pair !== '' && ++count > maxFields) {
    throw new HttpError(413, `Form has more than ${maxFields} fields`, { code: 'ERR_TOO_MANY_FIELDS' });
  }
  const fields: FormFields = Object.create(null) as FormFields;
  for (const [k, v] of new URLSearchParams(text)) addField(fields, k, v);
  return fields;
}

/** Reads the body as bytes: 415 when `types` is given and does not list the Content-Type, 413 over `maxRawBytes`. */
export async function readRaw(req: Request, options: RawOptions = {}): Promise<Buffer> {
  if (options.types !== undefined) {
    const mt = parseMediaType(req.header('content-type'));
    if (mt === undefined || !options.types.includes(mt.type)) throw unsupported(options.types.join(' or '));
  }
  return readLimited(req, options.maxRawBytes ?? DEFAULT_MAX_RAW_BYTES);
}
