/**
 * keel's own socket-level conformance run (issue #13 item 6): every case of
 * test/fixtures/wire/conformance/*.json sent over a real TCP connection to
 * `keel echo` (the built CLI, started as a user starts it), in the three
 * delivery modes, with the app log checked after each case. Needs nothing
 * beside the repository, so it runs in every `npm test`; the reference Python
 * runner (conformance.test.ts) runs too when ../shared/conformance is present.
 * Every `must` and every `should` case has to pass (the README's numbers).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKeel, type RunningKeel } from '../cli/keel.js';
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_LINGER_MS, loadSocketCases, runCase, type CaseResult, type Delivery } from './socket-runner.js';

const CASES = loadSocketCases();
const DELIVERIES: readonly Delivery[] = ['whole', 'bytewise', 'split'];
/** Bound on one mode's run: 168 cases at up to ~0.1 s each, plus the slow limit cases. */
const MODE_TIMEOUT_MS = 120_000;

test('the fixture files hold the whole suite', () => {
  assert.equal(CASES.filter((c) => c.level === 'must').length, 109);
  assert.equal(CASES.filter((c) => c.level === 'should').length, 59);
  assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length, 'case ids are unique');
});

// The three deliveries run at once, each against its own `keel echo`: a case's wall time is
// mostly the runner waiting for quiet on the line, so this cuts the total to the slowest mode.
const servers = new Map<Delivery, RunningKeel>();
const runs = new Map<Delivery, Promise<CaseResult[]>>();

before(async () => {
  for (const delivery of DELIVERIES) {
    const keel = startKeel(['echo', '--port', '0']);
    servers.set(delivery, keel);
    const [, port] = await keel.waitFor(/keel echo listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    runs.set(
      delivery,
      (async () => {
        const results: CaseResult[] = [];
        const opts = { host: '127.0.0.1', port: Number(port), delivery, timeoutMs: DEFAULT_CASE_TIMEOUT_MS, lingerMs: DEFAULT_LINGER_MS, appLog: true };
        for (const c of CASES) results.push(await runCase(c, opts));
        return results;
      })(),
    );
  }
});

after(async () => {
  for (const keel of servers.values()) await keel.stop();
});

for (const delivery of DELIVERIES) {
  describe(`own conformance run over sockets (delivery=${delivery})`, () => {
    for (const level of ['must', 'should'] as const) {
      test(`every ${level} case passes`, { timeout: MODE_TIMEOUT_MS }, async (t) => {
        const results = (await runs.get(delivery)!).filter((r) => r.level === level);
        const failed = results.filter((r) => !r.isPassed);
        t.diagnostic(`${level}: ${results.length - failed.length}/${results.length} passed; delivery=${delivery}`);
        assert.deepEqual(
          failed.map((r) => `${r.id}: ${r.reason} {${r.observed}}`),
          [],
        );
      });
    }
  });
}
