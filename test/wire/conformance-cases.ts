/**
 * Loader for the conformance suite's case files (test/fixtures/wire/conformance) and for
 * keel's own cases in the same format (test/fixtures/wire/keel).
 *
 * Owns decoding the case format of ../shared/conformance/run.py (byte specs,
 * steps, expected scenarios) into plain bytes and expectations, for the
 * parser-level conformance test and the fuzzer's seed corpus. It must not
 * talk to a network or a server: only files under test/fixtures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding the copied case files. */
export const CONFORMANCE_DIR = fileURLToPath(new URL('../fixtures/wire/conformance/', import.meta.url));
/** keel's own cases in the same format (issue #12), kept apart so CONFORMANCE_DIR stays the shared suite. */
export const KEEL_CASES_DIR = fileURLToPath(new URL('../fixtures/wire/keel/', import.meta.url));

/** A byte spec of run.py `to_bytes`: latin1 string, list, {b64}, {hex} or {repeat, count}. */
export type ByteSpec = string | ByteSpec[] | { b64: string } | { hex: string } | { repeat: ByteSpec; count: number };

/** An expected response of a scenario: an echo of the request, a rejection, or something server-level. */
export interface ExpectedResponse {
  echo?: {
    method: ByteSpec;
    uri: ByteSpec | { regex: string } | { any: true };
    version: string | string[];
    headers: Array<[ByteSpec, ByteSpec | { regex: string }] | { repeat: Array<[ByteSpec, ByteSpec]>; count: number }>;
    body: ByteSpec | { regex: string } | { any: true };
    trailers?: Array<[ByteSpec, ByteSpec]>;
  };
  reject?: { status?: number[]; require_response?: boolean };
  [other: string]: unknown;
}

/** One acceptable outcome of a case. */
export interface Scenario {
  name: string;
  responses: ExpectedResponse[];
  /** The server must close the connection after the last response. */
  close?: boolean;
}

/** A case reduced to what a parser sees: every byte the client sends, in order. */
export interface ConformanceCase {
  id: string;
  category: string;
  level: string;
  description: string;
  input: Buffer;
  scenarios: Scenario[];
}

/** run.py `to_bytes`. */
export function specBytes(spec: ByteSpec | undefined | null): Buffer {
  if (spec === undefined || spec === null) return Buffer.alloc(0);
  if (typeof spec === 'string') return Buffer.from(spec, 'latin1');
  if (Array.isArray(spec)) return Buffer.concat(spec.map((s) => specBytes(s)));
  if ('b64' in spec) return Buffer.from(spec.b64, 'base64');
  if ('hex' in spec) return Buffer.from(spec.hex, 'hex');
  if ('repeat' in spec) {
    const one = specBytes(spec.repeat);
    return Buffer.concat(Array.from({ length: spec.count }, () => one));
  }
  throw new Error(`unknown byte spec ${JSON.stringify(spec)}`);
}

interface RawCase {
  id: string;
  category: string;
  level: string;
  description: string;
  request?: ByteSpec;
  steps?: Array<{ send?: ByteSpec; [k: string]: unknown }>;
  expect: Scenario[];
}

/**
 * Every case of every file in `dirs` (the shared suite's copy and keel's own by default), with
 * its steps' sends concatenated (pauses and awaits do not change the bytes).
 */
export function loadConformanceCases(dirs: readonly string[] = [CONFORMANCE_DIR, KEEL_CASES_DIR]): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const dir of dirs) for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: RawCase[] };
    for (const c of doc.cases) {
      const sends = c.steps ? c.steps.filter((s) => s.send !== undefined).map((s) => specBytes(s.send)) : [specBytes(c.request)];
      out.push({ id: c.id, category: c.category, level: c.level, description: c.description, input: Buffer.concat(sends), scenarios: c.expect });
    }
  }
  return out;
}
