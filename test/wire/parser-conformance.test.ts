// The conformance suite's cases (../shared/conformance, copied to test/fixtures/wire/conformance)
// and keel's own (test/fixtures/wire/keel, issue #12), replayed through RequestParser alone (issue #2).
//
// For each case the parser's outcome is turned into what an echo server built
// on it would answer: one echo per request until a request that does not keep
// the connection alive, then a rejection with the error's status if parsing
// failed. That list must match one of the case's expected scenarios
// (ECHO.md describes the echo objects). Cases whose expectations are about the
// response itself (Date, version, HEAD) are left to the server tests.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PARSER_LIMITS } from '../../src/wire/index.js';
import { loadConformanceCases, specBytes, type ByteSpec, type ExpectedResponse, type Scenario } from './conformance-cases.js';
import { bytewise, outcomeKey, parsePieces, whole, type Outcome, type ParsedRequest } from './harness.js';

/** run.py DEFAULT_REJECT: any 4xx/5xx but 408 counts as a rejection when a case lists no statuses. */
function isDefaultReject(status: number): boolean {
  return status >= 400 && status <= 599 && status !== 408;
}

type Observed = { kind: 'echo'; req: ParsedRequest } | { kind: 'reject'; status: number } | { kind: 'incomplete' };

/** What an echo server on this parser would send: echoes, then a rejection; nothing after a closing request. */
function observe(o: Outcome): { seq: Observed[]; closed: boolean } {
  const seq: Observed[] = [];
  for (const req of o.requests) {
    if (req.trailers === null) break; // body cut short: the error below, or no response (a timeout)
    seq.push({ kind: 'echo', req });
    if (!req.keepAlive) return { seq, closed: true };
  }
  if (o.error !== null) seq.push({ kind: 'reject', status: o.error.status });
  else if (o.pending) seq.push({ kind: 'incomplete' });
  return { seq, closed: o.error !== null };
}

function matches(spec: ByteSpec | { regex: string } | { any: true }, got: Buffer): boolean {
  if (typeof spec === 'object' && !Array.isArray(spec)) {
    if ('regex' in spec) return new RegExp(`^(?:${spec.regex})$`, 's').test(got.toString('latin1'));
    if ('any' in spec) return true;
  }
  return specBytes(spec as ByteSpec).equals(got);
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Why an observed response does not fit the expected one, or null when it does. */
function mismatch(exp: ExpectedResponse, got: Observed): string | null {
  if (exp.reject) {
    if (got.kind !== 'reject') return `expected a rejection, got ${got.kind === 'echo' ? `an echo of ${got.req.method} ${got.req.target}` : got.kind}`;
    const ok = exp.reject.status ? exp.reject.status.includes(got.status) : isDefaultReject(got.status);
    return ok ? null : `rejected with ${got.status}, expected ${exp.reject.status?.join('/') ?? '4xx/5xx'}`;
  }
  const e = exp.echo;
  if (!e) return 'server-level expectation';
  if (got.kind !== 'echo') return `expected an echo, got ${got.kind === 'reject' ? `a ${got.status}` : 'no response'}`;
  const r = got.req;
  if (!matches(e.method, latin1(r.method))) return `method ${r.method}`;
  if (!matches(e.uri, latin1(r.target))) return `uri ${r.target}`;
  const versions = Array.isArray(e.version) ? e.version : [e.version];
  if (!versions.includes(r.version)) return `version ${r.version}, expected ${versions.join('/')}`;
  const wantHeaders: Array<[ByteSpec, ByteSpec | { regex: string }]> = [];
  for (const h of e.headers) {
    if (Array.isArray(h)) wantHeaders.push(h);
    else for (let i = 0; i < h.count; i++) wantHeaders.push(...h.repeat);
  }
  if (wantHeaders.length * 2 !== r.rawHeaders.length) return `${r.rawHeaders.length / 2} header fields, expected ${wantHeaders.length}`;
  for (let i = 0; i < wantHeaders.length; i++) {
    const [n, v] = wantHeaders[i];
    if (specBytes(n).toString('latin1').toLowerCase() !== r.rawHeaders[2 * i].toLowerCase()) return `header #${i + 1} name ${r.rawHeaders[2 * i]}`;
    if (!matches(v, latin1(r.rawHeaders[2 * i + 1]))) return `header ${r.rawHeaders[2 * i]} value`;
  }
  if (!matches(e.body, latin1(r.body))) return `body of ${r.body.length} bytes`;
  if (e.trailers && r.trailers && r.trailers.length > 0) {
    const want = e.trailers.flatMap(([n, v]) => [specBytes(n).toString('latin1').toLowerCase(), specBytes(v).toString('latin1')]);
    const gotT = r.trailers.map((t, i) => (i % 2 === 0 ? t.toLowerCase() : t));
    if (JSON.stringify(want) !== JSON.stringify(gotT)) return `trailers ${JSON.stringify(r.trailers)}`;
  }
  return null;
}

function scenarioMismatch(sc: Scenario, seq: Observed[], closed: boolean): string | null {
  if (seq.length !== sc.responses.length) return `${sc.name}: ${seq.length} responses, expected ${sc.responses.length}`;
  for (let i = 0; i < seq.length; i++) {
    const why = mismatch(sc.responses[i], seq[i]);
    if (why) return `${sc.name}: response #${i + 1}: ${why}`;
  }
  if (sc.close && !closed) return `${sc.name}: connection must close`;
  return null;
}

const isParserLevel = (sc: Scenario): boolean => sc.responses.every((r) => r.echo !== undefined || r.reject !== undefined);

describe('conformance cases through the parser', () => {
  const cases = loadConformanceCases();
  test('the fixture copy is present', () => assert.ok(cases.length >= 150, `only ${cases.length} cases`));
  for (const c of cases) {
    const scenarios = c.scenarios.filter(isParserLevel);
    const skip = scenarios.length === 0 ? 'expectations are about the response, not the parse' : false;
    test(`${c.id} (${c.level}): ${c.description}`, { skip }, () => {
      const ref = parsePieces(whole(c.input), DEFAULT_PARSER_LIMITS);
      const { seq, closed } = observe(ref);
      const whys = scenarios.map((sc) => scenarioMismatch(sc, seq, closed));
      assert.ok(whys.includes(null), `no scenario matches:\n  ${whys.join('\n  ')}`);
      // The same bytes one at a time give the same outcome (run.py --delivery bytewise).
      assert.equal(outcomeKey(parsePieces(bytewise(c.input))), outcomeKey(ref), 'byte by byte');
    });
  }
});
